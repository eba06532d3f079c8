import { resolveBsdTime, type BsdTime } from './timestamps.js';

// FortiOS (FortiGate) sends its key=value log with no syslog header after the PRI:
// `<189>date=2026-11-30 time=10:00:01 devname="FGT-1" devid="…" eventtime=1796032801000000000 tz="+0000" logid=…`.
// Its device name and event time are fields of the message: `devname`, and `eventtime` (the epoch
// the event was triggered, in s, ms, µs or ns by FortiOS version) or else `date` and `time` (the
// device's wall clock, in `tz` when given). FortiOS log reference, "Log message fields".

/** A FortiOS key=value message starts with its date and time. */
const FORTIOS_DATE_TIME = /^date=(\d{4})-(\d{2})-(\d{2}) time=(\d{2}):(\d{2}):(\d{2})(?= |$)/;
const DEVNAME = / devname=(?:"([^"]{1,255})"|([^\s"]{1,255}))(?= |$)/;
const EVENTTIME = / eventtime=(\d{10,19})(?= |$)/;
const TZ = / tz="?([+-])(\d{2}):?(\d{2})"?(?= |$)/;

export interface FortiOsFields {
  hostname?: string;
  timeUnixNano?: bigint;
}

/** Epoch seconds, ms, µs or ns (by digit count) as Unix nanoseconds. */
function epochNanos(digits: string): bigint {
  const scale = digits.length <= 10 ? 1_000_000_000n : digits.length <= 13 ? 1_000_000n : digits.length <= 16 ? 1_000n : 1n;
  return BigInt(digits) * scale;
}

/** The device name and event time a FortiOS message carries; {} for any other message. */
export function fortiOsFields(message: string, timezone: string, receivedAtMs: number): FortiOsFields {
  const dateTime = FORTIOS_DATE_TIME.exec(message);
  if (!dateTime) return {};
  const fields: FortiOsFields = {};
  const devname = DEVNAME.exec(message);
  if (devname) fields.hostname = devname[1] ?? devname[2]!;
  const eventtime = EVENTTIME.exec(message);
  if (eventtime) {
    fields.timeUnixNano = epochNanos(eventtime[1]!);
    return fields;
  }
  const [year, month, day, hour, minute, second] = dateTime.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const time: BsdTime = { year, month, day, hour, minute, second };
  const tz = TZ.exec(message);
  if (tz) time.offset = `${tz[1]}${tz[2]}:${tz[3]}`;
  const nanos = resolveBsdTime(time, timezone, receivedAtMs);
  if (nanos !== undefined) fields.timeUnixNano = nanos;
  return fields;
}
