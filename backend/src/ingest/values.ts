import { anyValueCase, type AnyValue, type KeyValue } from '@rollpoint/proto';
import Long from 'long';

// Conversions from OTLP values to the column values of the Collector's ClickHouse exporter
// (its pcommon.Value.AsString rules), shared by the per-signal mappers.

type NanoTime = Long | number | null | undefined;

// The last instant both time columns hold: otel_logs.TimestampTime is a DateTime (unsigned 32-bit
// seconds, which end in 2106), and past it TTL would read a wrapped time and drop the row at once.
const LAST_STORABLE_NANOS = 4294967295n * 1_000_000_000n + 999_999_999n;
const NANOS_PER_SECOND = 1_000_000_000n;

function toBigInt(nanos: NanoTime): bigint {
  if (nanos === null || nanos === undefined) return 0n;
  if (typeof nanos === 'number') return BigInt(Math.max(0, Math.trunc(nanos)));
  // fixed64 fields are unsigned: read both halves as unsigned 32-bit numbers.
  return (BigInt(nanos.high >>> 0) << 32n) | BigInt(nanos.low >>> 0);
}

/**
 * Unix nanoseconds as a DateTime64(9) value: ISO 8601 with all nine fraction digits and an explicit
 * UTC zone, which ClickHouse reads exactly whatever its own time zone (the store inserts with
 * date_time_input_format=best_effort). Times past 2106 are clamped to the last instant the tables
 * hold, rather than stored wrong or dropped.
 */
export function unixNanos(nanos: NanoTime): string {
  let value = toBigInt(nanos);
  if (value > LAST_STORABLE_NANOS) value = LAST_STORABLE_NANOS;
  return `${isoSecond(value / NANOS_PER_SECOND)}.${(value % NANOS_PER_SECOND).toString().padStart(9, '0')}Z`;
}

// Records of one batch mostly share their second: its ISO text is kept rather than formatted again.
let lastSecond = -1n;
let lastSecondText = '';

function isoSecond(second: bigint): string {
  if (second !== lastSecond) {
    lastSecond = second;
    lastSecondText = new Date(Number(second) * 1000).toISOString().slice(0, 19);
  }
  return lastSecondText;
}

export const isZeroTime = (nanos: NanoTime): boolean => toBigInt(nanos) === 0n;

/** end - start in nanoseconds, as UInt64 text; 0 when the span ends before it starts. */
export function durationNanos(start: NanoTime, end: NanoTime): string {
  const from = toBigInt(start);
  const to = toBigInt(end);
  return to < from ? '0' : (to - from).toString();
}

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** An AnyValue as JSON text, keeping 64-bit integers exact; maps are written with sorted keys. */
function anyValueToJson(value: AnyValue | null | undefined): string {
  switch (anyValueCase(value)) {
    case 'stringValue':
    case 'bytesValue':
      return JSON.stringify(anyValueToString(value));
    case 'doubleValue':
      return Number.isFinite(value!.doubleValue) ? String(value!.doubleValue) : 'null';
    case 'boolValue':
    case 'intValue':
      return anyValueToString(value);
    case 'arrayValue':
      return `[${(value!.arrayValue!.values ?? []).map(anyValueToJson).join(',')}]`;
    case 'kvlistValue': {
      const entries = [...(value!.kvlistValue!.values ?? [])].sort((a, b) => compareKeys(a.key, b.key));
      return `{${entries.map((kv) => `${JSON.stringify(kv.key ?? '')}:${anyValueToJson(kv.value)}`).join(',')}}`;
    }
    default:
      return 'null';
  }
}

const compareKeys = (a: string | null | undefined, b: string | null | undefined): number => ((a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0);
const byKey = (a: KeyValue, b: KeyValue): number => compareKeys(a.key, b.key);

/** An AnyValue as the String the Collector's exporter stores: scalars as text, lists and maps as JSON. */
export function anyValueToString(value: AnyValue | null | undefined): string {
  switch (anyValueCase(value)) {
    case 'stringValue':
      return value!.stringValue!;
    case 'boolValue':
      return String(value!.boolValue);
    case 'intValue':
      return Long.fromValue(value!.intValue!).toString();
    case 'doubleValue':
      // JavaScript's shortest round-trip form switches to exponents at the same bounds as Go's AsString.
      return String(value!.doubleValue);
    case 'bytesValue':
      return base64(value!.bytesValue!);
    case 'arrayValue':
    case 'kvlistValue':
      return anyValueToJson(value);
    default:
      return '';
  }
}

/** Attributes as a Map(String, String) value, keys sorted as the Collector's exporter writes them. */
export function attributesToMap(attributes: readonly KeyValue[] | null | undefined): Record<string, string> {
  const map: Record<string, string> = {};
  if (!attributes || attributes.length === 0) return map;
  const sorted = attributes.length === 1 ? attributes : [...attributes].sort(byKey);
  for (const kv of sorted) map[kv.key ?? ''] = anyValueToString(kv.value);
  return map;
}

/** The service.name resource attribute, as the ServiceName column holds it. */
export function serviceName(resourceAttributes: readonly KeyValue[] | null | undefined): string {
  return anyValueToString(resourceAttributes?.find((kv) => kv.key === 'service.name')?.value);
}
