import type { LogRecord } from '@rollpoint/proto';
import { BUILT_IN_EVENT_RULES } from '../syslog/event-rules.js';
import { parseSyslog, type ParseResult } from '../syslog/parse.js';
import { toLogRecord } from '../syslog/to-otlp.js';
import type { SyslogParserConfig } from './config.js';

// The Collector's syslog_parser operator for filelog lines (a syslog server's files, /var/log/syslog):
// the syslog receiver's parser and its mapping to OTLP, reused whole — severity, the Collector's
// attribute names, the event time, the device event kind and the sender as host.name.

// What the mapping says of the network a message came over: a line of a file has none.
const NETWORK_ATTRIBUTES = new Set(['network.peer.address', 'net.peer.ip', 'network.transport']);

/** The record of one line read at `readMs`, and the host it names ("" when none). */
export function syslogLineRecord(text: string, parser: SyslogParserConfig, readMs: number): { hostName: string; record: LogRecord } {
  const parsed = parseSyslog(text, { timezone: parser.location, receivedAtMs: readMs });
  const result: ParseResult =
    parsed.ok && parser.protocol === 'rfc5424' && parsed.value.format !== 'rfc5424' ? { ok: false, error: 'not RFC 5424 (no <PRI>VERSION header)' } : parsed;
  const { hostName, record } = toLogRecord({ text, truncated: false, peerAddress: '', transport: 'udp', receivedAtMs: readMs }, result, BUILT_IN_EVENT_RULES);
  record.attributes = record.attributes!.filter((attribute) => !NETWORK_ATTRIBUTES.has(attribute.key ?? ''));
  return { hostName, record };
}
