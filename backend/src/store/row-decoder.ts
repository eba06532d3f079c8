import { StoreError, type NamedRow, type Query, type Store } from './store.js';

// Typed rows read by column name. A decoder says, for every field of T, which column it comes from
// and how its JSON value converts (64-bit integers arrive as text, times as numbers or text). A
// column the answer lacks is an error, so a renamed alias cannot read as undefined.

/** Reads one field from a named row. */
export type FieldReader<V> = (row: NamedRow) => V;

/** How each field of T is read from a row, by column name. */
export type RowDecoder<T> = { readonly [K in keyof T]-?: FieldReader<T[K]> };

/** A query with the decoder of its rows, both from the same builder. */
export interface DecodedQuery<T> extends Query {
  readonly decoder: RowDecoder<T>;
}

/** The value of column `name`. */
export function column(row: NamedRow, name: string): unknown {
  if (!(name in row)) throw new StoreError(`the answer has no column ${name} (it has ${Object.keys(row).join(', ')})`, undefined);
  return row[name];
}

export const text = (name: string): FieldReader<string> => (row) => String(column(row, name));

export const number = (name: string): FieldReader<number> => (row) => Number(column(row, name));

/** A UInt8 condition (0 or 1) as a boolean. */
export const flag = (name: string): FieldReader<boolean> => (row) => Number(column(row, name)) !== 0;

export const strings = (name: string): FieldReader<string[]> => (row) => (column(row, name) as unknown[]).map(String);

/** A ClickHouse Map of numbers (64-bit ones come as text) as numbers. */
export const counts = (name: string): FieldReader<Record<string, number>> => (row) => Object.fromEntries(Object.entries((column(row, name) ?? {}) as Record<string, unknown>).map(([k, v]) => [k, Number(v)]));

/** Unix milliseconds (Int64, as text) as ISO 8601. */
export const isoFromMs = (name: string): FieldReader<string> => (row) => new Date(Number(column(row, name))).toISOString();

/** Unix seconds as ISO 8601. */
export const isoFromSeconds = (name: string): FieldReader<string> => (row) => new Date(Number(column(row, name)) * 1000).toISOString();

/** A DateTime as ClickHouse prints it in UTC ("2026-11-30 12:04:00[.000]") as ISO 8601. */
export const isoFromUtcText = (name: string): FieldReader<string> => (row) => new Date(`${String(column(row, name)).replace(' ', 'T')}Z`).toISOString();

/** One row as T; fields read as undefined are left out (an optional field absent, as in the API's JSON). */
export function decodeRow<T>(row: NamedRow, decoder: RowDecoder<T>): T {
  const decoded: Record<string, unknown> = {};
  for (const [field, read] of Object.entries(decoder) as Array<[string, FieldReader<unknown>]>) {
    const value = read(row);
    if (value !== undefined) decoded[field] = value;
  }
  return decoded as T;
}

/** Runs a query and reads its rows with its decoder. */
export async function queryDecoded<T>(store: Store, query: DecodedQuery<T>): Promise<T[]> {
  const rows = await store.query({ sql: query.sql, params: query.params });
  return rows.map((row) => decodeRow(row, query.decoder));
}
