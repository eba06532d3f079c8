import { AnyValue as AnyValueMessage } from '@rollpoint/proto';
import { UndecodableError } from '@rollpoint/runtime';
import Long from 'long';
import { anyValueToString } from '../values.js';
import { checkUtf8, FIXED64, LENGTH_DELIMITED, ProtobufReader, VARINT } from './protobuf-reader.js';
import type { RowBinaryWriter } from './row-binary-writer.js';

// OTLP AnyValue and KeyValue lists, from their bytes to the column values of the Collector's
// ClickHouse exporter (its pcommon.Value.AsString rules): scalars as text, lists and maps as JSON.

// AnyValue's oneof members (common.proto).
const STRING_VALUE = 1;
const BOOL_VALUE = 2;
const INT_VALUE = 3;
const DOUBLE_VALUE = 4;
const ARRAY_VALUE = 5;
const KVLIST_VALUE = 6;
const BYTES_VALUE = 7;

// Longer lists are sorted by Array.prototype.sort (stable, n log n): insertion sort is quadratic.
const INSERTION_SORT_MAX = 16;

const KEY = 1;
const VALUE = 2;

const valueReader = new ProtobufReader();
const entryReader = new ProtobufReader();

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');

/**
 * Writes the AnyValue in bytes[start, stop) as a String column. An empty range is an absent value,
 * ''. Of several oneof members the last one counts, as in every protobuf decoder.
 */
export function writeAnyValue(out: RowBinaryWriter, bytes: Uint8Array, start: number, stop: number): void {
  const reader = valueReader.reset(bytes, start, stop);
  let kind = 0;
  let from = 0;
  let to = 0;
  let low = 0;
  let high = 0;
  let at = 0;
  while (reader.next()) {
    const { field, wireType } = reader;
    if (wireType === LENGTH_DELIMITED && (field === STRING_VALUE || field === BYTES_VALUE || field === ARRAY_VALUE || field === KVLIST_VALUE)) {
      kind = field;
      from = reader.start;
      to = reader.stop;
    } else if (wireType === VARINT && (field === BOOL_VALUE || field === INT_VALUE)) {
      reader.varint64();
      kind = field;
      low = reader.low;
      high = reader.high;
    } else if (wireType === FIXED64 && field === DOUBLE_VALUE) {
      at = reader.fixed64();
      kind = field;
    } else reader.skip();
  }
  switch (kind) {
    case STRING_VALUE:
      checkUtf8(bytes, from, to);
      out.stringBytes(bytes, from, to);
      return;
    case BOOL_VALUE: {
      const text = low !== 0 || high !== 0 ? TRUE : FALSE;
      out.stringBytes(text, 0, text.length);
      return;
    }
    case INT_VALUE:
      out.string(high === 0 ? String(low) : Long.fromBits(low, high, false).toString());
      return;
    case DOUBLE_VALUE:
      // JavaScript's shortest round-trip form switches to exponents at the same bounds as Go's AsString.
      out.string(String(reader.double(at)));
      return;
    case BYTES_VALUE:
      out.string(Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString('base64'));
      return;
    case ARRAY_VALUE:
    case KVLIST_VALUE:
      // Rare and nested: decoded whole and written as JSON by the one converter of decoded values.
      out.string(anyValueToString(decodeAnyValue(bytes, start, stop)));
      return;
    default:
      out.u8(0);
  }
}

/** The string_value of the AnyValue in bytes[start, stop), or undefined when it holds none. */
export function anyValueString(bytes: Uint8Array, start: number, stop: number): string | undefined {
  const reader = valueReader.reset(bytes, start, stop);
  let text: string | undefined;
  while (reader.next()) {
    if (reader.wireType === LENGTH_DELIMITED && reader.field === STRING_VALUE) text = Buffer.from(bytes.buffer, bytes.byteOffset + reader.start, reader.stop - reader.start).toString('utf8');
    else reader.skip();
  }
  return text;
}

function decodeAnyValue(bytes: Uint8Array, start: number, stop: number) {
  try {
    return AnyValueMessage.decode(bytes.subarray(start, stop));
  } catch (err) {
    throw new UndecodableError(`an attribute value does not decode: ${(err as Error).message}`);
  }
}

/**
 * The KeyValue entries of one attribute list, as byte ranges: collected field by field, then
 * written as a Map(String, String) column sorted by key, a repeated key keeping its last value.
 */
