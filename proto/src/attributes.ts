import Long from 'long';
import type { AnyValue, KeyValue } from './otlp.js';

export type AnyValueCase = 'stringValue' | 'boolValue' | 'intValue' | 'doubleValue' | 'arrayValue' | 'kvlistValue' | 'bytesValue';

const CASES: readonly AnyValueCase[] = ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'];

/**
 * Which member of AnyValue's `value` oneof is set. A decoded message says so in its `value` field
 * (its other members read as their defaults, '' or 0); a plain object just lacks the others.
 */
export function anyValueCase(value: AnyValue | null | undefined): AnyValueCase | undefined {
  if (!value) return undefined;
  const set = (value as { value?: unknown }).value;
  if (typeof set === 'string') return CASES.includes(set as AnyValueCase) ? (set as AnyValueCase) : undefined;
  return CASES.find((c) => value[c] !== null && value[c] !== undefined);
}

/**
 * A scalar AnyValue (string, bool, int, double) as text, as the Collector's pcommon.Value.AsString
 * writes it (64-bit integers exact); undefined for bytes, lists, maps and an empty value.
 */
export function scalarAnyValueText(value: AnyValue | null | undefined): string | undefined {
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
    default:
      return undefined;
  }
}

/** Sets `key` to `value`; with `overwrite` false an existing value is kept (the Collector's insert vs upsert). */
export function setAttribute(attributes: KeyValue[], key: string, value: AnyValue, overwrite: boolean): void {
  const existing = attributes.find((kv) => kv.key === key);
  if (!existing) attributes.push({ key, value });
  else if (overwrite) existing.value = value;
}
