import { DateTime } from 'luxon';

// Syslog timestamps to Unix nanoseconds. RFC 5424 (and RFC 3339 in RFC 3164 headers) carries a zone;
// the BSD form ("Mar  1 18:46:11") has neither year nor zone: those come from the receiver's
// configured time zone and the receive time. Zone offsets come from luxon (the IANA database),
// looked up once per zone and hour, since a receiver sees thousands of messages per second.

const NANOS_PER_MILLI = 1_000_000n;
const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;

const MONTHS: Readonly<Record<string, number>> = { Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12 };

/** A BSD timestamp more than this far in the future is taken to be from last year. */
const FUTURE_TOLERANCE_MS = 24 * MS_PER_HOUR;

/** Zone abbreviations that name UTC for certain; others (CET, EST…) are ambiguous and ignored. */
const UTC_NAMES = new Set(['UTC', 'GMT', 'Z', 'UT']);

const OFFSET_CACHE_LIMIT = 4096;
const offsets = new Map<string, number>();

/** Milliseconds to add to a zone's wall-clock time (read as UTC) to get UTC, for the hour it falls in. */
function zoneCorrectionMs(zone: string, year: number, month: number, day: number, hour: number): number | undefined {
  if (zone === 'UTC') return 0;
  const key = `${zone}|${year}|${month}|${day}|${hour}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const time = DateTime.fromObject({ year, month, day, hour }, { zone });
    if (!time.isValid) return undefined;
    if (offsets.size >= OFFSET_CACHE_LIMIT) offsets.clear();
    offset = -time.offset * MS_PER_MINUTE;
    offsets.set(key, offset);
  }
  return offset;
}

/** Wall-clock fields as UTC milliseconds, or undefined when they name no real instant (Feb 30, 25:00). */
function utcMillis(year: number, month: number, day: number, hour: number, minute: number, second: number): number | undefined {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59));
  // Date.UTC rolls Feb 30 over to Mar 2: a day that changes was not a real day. Years 0-99 are not remapped.
  const date = new Date(ms);
  if (date.getUTCDate() !== day) return undefined;
  if (year < 100) date.setUTCFullYear(year);
  return date.getTime();
}

/** "123" or "123456789" after the decimal point, as nanoseconds. */
function fractionNanos(fraction: string | undefined): bigint {
  return fraction ? BigInt(fraction.padEnd(9, '0').slice(0, 9)) : 0n;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** An RFC 3339 timestamp (RFC 5424's TIMESTAMP) in Unix nanoseconds; undefined when it is not one. */
export function parseRfc3339(text: string): bigint | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const local = utcMillis(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  if (local === undefined) return undefined;
  const offsetMinutes = m[8] ? 0 : (m[9] === '-' ? -1 : 1) * (+m[10]! * 60 + +m[11]!);
  if (Math.abs(offsetMinutes) > 24 * 60) return undefined;
  return BigInt(local - offsetMinutes * MS_PER_MINUTE) * NANOS_PER_MILLI + fractionNanos(m[7]);
}

export interface BsdTime {
  /** "Nov", or 11 where the device writes the date as numbers (Huawei "2026-11-30 11:44:00"). */
  month: string | number;
  day: number;
  year?: number;
  hour: number;
  minute: number;
  second: number;
  fraction?: string;
  zone?: string;
  /** "+08:00": the device's own offset from UTC (Huawei), which wins over `zone` and the configured zone. */
  offset?: string;
}

/** The calendar year in `zone` at `ms`. */
function yearIn(zone: string, ms: number): number {
  const utc = new Date(ms);
  const correction = zoneCorrectionMs(zone, utc.getUTCFullYear(), utc.getUTCMonth() + 1, utc.getUTCDate(), utc.getUTCHours()) ?? 0;
  return new Date(ms - correction).getUTCFullYear();
}

/** Wall-clock fields in `zone` as Unix milliseconds. */
function zonedMillis(zone: string, year: number, month: number, time: BsdTime): number | undefined {
  const local = utcMillis(year, month, time.day, time.hour, time.minute, time.second);
  if (local === undefined) return undefined;
  const correction = zoneCorrectionMs(zone, year, month, time.day, time.hour);
  return correction === undefined ? undefined : local + correction;
}

/**
 * A BSD timestamp in Unix nanoseconds: the year is the receive year in `timezone`, or the one
 * before when that would put the message more than a day in the future (December's messages read
 * in January); the zone is `timezone` unless the message names UTC.
 */
export function resolveBsdTime(time: BsdTime, timezone: string, receivedAtMs: number): bigint | undefined {
  const month = typeof time.month === 'number' ? time.month : MONTHS[time.month];
  if (month === undefined) return undefined;
  if (time.offset !== undefined) return withOffset(time, time.year ?? new Date(receivedAtMs).getUTCFullYear(), month);
  const zone = time.zone && UTC_NAMES.has(time.zone.toUpperCase()) ? 'UTC' : timezone;
  let ms: number | undefined;
  if (time.year !== undefined) {
    ms = zonedMillis(zone, time.year, month, time);
  } else {
    const year = yearIn(zone, receivedAtMs);
    ms = zonedMillis(zone, year, month, time);
    if (ms !== undefined && ms > receivedAtMs + FUTURE_TOLERANCE_MS) ms = zonedMillis(zone, year - 1, month, time);
  }
  return ms === undefined ? undefined : BigInt(ms) * NANOS_PER_MILLI + fractionNanos(time.fraction);
}

/** Wall-clock fields with their own UTC offset ("+08:00") in Unix nanoseconds. */
function withOffset(time: BsdTime, year: number, month: number): bigint | undefined {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const fraction = time.fraction ? `.${time.fraction}` : '';
  return parseRfc3339(`${year}-${pad(month)}-${pad(time.day)}T${pad(time.hour)}:${pad(time.minute)}:${pad(time.second)}${fraction}${time.offset}`);
}

/** True when `zone` is an IANA zone name (or UTC / a fixed offset) that luxon knows. */
export function isKnownTimezone(zone: string): boolean {
  return DateTime.now().setZone(zone).isValid;
}