export class AttributeList {
  /** keyStart, keyStop, valueStart, valueStop per entry. */
  private ranges = new Int32Array(64);
  private order: number[] = [];
  count = 0;
  private bytes: Uint8Array = new Uint8Array(0);

  reset(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.count = 0;
  }

  /** Adds the KeyValue message in bytes[start, stop). */
  add(start: number, stop: number): void {
    const reader = entryReader.reset(this.bytes, start, stop);
    let keyStart = start;
    let keyStop = start;
    let valueStart = start;
    let valueStop = start;
    while (reader.next()) {
      if (reader.wireType === LENGTH_DELIMITED && reader.field === KEY) {
        keyStart = reader.start;
        keyStop = reader.stop;
      } else if (reader.wireType === LENGTH_DELIMITED && reader.field === VALUE) {
        valueStart = reader.start;
        valueStop = reader.stop;
      } else reader.skip();
    }
    checkUtf8(this.bytes, keyStart, keyStop);
    if ((this.count + 1) * 4 > this.ranges.length) {
      const grown = new Int32Array(this.ranges.length * 2);
      grown.set(this.ranges);
      this.ranges = grown;
    }
    const at = this.count * 4;
    this.ranges[at] = keyStart;
    this.ranges[at + 1] = keyStop;
    this.ranges[at + 2] = valueStart;
    this.ranges[at + 3] = valueStop;
    this.count++;
  }

  /** The value range of the first entry whose key is `key` (ASCII), or undefined. */
  find(key: Uint8Array): [number, number] | undefined {
    for (let i = 0; i < this.count; i++) {
      if (this.keyEquals(i * 4, key)) return [this.ranges[i * 4 + 2]!, this.ranges[i * 4 + 3]!];
    }
    return undefined;
  }

  /** Writes the entries as a Map(LowCardinality(String), String) column; `replace` gives one key (already present) another value. */
  write(out: RowBinaryWriter, replace?: { key: Uint8Array; value: string }): void {
    const { count, ranges, bytes } = this;
    if (count === 0) {
      out.u8(0);
      return;
    }
    const order = this.sorted();
    let unique = 0;
    for (let i = 0; i < count; i++) if (i === count - 1 || this.compareKeys(order[i]!, order[i + 1]!) !== 0) unique++;
    out.varint(unique);
    for (let i = 0; i < count; i++) {
      const entry = order[i]!;
      if (i < count - 1 && this.compareKeys(entry, order[i + 1]!) === 0) continue;
      out.stringBytes(bytes, ranges[entry]!, ranges[entry + 1]!);
      if (replace !== undefined && this.keyEquals(entry, replace.key)) out.string(replace.value);
      else writeAnyValue(out, bytes, ranges[entry + 2]!, ranges[entry + 3]!);
    }
  }

  /** Entry offsets sorted by key bytes, stably: by insertion for the usual short lists, else by Array.prototype.sort. */
  private sorted(): number[] {
    const order = this.order;
    order.length = this.count;
    if (this.count > INSERTION_SORT_MAX) {
      for (let i = 0; i < this.count; i++) order[i] = i * 4;
      return order.sort((a, b) => this.compareKeys(a, b));
    }
    for (let i = 0; i < this.count; i++) {
      const entry = i * 4;
      let j = i;
      while (j > 0 && this.compareKeys(order[j - 1]!, entry) > 0) {
        order[j] = order[j - 1]!;
        j--;
      }
      order[j] = entry;
    }
    return order;
  }

  private compareKeys(a: number, b: number): number {
    const { ranges, bytes } = this;
    const aStart = ranges[a]!;
    const aLength = ranges[a + 1]! - aStart;
    const bStart = ranges[b]!;
    const bLength = ranges[b + 1]! - bStart;
    const length = Math.min(aLength, bLength);
    for (let i = 0; i < length; i++) {
      const d = bytes[aStart + i]! - bytes[bStart + i]!;
      if (d !== 0) return d;
    }
    return aLength - bLength;
  }

  private keyEquals(entry: number, key: Uint8Array): boolean {
    const start = this.ranges[entry]!;
    if (this.ranges[entry + 1]! - start !== key.length) return false;
    for (let i = 0; i < key.length; i++) if (this.bytes[start + i] !== key[i]) return false;
    return true;
  }
}
