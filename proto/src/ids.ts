const HEX = /^[0-9a-fA-F]*$/;

/** Lowercase hex of an id; '' for an empty or all-zero id (the Collector's ClickHouse exporter does the same). */
export function idToHex(id: Uint8Array | null | undefined): string {
  if (!id) return '';
  for (let i = 0; i < id.length; i++) {
    if (id[i] !== 0) return Buffer.from(id.buffer, id.byteOffset, id.length).toString('hex');
  }
  return '';
}

/** Parses a hex id as OTLP/JSON writes it; throws on anything that is not an even run of hex digits. */
export function hexToId(hex: string, field: string): Uint8Array {
  if (hex.length % 2 !== 0 || !HEX.test(hex)) throw new Error(`${field}: "${hex.slice(0, 40)}" is not a hex id`);
  return Buffer.from(hex, 'hex');
}
