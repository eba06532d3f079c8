// Writes rows in ClickHouse's RowBinary format: each row's columns in the order of the insert's
// column list, with no names, no escaping and no text to parse again. String: LEB128 length then the
// bytes; UInt8 and Bool: one byte; (U)Int32: 4 bytes and UInt64, Float64 and DateTime64: 8 bytes,
// little-endian; Array and Map: LEB128 count then the elements (a Map's as key, value pairs).
// Hand-written for the same reason as the reader: rows go from the Export's bytes into this buffer
// without becoming objects in between.

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const SHORT_COPY = 96;

export class RowBinaryWriter {
  private buffer: Buffer;
  length = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  /** Makes room for `bytes` more. */
  reserve(bytes: number): void {
    const needed = this.length + bytes;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  u8(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  /** An unsigned LEB128 length or count. */
  varint(value: number): void {
    this.reserve(5);
    const { buffer } = this;
    while (value >= 0x80) {
      buffer[this.length++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buffer[this.length++] = value;
  }

  /** UInt32, or Int32 (the same bytes), little-endian. */
  u32(value: number): void {
    this.reserve(4);
    this.buffer.writeUInt32LE(value >>> 0, this.length);
    this.length += 4;
  }

  /** Float64, little-endian. */
  f64(value: number): void {
    this.reserve(8);
    this.buffer.writeDoubleLE(value, this.length);
    this.length += 8;
  }

  /** A 64-bit value given as unsigned low and high halves, little-endian. */
  u64(low: number, high: number): void {
    this.reserve(8);
    this.buffer.writeUInt32LE(low, this.length);
    this.buffer.writeUInt32LE(high, this.length + 4);
    this.length += 8;
  }

  /** bytes[start, stop) as they are (a block written before). */
  raw(bytes: Uint8Array, start = 0, stop = bytes.length): void {
    const size = stop - start;
    this.reserve(size);
    const { buffer } = this;
    // Short runs (most attribute keys and values) copy faster by hand than through a subarray view.
    if (size < SHORT_COPY) for (let i = start, at = this.length; i < stop; i++, at++) buffer[at] = bytes[i]!;
    else buffer.set(bytes.subarray(start, stop), this.length);
    this.length += size;
  }

  /** A String column from bytes[start, stop), which are UTF-8 already. */
  stringBytes(bytes: Uint8Array, start: number, stop: number): void {
    this.varint(stop - start);
    this.raw(bytes, start, stop);
  }

  /** A String column from a JavaScript string. */
  string(text: string): void {
    const size = Buffer.byteLength(text);
    this.varint(size);
    this.reserve(size);
    this.length += this.buffer.write(text, this.length, size, 'utf8');
  }

  /** An id as lowercase hex text, '' when empty or all zero (as the Collector's exporter stores ids). */
  hexId(bytes: Uint8Array, start: number, stop: number): void {
    let zero = true;
    for (let i = start; i < stop && zero; i++) zero = bytes[i] === 0;
    if (zero) this.u8(0);
    else this.hex(bytes, start, stop);
  }

  /** bytes[start, stop) as lowercase hex text. */
  hex(bytes: Uint8Array, start: number, stop: number): void {
    const size = (stop - start) * 2;
    this.varint(size);
    this.reserve(size);
    const { buffer } = this;
    for (let i = start; i < stop; i++) {
      const byte = bytes[i]!;
      buffer[this.length++] = HEX_DIGITS[byte >>> 4]!;
      buffer[this.length++] = HEX_DIGITS[byte & 15]!;
    }
  }

  /** An Array column of `count` elements, written to `elements` before. */
  array(count: number, elements: RowBinaryWriter): void {
    this.varint(count);
    this.raw(elements.view());
  }

  /** What was written, as a view of the writer's own buffer (valid until the next write). */
  view(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  /** What was written, as a new buffer (the writer's own is reused). */
  copy(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.length));
  }

  /** Forgets what was written; the buffer is kept for the next rows. */
  reset(): void {
    this.length = 0;
  }

  /** Everything written, as one exactly sized buffer of its own. */
  finish(): Buffer {
    const out = Buffer.allocUnsafeSlow(this.length);
    this.buffer.copy(out, 0, 0, this.length);
    return out;
  }
}
