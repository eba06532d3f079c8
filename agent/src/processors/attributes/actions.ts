import { createHash } from 'node:crypto';
import { anyValueCase, type AnyValue, type KeyValue } from '@rollpoint/proto';
import Long from 'long';
import type { AttributeValue } from '../internal/match-properties.js';
import type { AttributeAction } from './config.js';

// The attributes processor's actions, as the Collector's attraction package applies them, on a copy
// of a record's attributes.

const toAnyValue = (value: AttributeValue): AnyValue => {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  return Number.isInteger(value) ? { intValue: Long.fromNumber(value) } : { doubleValue: value };
};

/** The bytes the Collector hashes: UTF-8 text, one byte for a bool, 8 little-endian bytes for an int or a double. */
function hashedBytes(value: AnyValue | null | undefined): Buffer | undefined {
  const bytes = Buffer.alloc(8);
  switch (anyValueCase(value)) {
    case 'stringValue':
      return Buffer.from(value!.stringValue!, 'utf8');
    case 'boolValue':
      return Buffer.of(value!.boolValue ? 1 : 0);
    case 'intValue':
      bytes.writeBigInt64LE(BigInt(String(value!.intValue)));
      return bytes;
    case 'doubleValue':
      bytes.writeDoubleLE(value!.doubleValue!);
      return bytes;
    default:
      return undefined;
  }
}

/** SHA-256 of the value, in hex; an empty string for values the Collector does not hash (arrays, maps, bytes). */
export function hashValue(value: AnyValue | null | undefined): AnyValue {
  const bytes = hashedBytes(value);
  return { stringValue: bytes ? createHash('sha256').update(bytes).digest('hex') : '' };
}

/** Whether the action reaches the attribute `key`: by its key, or by its pattern (delete, hash). */
const reaches = (action: AttributeAction, key: string): boolean => action.key === key || (action.action !== 'extract' && action.pattern?.test(key) === true);

/** `attributes` with `actions` applied in order; the given array and its values are left as they were. */
export function applyActions(actions: readonly AttributeAction[], attributes: readonly KeyValue[]): KeyValue[] {
  let result = [...attributes];
  const find = (key: string) => result.findIndex((kv) => kv.key === key);
  const set = (key: string, value: AnyValue, when: 'absent' | 'present' | 'always') => {
    const at = find(key);
    if (at < 0 && when !== 'present') result.push({ key, value });
    else if (at >= 0 && when !== 'absent') result[at] = { key, value };
  };
  for (const action of actions) {
    switch (action.action) {
      case 'insert':
      case 'update':
      case 'upsert': {
        const value = action.value !== undefined ? toAnyValue(action.value) : result[find(action.from_attribute!)]?.value;
        const when = action.action === 'insert' ? 'absent' : action.action === 'update' ? 'present' : 'always';
        if (value) set(action.key!, value, when);
        break;
      }
      case 'delete':
        result = result.filter((kv) => !reaches(action, kv.key ?? ''));
        break;
      case 'hash':
        result = result.map((kv) => (reaches(action, kv.key ?? '') ? { key: kv.key, value: hashValue(kv.value) } : kv));
        break;
      case 'extract': {
        const source = result[find(action.key!)]?.value;
        const groups = anyValueCase(source) === 'stringValue' ? action.pattern!.exec(source!.stringValue!)?.groups : undefined;
        for (const [key, text] of Object.entries(groups ?? {})) if (text !== undefined) set(key, { stringValue: text }, 'always');
        break;
      }
    }
  }
  return result;
}
