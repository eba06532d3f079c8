// Protobuf by hand, for tests of the write path that write what common encoders never do (fields
// out of order, unpacked repeated fields, malformed bytes).

export const varint = (n: number | bigint): Buffer => {
  const out: number[] = [];
  let v = BigInt.asUintN(64, BigInt(n));
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? byte | 0x80 : byte);
  } while (v > 0n);
  return Buffer.from(out);
};
const tag = (field: number, wireType: number) => varint((field << 3) | wireType);
/** A length-delimited field. */
export const ld = (field: number, ...parts: Array<Buffer | string>) => {
  const body = Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
  return Buffer.concat([tag(field, 2), varint(body.length), body]);
};
/** A varint field. */
export const vi = (field: number, n: number | bigint) => Buffer.concat([tag(field, 0), varint(n)]);
/** A fixed64 field. */
export const f64 = (field: number, n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, n));
  return Buffer.concat([tag(field, 1), b]);
};
/** A double field. */
export const dbl = (field: number, x: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x);
  return Buffer.concat([tag(field, 1), b]);
};
/** A fixed32 field. */
export const f32 = (field: number, n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return Buffer.concat([tag(field, 5), b]);
};
/** An AnyValue holding a string. */
export const str = (s: string) => ld(1, s);
/** A KeyValue, value first. */
export const kv = (key: string, value: Buffer) => Buffer.concat([ld(2, value), ld(1, key)]);
