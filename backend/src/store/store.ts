import type { TableName } from '../schema/tables.js';

/** A statement with ClickHouse query parameters ({name:Type} placeholders), never spliced input. */
export interface Query {
  sql: string;
  params: Record<string, unknown>;
}

export interface QueryResult {
  columns: Array<{ name: string; type: string }>;
  /** Rows as arrays, in column order; 64-bit integers come as strings so they survive JSON. */
  rows: unknown[][];
}

/**
 * One row for an insert, keyed by column name, as JSON values. DateTime64 values are ISO 8601 text
 * with an explicit zone and UInt64 values are decimal text, so no precision is lost on the way.
 */
export type Row = Record<string, unknown>;

const INSERT_SETTINGS = {
  // Reads the ISO 8601 times of Row exactly, zone included.
  date_time_input_format: 'best_effort',
  // Splitting one batch across threads costs more than it saves at rollpoint's batch sizes (measured).
  input_format_parallel_parsing: 0,
} as const;

/** Settings an insert runs with, whatever the driver. */
export const insertSettings = (deduplicationToken: string | undefined): Record<string, string | number> =>
  deduplicationToken === undefined ? INSERT_SETTINGS : { ...INSERT_SETTINGS, insert_deduplication_token: deduplicationToken };

/** A statement ClickHouse refused; `code` is ClickHouse's error code, e.g. 164 for READONLY. */
export class StoreError extends Error {
  constructor(
    message: string,
    readonly code: number | undefined,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export const READONLY_ERROR_CODE = 164;

/**
 * The seam between rollpoint and ClickHouse. Drivers: chdb (embedded engine, the default) and,
 * later, a ClickHouse server through @clickhouse/client. The SQL they receive is the same text.
 */
export interface Store {
  readonly driver: string;
  /** Runs a statement that returns nothing (DDL). */
  command(sql: string): Promise<void>;
  /**
   * Inserts rows in one INSERT. With `deduplicationToken`, an insert repeating the token of one of
   * the table's recent inserts is dropped (ClickHouse's insert_deduplication_token): a retried
   * batch is stored once.
   */
  insert(table: TableName, rows: readonly Row[], deduplicationToken?: string): Promise<void>;
  /** Runs one of rollpoint's own queries. */
  query(query: Query): Promise<QueryResult>;
  /** Runs an analyst's statement with ClickHouse's readonly=1 (no writes, no file() or url()). */
  queryReadOnly(sql: string): Promise<QueryResult>;
  close(): Promise<void>;
}

const CLICKHOUSE_CODE = /Code: (\d+)\./;

/** The ClickHouse error code inside an exception text, if any. */
export function clickhouseErrorCode(message: string): number | undefined {
  const match = CLICKHOUSE_CODE.exec(message);
  return match ? Number(match[1]) : undefined;
}
