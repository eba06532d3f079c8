import type { AnyValue, KeyValue } from '@rollpoint/proto';
import Long from 'long';

// Conversions from OTLP values to the column values of the Collector's ClickHouse exporter
// (its pcommon.Value.AsString rules), shared by the per-signal mappers.

type NanoTime = Long | number | null | undefined;

// DateTime64(9) ends where a signed 64-bit count of nanoseconds does (year 2262).
const LAST_DATETIME64_NANOS = 2n ** 63n - 1n;

const toBigInt = (nanos: NanoTime): bigint => BigInt(Long.fromValue(nanos ?? 0).toUnsigned().toString());

/**
 * Unix nanoseconds for a DateTime64(9) column. The store writes bigints as bare JSON numbers,
 * which ClickHouse reads as exact nanoseconds in any time zone. Times past 2262 are clamped to the
 * column's last instant rather than failing the whole insert.
 */
export function unixNanos(nanos: NanoTime): bigint {
  const value = toBigInt(nanos);
  return value > LAST_DATETIME64_NANOS ? LAST_DATETIME64_NANOS : value;
}

export const isZeroTime = (nanos: NanoTime): boolean => Long.fromValue(nanos ?? 0).isZero();

/** end - start in nanoseconds; 0 when the span ends before it starts. */
export function durationNanos(start: NanoTime, end: NanoTime): bigint {
  const from = toBigInt(start);
  const to = toBigInt(end);
  return to < from ? 0n : to - from;
}

const base64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** An AnyValue as JSON text, keeping 64-bit integers exact; maps are written with sorted keys. */
function anyValueToJson(value: AnyValue | null | undefined): string {
  if (!value) return 'null';
  if (value.stringValue != null) return JSON.stringify(value.stringValue);
  if (value.boolValue != null) return String(value.boolValue);
  if (value.intValue != null) return Long.fromValue(value.intValue).toString();
  if (value.doubleValue != null) return Number.isFinite(value.doubleValue) ? String(value.doubleValue) : 'null';
  if (value.bytesValue != null) return JSON.stringify(base64(value.bytesValue));
  if (value.arrayValue != null) return `[${(value.arrayValue.values ?? []).map(anyValueToJson).join(',')}]`;
  if (value.kvlistValue != null) {
    const entries = [...(value.kvlistValue.values ?? [])].sort((a, b) => compareKeys(a.key, b.key));
    return `{${entries.map((kv) => `${JSON.stringify(kv.key ?? '')}:${anyValueToJson(kv.value)}`).join(',')}}`;
  }
  return 'null';
}

const compareKeys = (a: string | null | undefined, b: string | null | undefined): number => ((a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0);

/** An AnyValue as the String the Collector's exporter stores: scalars as text, lists and maps as JSON. */
export function anyValueToString(value: AnyValue | null | undefined): string {
  if (!value) return '';
  if (value.stringValue != null) return value.stringValue;
  if (value.boolValue != null) return String(value.boolValue);
  if (value.intValue != null) return Long.fromValue(value.intValue).toString();
  // JavaScript's shortest round-trip form switches to exponents at the same bounds as Go's AsString.
  if (value.doubleValue != null) return String(value.doubleValue);
  if (value.bytesValue != null) return base64(value.bytesValue);
  if (value.arrayValue != null || value.kvlistValue != null) return anyValueToJson(value);
  return '';
}

/** Attributes as a Map(String, String) value, keys sorted as the Collector's exporter writes them. */
export function attributesToMap(attributes: readonly KeyValue[] | null | undefined): Record<string, string> {
  const map: Record<string, string> = {};
  if (!attributes) return map;
  const sorted = [...attributes].sort((a, b) => compareKeys(a.key, b.key));
  for (const kv of sorted) map[kv.key ?? ''] = anyValueToString(kv.value);
  return map;
}

/** The service.name resource attribute, as the ServiceName column holds it. */
export function serviceName(resourceAttributes: readonly KeyValue[] | null | undefined): string {
  return anyValueToString(resourceAttributes?.find((kv) => kv.key === 'service.name')?.value);
}
