import { anyValueCase, scalarAnyValueText, type AnyValue } from '@rollpoint/proto';

// An OTLP AnyValue, decoded, as the column value of the Collector's ClickHouse exporter (its
// pcommon.Value.AsString rules). The write path reads scalars straight from the bytes
// (wire/attributes.ts) and hands nested lists and maps here.

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

/** An AnyValue as the String the Collector's exporter stores: scalars as text, lists and maps as JSON. */
export function anyValueToString(value: AnyValue | null | undefined): string {
  const scalar = scalarAnyValueText(value);
  if (scalar !== undefined) return scalar;
  switch (anyValueCase(value)) {
    case 'bytesValue':
      return base64(value!.bytesValue!);
    case 'arrayValue':
    case 'kvlistValue':
      return anyValueToJson(value);
    default:
      return '';
  }
}
