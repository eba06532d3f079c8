import {
  ATTR_ROLLPOINT_EVENT_KIND,
  ATTR_ROLLPOINT_PARSE_ERROR,
  ATTR_ROLLPOINT_RAW,
  ATTR_ROLLPOINT_SYSLOG_FORMAT,
  ATTR_ROLLPOINT_TIME_ERROR,
  ATTR_ROLLPOINT_TRUNCATED,
  type AnyValue,
  type KeyValue,
  type LogRecord,
} from '@rollpoint/proto';
import Long from 'long';
import { classify, type EventRule } from './event-rules.js';
import type { ParseResult } from './parse.js';

// A received syslog message as an OTLP log record. Attribute names are those of the OpenTelemetry
// Collector's syslog parser, so queries written for it keep working; Body is the raw message, as
// the Collector's syslog receiver keeps it.

/** Syslog severity 0–7 → OTLP SeverityNumber (FATAL, ERROR3, ERROR2, ERROR, WARN, INFO2, INFO, DEBUG). */
export const SEVERITY_NUMBERS = [21, 19, 18, 17, 13, 10, 9, 5] as const;
export const SEVERITY_TEXTS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;

export interface Received {
  /** The message as text (invalid UTF-8 replaced by U+FFFD). */
  text: string;
  /** The raw bytes, when they were not valid UTF-8 (kept, base64, in rollpoint.raw). */
  invalidUtf8?: Uint8Array;
  /** Bytes cut off because the message was over max_message_bytes. */
  truncated: boolean;
  peerAddress: string;
  transport: 'udp' | 'tcp' | 'tls';
  /** Receive time, Unix ms. */
  receivedAtMs: number;
}

const str = (value: string): AnyValue => ({ stringValue: value });
// Long keeps one shared object for each int below 128 (facility, severity, most PRIs).
const int = (value: number): AnyValue => ({ intValue: Long.fromInt(value) });
const kv = (key: string, value: AnyValue): KeyValue => ({ key, value });
const nanos = (value: bigint): Long => Long.fromBits(Number(value & 0xffffffffn), Number((value >> 32n) & 0xffffffffn), true);

/** Receive times in Unix ns, one (immutable) Long for all the messages of a millisecond. */
let lastMs = -1;
let lastMsNanos = Long.UZERO;
function msNanos(ms: number): Long {
  if (ms !== lastMs) {
    lastMs = ms;
    lastMsNanos = Long.fromNumber(ms, true).multiply(1_000_000);
  }
  return lastMsNanos;
}

function structuredData(elements: Record<string, Record<string, string>>): AnyValue {
  return {
    kvlistValue: {
      values: Object.entries(elements).map(([id, params]) => kv(id, { kvlistValue: { values: Object.entries(params).map(([name, value]) => kv(name, str(value))) } })),
    },
  };
}

/** The log record for one message, and the device it came from (the resource's host.name). */
export function toLogRecord(received: Received, parsed: ParseResult, rules: readonly EventRule[]): { hostName: string; record: LogRecord } {
  const attributes: KeyValue[] = [];
  let hostName = received.peerAddress;
  let record: LogRecord;
  if (parsed.ok) {
    const m = parsed.value;
    const severity = m.priority % 8;
    const facility = Math.floor(m.priority / 8);
    if (m.hostname) hostName = m.hostname;
    attributes.push(kv('priority', int(m.priority)), kv('facility', int(facility)), kv('severity', int(severity)));
    if (m.version !== undefined) attributes.push(kv('version', int(m.version)));
    if (m.hostname) attributes.push(kv('hostname', str(m.hostname)));
    if (m.appname) attributes.push(kv('appname', str(m.appname)));
    if (m.procId) attributes.push(kv('proc_id', str(m.procId)));
    if (m.msgId) attributes.push(kv('msg_id', str(m.msgId)));
    if (m.structuredData) attributes.push(kv('structured_data', structuredData(m.structuredData)));
    if (m.sequence) attributes.push(kv('sequence_number', str(m.sequence)));
    attributes.push(kv('message', str(m.message)));
    const kind = classify(rules, m.msgId, m.message);
    if (kind) attributes.push(kv(ATTR_ROLLPOINT_EVENT_KIND, str(kind)));
    // OTLP times are unsigned: a device clock before 1970 leaves the record with its receive time.
    const time = m.timeUnixNano !== undefined && m.timeUnixNano >= 0n ? m.timeUnixNano : 0n;
    if (m.timeUnixNano !== undefined && m.timeUnixNano < 0n) attributes.push(kv(ATTR_ROLLPOINT_TIME_ERROR, str('the message time is before 1970')));
    record = {
      timeUnixNano: nanos(time),
      severityNumber: SEVERITY_NUMBERS[severity],
      severityText: SEVERITY_TEXTS[severity],
    };
  } else {
    attributes.push(kv(ATTR_ROLLPOINT_PARSE_ERROR, str(parsed.error)));
    record = { timeUnixNano: nanos(0n) };
  }
  attributes.push(kv(ATTR_ROLLPOINT_SYSLOG_FORMAT, str(parsed.ok ? parsed.value.format : 'unknown')));
  attributes.push(kv('network.peer.address', str(received.peerAddress)), kv('net.peer.ip', str(received.peerAddress)));
  attributes.push(kv('network.transport', str(received.transport === 'udp' ? 'udp' : 'tcp')));
  if (received.transport === 'tls') attributes.push(kv('tls.established', { boolValue: true }));
  if (received.truncated) attributes.push(kv(ATTR_ROLLPOINT_TRUNCATED, { boolValue: true }));
  if (received.invalidUtf8) attributes.push(kv(ATTR_ROLLPOINT_RAW, { bytesValue: received.invalidUtf8 }));
  record.observedTimeUnixNano = msNanos(received.receivedAtMs);
  record.body = str(received.text);
  record.attributes = attributes;
  return { hostName, record };
}
