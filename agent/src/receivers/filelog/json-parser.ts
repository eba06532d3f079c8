import type { AnyValue, KeyValue } from '@rollpoint/proto';
import Long from 'long';

// The Collector's json_parser operator for filelog lines: a JSON object's fields become the
// record's attributes (or its body as a map), typed as OTLP AnyValues.

/** A JSON value as an OTLP AnyValue: integers as ints, other numbers as doubles, null as an empty value. */
export function jsonToAnyValue(value: unknown): AnyValue {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isSafeInteger(value) ? { intValue: Long.fromNumber(value) } : { doubleValue: value };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(jsonToAnyValue) } };
  if (value !== null && typeof value === 'object') return { kvlistValue: { values: jsonFields(value as Record<string, unknown>) } };
  return {};
}

const jsonFields = (object: Record<string, unknown>): KeyValue[] => Object.entries(object).map(([key, value]) => ({ key, value: jsonToAnyValue(value) }));

/** The fields of the JSON object `text` is, or why it is not one. */
export function parseJsonLine(text: string): { ok: true; fields: KeyValue[] } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `not JSON: ${(error as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, error: 'not a JSON object' };
  try {
    return { ok: true, fields: jsonFields(value as Record<string, unknown>) };
  } catch (error) {
    // Nested deeper than the stack (JSON.parse goes deeper than this recursion): kept as text.
    if (error instanceof RangeError) return { ok: false, error: 'JSON nested too deeply' };
    throw error;
  }
}
