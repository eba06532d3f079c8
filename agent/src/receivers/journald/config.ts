import { z } from 'zod';

// The journald receiver's settings, with the OpenTelemetry Collector journald receiver's names.

const nullAsEmpty = (value: unknown) => (value === null ? {} : value);

/** journalctl's priority names, most severe first (their index is the syslog severity). */
export const JOURNAL_PRIORITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;

/** A journal field name as journalctl takes it in a match: upper case, digits, underscores. */
const FIELD_NAME = /^[A-Z0-9_]+$/;
const match = z.record(z.string(), z.string()).superRefine((fields, ctx) => {
  for (const name of Object.keys(fields)) {
    if (!FIELD_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'a journal field name is upper case letters, digits and _' });
  }
});

export const journaldConfigSchema = z.preprocess(
  nullAsEmpty,
  z
    .strictObject({
      /** A folder of journal files (journalctl --directory); default: the system journal. */
      directory: z.string().min(1).optional(),
      /** Journal files to read (journalctl --file, globs allowed); not with `directory`. */
      files: z.array(z.string().min(1)).min(1).optional(),
      /** Only these systemd units (journalctl --unit, each). */
      units: z.array(z.string().min(1)).default([]),
      /** Entries of this priority or more severe (journalctl --priority). */
      priority: z.enum(JOURNAL_PRIORITIES).default('info'),
      /** Field matches: the fields of one map must all match, any one map may (journalctl FIELD=value … + …). */
      matches: z.array(match).default([]),
      /** Where a receiver with no stored cursor starts: the oldest entry, or what is written from now on. */
      start_at: z.enum(['beginning', 'end']).default('end'),
      /** Entries read but not yet taken by the pipeline before journalctl is no longer read. */
      max_pending_entries: z.number().int().positive().default(10000),
    })
    .refine((c) => !(c.directory && c.files), { message: 'directory and files cannot both be set', path: ['files'] }),
);

export type JournaldConfig = z.output<typeof journaldConfigSchema>;
