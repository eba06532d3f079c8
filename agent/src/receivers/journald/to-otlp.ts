import { ATTR_ROLLPOINT_RAW, type AnyValue, type KeyValue, type LogRecord } from '@rollpoint/proto';
import Long from 'long';
import { SEVERITY_NUMBERS, SEVERITY_TEXTS } from '../syslog/to-otlp.js';

// A journal entry (one line of `journalctl --output=json`) as an OTLP log record, with the attribute
// names the syslog receiver gives the same facts (severity, facility, priority, hostname, appname,
// proc_id), so one query finds a service's messages whichever way they came.

/** The systemd unit that wrote the entry (_SYSTEMD_UNIT). */
export const ATTR_SYSTEMD_UNIT = 'systemd.unit';

/** A field's value in journalctl's JSON: text, bytes (not UTF-8, or binary) as numbers, several values as an array, null when too large. */
type FieldValue = string | number[] | FieldValue[] | null;
export type JournalEntry = Record<string, FieldValue>;

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

const str = (value: string): AnyValue => ({ stringValue: value });
const int = (value: number): AnyValue => ({ intValue: Long.fromInt(value) });
const kv = (key: string, value: AnyValue): KeyValue => ({ key, value });

const isBytes = (value: FieldValue): value is number[] => Array.isArray(value) && value.every((v) => typeof v === 'number');

/** A field's first value as text; bytes that are not UTF-8 are decoded leniently and given as well. */
function fieldText(value: FieldValue | undefined): { text: string; invalidUtf8?: Uint8Array } | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return { text: value };
  if (isBytes(value)) {
    const bytes = Uint8Array.from(value);
    try {
      return { text: fatalUtf8.decode(bytes) };
    } catch {
      return { text: lenientUtf8.decode(bytes), invalidUtf8: bytes };
    }
  }
  // Several values: the first. journalctl nests no deeper, and a line that does (garbled) must not
  // recurse to the stack's end.
  const first: FieldValue | undefined = Array.isArray(value) ? value[0] : undefined;
  return typeof first === 'string' || (Array.isArray(first) && isBytes(first)) ? fieldText(first) : undefined;
}

/** A field's text as a whole number no greater than `max` (a priority, a facility). */
function smallInt(value: FieldValue | undefined, max: number): number | undefined {
  const text = fieldText(value)?.text;
  if (text === undefined || !/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= max ? n : undefined;
}

/** The journal's µs since 1970 as OTLP's ns; 0 (the receive time stands) when absent or malformed. */
function realtimeNanos(value: FieldValue | undefined): Long {
  const text = fieldText(value)?.text;
  return text && /^\d{1,17}$/.test(text) ? Long.fromString(text, true).multiply(1000) : Long.UZERO;
}

export interface MappedEntry {
  /** The resource's host.name: the entry's _HOSTNAME, else `defaultHost`. */
  hostName: string;
  record: LogRecord;
  /** Where journalctl goes on after this entry (--after-cursor). */
  cursor: string | undefined;
}

/** The log record for one entry; `observedNanos` is when the receiver read it. */
export function entryToLogRecord(entry: JournalEntry, defaultHost: string, observedNanos: Long): MappedEntry {
  const attributes: KeyValue[] = [];
  const record: LogRecord = { timeUnixNano: realtimeNanos(entry.__REALTIME_TIMESTAMP), observedTimeUnixNano: observedNanos };
  const severity = smallInt(entry.PRIORITY, 7);
  const facility = smallInt(entry.SYSLOG_FACILITY, 23);
  if (severity !== undefined) {
    record.severityNumber = SEVERITY_NUMBERS[severity];
    record.severityText = SEVERITY_TEXTS[severity];
    if (facility !== undefined) attributes.push(kv('priority', int(facility * 8 + severity)));
    attributes.push(kv('severity', int(severity)));
  }
  if (facility !== undefined) attributes.push(kv('facility', int(facility)));
  const hostName = fieldText(entry._HOSTNAME)?.text;
  if (hostName) attributes.push(kv('hostname', str(hostName)));
  const appname = fieldText(entry.SYSLOG_IDENTIFIER)?.text;
  if (appname) attributes.push(kv('appname', str(appname)));
  const pid = fieldText(entry._PID)?.text;
  if (pid) attributes.push(kv('proc_id', str(pid)));
  const unit = fieldText(entry._SYSTEMD_UNIT)?.text;
  if (unit) attributes.push(kv(ATTR_SYSTEMD_UNIT, str(unit)));
  const message = fieldText(entry.MESSAGE);
  record.body = str(message?.text ?? '');
  if (message?.invalidUtf8) attributes.push(kv(ATTR_ROLLPOINT_RAW, { bytesValue: message.invalidUtf8 }));
  record.attributes = attributes;
  const cursor = typeof entry.__CURSOR === 'string' ? entry.__CURSOR : undefined;
  return { hostName: hostName || defaultHost, record, cursor };
}
