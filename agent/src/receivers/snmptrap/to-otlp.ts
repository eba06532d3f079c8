import { ATTR_ROLLPOINT_EVENT_KIND, ATTR_ROLLPOINT_PARSE_ERROR, type AnyValue, type DeviceEventKind, type KeyValue, type LogRecord } from '@rollpoint/proto';
import Long from 'long';
import type { SnmptrapConfig } from './config.js';
import type { MibNames } from './mib-names.js';
import type { Notification, Varbind } from './notification.js';

// A notification as an OTLP log record: Body is the trap's name, attributes name every varbind.

const BUILT_IN_EVENT_KINDS: Readonly<Record<string, DeviceEventKind>> = {
  linkDown: 'link_down',
  linkUp: 'link_up',
  coldStart: 'cold_start',
  warmStart: 'warm_start',
  authenticationFailure: 'auth_failure',
  ciscoConfigManEvent: 'config_change',
};

const SEVERITIES = {
  debug: [5, 'DEBUG'],
  info: [9, 'INFO'],
  warn: [13, 'WARN'],
  error: [17, 'ERROR'],
  fatal: [21, 'FATAL'],
} as const;

const DEFAULT_SEVERITIES: Readonly<Record<string, keyof typeof SEVERITIES>> = { linkDown: 'warn', authenticationFailure: 'warn' };

const TYPE = { Boolean: 1, Integer: 2, OctetString: 4, OID: 6, IpAddress: 64, Counter: 65, Gauge: 66, TimeTicks: 67, Opaque: 68, Counter64: 70 } as const;

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });
const str = (value: string): AnyValue => ({ stringValue: value });
const int = (value: number | bigint): AnyValue => ({ intValue: Long.fromString(value.toString()) });
const kv = (key: string, value: AnyValue): KeyValue => ({ key, value });
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const isPrintable = (text: string): boolean => !/[\u0000-\u0008\u000e-\u001f\u007f]/.test(text.replace(/\0+$/, ''));

/** OctetString as text when it is printable UTF-8, else as hex (MAC addresses, binary states). */
function octets(bytes: Buffer): AnyValue {
  try {
    const text = fatalUtf8.decode(bytes);
    if (isPrintable(text)) return str(text.replace(/\0+$/, ''));
  } catch {
    // not UTF-8: hex below
  }
  return str(bytes.toString('hex'));
}

/** A varbind's value, typed: numbers as ints (enumerations as their labels), OIDs as names. */
function varbindValue(varbind: Varbind, mib: MibNames): AnyValue {
  const { type, value } = varbind;
  if (value === null || value === undefined) return str('');
  switch (type) {
    case TYPE.Integer: {
      const label = mib.resolve(varbind.oid).object?.labels?.[value as number];
      return label ? str(label) : int(value as number);
    }
    case TYPE.Counter:
    case TYPE.Gauge:
    case TYPE.TimeTicks:
      return int(value as number);
    case TYPE.Counter64: {
      const bytes = Buffer.isBuffer(value) ? value : Buffer.from(String(value));
      const n = bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString('hex')}`);
      return n < 2n ** 63n ? int(n) : str(n.toString());
    }
    case TYPE.OID:
      return str(mib.oidName(String(value)));
    case TYPE.Boolean:
      return { boolValue: Boolean(value) };
    case TYPE.OctetString:
    case TYPE.Opaque:
      return Buffer.isBuffer(value) ? octets(value) : str(String(value));
    default:
      return str(String(value));
  }
}

export interface TrapRecordOptions {
  mib: MibNames;
  config: Pick<SnmptrapConfig, 'severities' | 'event_kinds'>;
  sourceAddress: string;
  receivedAtNanos: bigint;
}

export function trapToLogRecord(n: Notification, { mib, config, sourceAddress, receivedAtNanos }: TrapRecordOptions): LogRecord {
  const name = mib.trapName(n.trapOid || 'unknown');
  const severity = SEVERITIES[config.severities[name] ?? config.severities[n.trapOid] ?? DEFAULT_SEVERITIES[name] ?? 'info'];
  const kind = config.event_kinds[name] ?? config.event_kinds[n.trapOid] ?? BUILT_IN_EVENT_KINDS[name] ?? 'other';
  const attributes: KeyValue[] = [
    kv('snmp.trap.oid', str(n.trapOid)),
    kv('snmp.trap.name', str(name)),
    kv('snmp.version', str(n.version)),
    kv('snmp.pdu_type', str(n.kind)),
    kv('snmp.agent_address', str(n.agentAddress)),
  ];
  if (n.community !== undefined) attributes.push(kv('snmp.community', str(n.community)));
  if (n.securityName !== undefined) attributes.push(kv('snmp.security_name', str(n.securityName)));
  if (n.uptime !== undefined) attributes.push(kv('snmp.uptime', int(n.uptime)));
  const seen = new Set<string>();
  for (const varbind of n.varbinds) {
    let key = `snmp.varbind.${mib.varbindName(varbind.oid)}`;
    // The same object twice (two interfaces' ifDescr): the later ones keep their instance.
    if (seen.has(key)) key += mib.resolve(varbind.oid).instance;
    seen.add(key);
    attributes.push(kv(key, varbindValue(varbind, mib)));
  }
  attributes.push(kv(ATTR_ROLLPOINT_EVENT_KIND, str(kind)), kv('network.peer.address', str(sourceAddress)));
  if (n.problem) attributes.push(kv(ATTR_ROLLPOINT_PARSE_ERROR, str(n.problem)));
  const time = Long.fromString(receivedAtNanos.toString(), true);
  return { timeUnixNano: time, observedTimeUnixNano: time, severityNumber: severity[0], severityText: severity[1], body: str(name), attributes };
}
