import type { AnyValue, KeyValue } from './otlp.js';

/** The string value of attribute `key`, or undefined when it is absent or not a string. */
export function stringAttribute(attributes: readonly KeyValue[] | null | undefined, key: string): string | undefined {
  const value = attributes?.find((kv) => kv.key === key)?.value;
  return typeof value?.stringValue === 'string' ? value.stringValue : undefined;
}

/** Sets `key` to `value`; with `overwrite` false an existing value is kept (the Collector's insert vs upsert). */
export function setAttribute(attributes: KeyValue[], key: string, value: AnyValue, overwrite: boolean): void {
  const existing = attributes.find((kv) => kv.key === key);
  if (!existing) attributes.push({ key, value });
  else if (overwrite) existing.value = value;
}
