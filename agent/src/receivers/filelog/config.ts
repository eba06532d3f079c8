import { durationMs } from '@rollpoint/runtime';
import { z } from 'zod';
import { isKnownTimezone } from '../syslog/timestamps.js';

// The Collector's filelog receiver settings (contrib receiver/filelogreceiver, pkg/stanza/fileconsumer),
// the ones this receiver implements. Encodings are the byte-per-newline ones: UTF-8, ASCII and Latin-1.

/** Encoding names as the Collector spells them, to the names TextDecoder takes. */
export const ENCODINGS = { 'utf-8': 'utf-8', utf8: 'utf-8', ascii: 'ascii', 'us-ascii': 'ascii', latin1: 'latin1', 'iso-8859-1': 'latin1' } as const;

const pattern = z.string().min(1).refine((source) => {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}, 'must be a regular expression');

const multiline = z
  .strictObject({
    /** A record starts at each line this matches; the lines until the next such line belong to it. */
    line_start_pattern: pattern.optional(),
    /** A record ends at each line this matches. */
    line_end_pattern: pattern.optional(),
  })
  .refine((m) => (m.line_start_pattern === undefined) !== (m.line_end_pattern === undefined), 'give exactly one of line_start_pattern and line_end_pattern');

/** The Collector's json_parser operator: a line that is a JSON object becomes its fields. */
const jsonParser = z.strictObject({
  type: z.literal('json_parser'),
  /** Where the fields go: the record's attributes, or its body (as a map). */
  parse_to: z.enum(['attributes', 'body']).default('attributes'),
});

/** The Collector's syslog_parser operator: a line that is a syslog message becomes its fields, as the syslog receiver maps them. */
const syslogParser = z.strictObject({
  type: z.literal('syslog_parser'),
  /** rfc5424: the line must have the RFC 5424 header; rfc3164: BSD syslog and the variants devices send (an RFC 5424 line is still read as one). */
  protocol: z.enum(['rfc5424', 'rfc3164']),
  /** IANA time zone of timestamps that carry none (RFC 3164's), as the syslog receiver's `timezone`. */
  location: z.string().default('UTC').refine(isKnownTimezone, { message: 'not a time zone (use an IANA name such as Europe/Zurich, or UTC)' }),
});

export type SyslogParserConfig = z.output<typeof syslogParser>;

export const filelogConfigSchema = z.strictObject({
  /** Globs of the files to read, e.g. /var/log/*.log. */
  include: z.array(z.string().min(1)).min(1),
  /** Globs of files not to read among those included. */
  exclude: z.array(z.string().min(1)).default([]),
  /** Where to begin in a file found at start that has no stored offset; files found later are read from their beginning. */
  start_at: z.enum(['beginning', 'end']).default('end'),
  /** The file's name as the attribute log.file.name. */
  include_file_name: z.boolean().default(true),
  /** The file's path as the attribute log.file.path. */
  include_file_path: z.boolean().default(false),
  /** Records of several lines (stack traces); default one record per line. */
  multiline: multiline.optional(),
  /** The files' text encoding. */
  encoding: z.enum(Object.keys(ENCODINGS) as [keyof typeof ENCODINGS]).default('utf-8'),
  /** A longer record is cut into records of this many bytes (none is lost). */
  max_log_size: z.number().int().positive().default(1024 * 1024),
  /** How often the files are listed and read. */
  poll_interval: durationMs.default(200).refine((ms) => ms > 0, 'must be more than 0'),
  /** Parsers applied to each record, as the Collector's operators (json_parser or syslog_parser). */
  operators: z.array(z.discriminatedUnion('type', [jsonParser, syslogParser])).max(1, 'one parser at most').default([]),
  /** How many first bytes identify a file (its fingerprint), whatever its name. */
  fingerprint_size: z.number().int().min(16).default(1000),
});

export type FilelogConfig = z.output<typeof filelogConfigSchema>;
