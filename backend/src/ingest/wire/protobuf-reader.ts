import { isUtf8 } from 'node:buffer';
import { UndecodableError } from '@rollpoint/runtime';

// Reads protobuf's wire format straight from an Export's bytes. Written by hand because the write
// path goes from those bytes to the insert's columns in one pass: protobufjs (and every other
// library for Node) decodes into an object per message and a JavaScript string per field, which is
// most of the cost of storing a record (docs/BENCHMARKS.md). This reader allocates nothing per
// field: a field is its number, its wire type and, for length-delimited ones, a byte range.

export const VARINT = 0;
export const FIXED64 = 1;
export const LENGTH_DELIMITED = 2;
const START_GROUP = 3;
const END_GROUP = 4;
export const FIXED32 = 5;

const TWO_TO_32 = 4294967296;
const MAX_GROUP_DEPTH = 32;

/**
 * A cursor over one message's bytes, `pos` to `end`. Readers are reused (reset for each message) so
 * that reading a field allocates nothing.
 */
export class ProtobufReader {
  bytes: Uint8Array = new Uint8Array(0);
  pos = 0;
  end = 0;
  /** The current field's number and wire type, set by next(). */
  field = 0;
  wireType = 0;
  /** A length-delimited field's bytes, set by next() for wire type 2. */
  start = 0;
  stop = 0;
  /** The last 64-bit value read: its low and high 32 bits, unsigned. */
  low = 0;
  high = 0;

  /** Points the reader at the message in bytes[start, end). */
  reset(bytes: Uint8Array, start = 0, end = bytes.length): this {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
    return this;
  }

  /** Advances to the next field; false at the end of the message. A length-delimited field's range is set, its bytes are skipped. */
  next(): boolean {
    if (this.pos >= this.end) return false;
    const key = this.varint32();
    this.field = key >>> 3;
    this.wireType = key & 7;
    if (this.field === 0) throw new UndecodableError(`field number 0 at byte ${this.pos}`);
    if (this.wireType === LENGTH_DELIMITED) {
      const length = this.varint32();
      this.start = this.pos;
      this.stop = this.pos + length;
      if (this.stop > this.end) throw new UndecodableError(`a field of ${length} bytes runs past the end of its message`);
      this.pos = this.stop;
    }
    return true;
  }

  /** A varint that fits 32 bits (lengths, keys, enums, bools); longer ones keep their low 32 bits, as protobuf's int32 does. */
  varint32(): number {
    const { bytes } = this;
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) throw new UndecodableError('truncated varint');
      const byte = bytes[this.pos++]!;
      if (shift < 32) value |= (byte & 0x7f) << shift;
      if (byte < 0x80) return value >>> 0;
    }
    throw new UndecodableError('varint longer than 10 bytes');
  }

  /** A 64-bit varint into `low` and `high`. */
  varint64(): void {
    const { bytes } = this;
    let low = 0;
    let high = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) throw new UndecodableError('truncated varint');
      const byte = bytes[this.pos++]!;
      const bits = byte & 0x7f;
      if (shift < 28) low |= bits << shift;
      else if (shift === 28) {
        low |= bits << 28;
        high |= bits >>> 4;
      } else high |= bits << (shift - 32);
      if (byte < 0x80) {
        this.low = low >>> 0;
        this.high = high >>> 0;
        return;
      }
    }
    throw new UndecodableError('varint longer than 10 bytes');
  }

  /** A fixed64 into `low` and `high`; returns the offset of its 8 bytes. */
  fixed64(): number {
    const at = this.pos;
    if (at + 8 > this.end) throw new UndecodableError('truncated fixed64');
    const { bytes } = this;
    this.low = (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
    this.high = (bytes[at + 4]! | (bytes[at + 5]! << 8) | (bytes[at + 6]! << 16) | (bytes[at + 7]! << 24)) >>> 0;
    this.pos = at + 8;
    return at;
  }

  fixed32(): number {
    const at = this.pos;
    if (at + 4 > this.end) throw new UndecodableError('truncated fixed32');
    const { bytes } = this;
    this.pos = at + 4;
    return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
  }

  /** Reads (or skips) the current field's value when next() has not consumed it: varints, fixed-width values and groups. */
  skip(): void {
    switch (this.wireType) {
      case VARINT:
        this.varint64();
        return;
      case FIXED64:
        this.fixed64();
        return;
      case LENGTH_DELIMITED:
        return;
      case FIXED32:
        this.fixed32();
        return;
      case START_GROUP:
        this.skipGroup(this.field);
        return;
      default:
        throw new UndecodableError(`invalid wire type ${this.wireType} at byte ${this.pos}`);
    }
  }

  private groupDepth = 0;

  private skipGroup(field: number): void {
    // Groups nest by recursion: a bound keeps crafted input from exhausting the stack.
    if (++this.groupDepth > MAX_GROUP_DEPTH) throw new UndecodableError(`groups nested deeper than ${MAX_GROUP_DEPTH}`);
    try {
      this.skipGroupFields(field);
    } finally {
      this.groupDepth--;
    }
  }

  private skipGroupFields(field: number): void {
    for (;;) {
      if (!this.next()) throw new UndecodableError(`group ${field} is not closed`);
      if (this.wireType === END_GROUP) {
        if (this.field !== field) throw new UndecodableError(`group ${field} closed as ${this.field}`);
        return;
      }
      this.skip();
    }
  }

  /** A varint field's value as an int32 (enums): negative values come as 10-byte varints. */
  int32(): number {
    this.varint64();
    return this.low | 0;
  }

  /** The last 64-bit value as a double (the bits of a fixed64 read as IEEE 754). */
  double(at: number): number {
    return new DataView(this.bytes.buffer, this.bytes.byteOffset + at, 8).getFloat64(0, true);
  }
}

/** The unsigned 64-bit value of `low` and `high` as a Number, exact below 2^53 (times in ms are). */
export const unsigned64 = (low: number, high: number): number => high * TWO_TO_32 + low;

/** Throws unless bytes[start, stop) is valid UTF-8, as protobuf requires of string fields. */
export function checkUtf8(bytes: Uint8Array, start: number, stop: number): void {
  for (let i = start; i < stop; i++) {
    if (bytes[i]! >= 0x80) {
      if (!isUtf8(bytes.subarray(start, stop))) throw new UndecodableError('a string field is not valid UTF-8');
      return;
    }
  }
}
