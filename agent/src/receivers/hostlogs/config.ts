import { z } from 'zod';

// The hostlogs receiver's settings. rollpoint's own type, not the Collector's: the Collector has
// no "this host's logs" receiver, and one YAML (`npm start`'s defaults, the packaged agent.yaml)
// must read the journal on a host that has one and /var/log/syslog or /var/log/messages on one that
// does not. At start it picks one and runs the journald or the filelog receiver on it.

const nullAsEmpty = (value: unknown) => (value === null ? {} : value);

/** Where the system journal is looked for (journald's volatile and persistent storage). */
export const SYSTEM_JOURNAL_DIRECTORIES = ['/run/log/journal', '/var/log/journal'];

export const hostlogsConfigSchema = z.preprocess(
  nullAsEmpty,
  z.strictObject({
    /** A folder of journal files read instead of the system journal (found in /run/log/journal or /var/log/journal). */
    journal_directory: z.string().min(1).optional(),
    /** Without a journal, the first of these files that exists and can be read is followed, each line parsed as syslog. */
    files: z.array(z.string().min(1)).default(['/var/log/syslog', '/var/log/messages']),
    /** Where a first start begins: what is written from now on (no flood of history), or the oldest entry/line. */
    start_at: z.enum(['beginning', 'end']).default('end'),
  }),
);

export type HostlogsConfig = z.output<typeof hostlogsConfigSchema>;
