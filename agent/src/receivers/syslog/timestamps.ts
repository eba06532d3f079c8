import { DateTime } from 'luxon';

// Syslog timestamps to Unix nanoseconds. RFC 5424 (and RFC 3339 in RFC 3164 headers) carries a zone;
// the BSD form ("Mar  1 18:46:11") has neither year nor zone: those come from the receiver's
// configured time zone and the receive time.

const NANOS_PER_MILLI = 1_000_000n;

const MONTHS: Readonly<Record<string, number>> = { Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12 };

/** A BSD timestamp more than this far in the future is taken to be from last year. */
const FUTURE_TOLERANCE_MS = 24 * 60 * 60 * 1000;

/** Zone abbreviations that name UTC for certain; others (CET, EST…) are ambiguous and ignored. */
const UTC_NAMES = new Set(['UTC', 'GMT', 'Z', 'UT']);

/** "123" or "123456789" after the decimal point, as nanoseconds. */
function fractionNanos(fraction: string | undefined): bigint {
  return fraction ? BigInt(fraction.padEnd(9, '0').slice(0, 9)) : 0n;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|z|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 timestamp (RFC 5424's TIMESTAMP) in Unix nanoseconds; undefined when it is not one. */
export function parseRfc3339(text: string): bigint | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const offset = m[8]!.toUpperCase() === 'Z' ? 'UTC' : `UTC${m[8]}`;
  const time = DateTime.fromObject(
    { year: +m[1]!, month: +m[2]!, day: +m[3]!, hour: +m[4]!, minute: +m[5]!, second: +m[6]! },
    { zone: offset },
  );
  if (!time.isValid) return undefined;
  return BigInt(time.toMillis()) * NANOS_PER_MILLI + fractionNanos(m[7]);
}

export interface BsdTime {
  month: string;
  day: number;
  year?: number;
  hour: number;
  minute: number;
  second: number;
  fraction?: string;
  zone?: string;
}

/**
 * A BSD timestamp in Unix nanoseconds: the year is the receive year in `timezone`, or the one
 * before when that would put the message more than a day in the future (December's messages read
 * in January); the zone is `timezone` unless the message names UTC.
 */
export function resolveBsdTime(time: BsdTime, timezone: string, receivedAtMs: number): bigint | undefined {
  const month = MONTHS[time.month];
  if (month === undefined) return undefined;
  const zone = time.zone && UTC_NAMES.has(time.zone.toUpperCase()) ? 'UTC' : timezone;
  const at = (year: number) => DateTime.fromObject({ year, month, day: time.day, hour: time.hour, minute: time.minute, second: time.second }, { zone });
  let resolved = at(time.year ?? DateTime.fromMillis(receivedAtMs, { zone }).year);
  if (time.year === undefined && resolved.isValid && resolved.toMillis() > receivedAtMs + FUTURE_TOLERANCE_MS) resolved = at(resolved.year - 1);
  if (!resolved.isValid) return undefined;
  return BigInt(resolved.toMillis()) * NANOS_PER_MILLI + fractionNanos(time.fraction);
}

/** True when `zone` is an IANA zone name (or UTC / a fixed offset) that luxon knows. */
export function isKnownTimezone(zone: string): boolean {
  return DateTime.now().setZone(zone).isValid;
}
