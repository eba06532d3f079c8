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

interface JsonCompact {
  meta: Array<{ name: string; type: string }>;
  data: unknown[][];
}

/** Reads an answer in ClickHouse's JSONCompact format; a statement without rows (DDL, INSERT … SELECT) answers nothing. */
export function parseJsonCompact(text: string): QueryResult {
  if (text.trim() === '') return { columns: [], rows: [] };
  let parsed: Partial<JsonCompact> | undefined;
  try {
    parsed = JSON.parse(text) as Partial<JsonCompact>;
  } catch {
    // Reported below with the start of what came.
  }
  if (!Array.isArray(parsed?.meta) || !Array.isArray(parsed.data)) {
    throw new StoreError(`ClickHouse's answer was not the JSONCompact asked for; it began: ${text.slice(0, 200)}`, undefined);
  }
  return { columns: parsed.meta, rows: parsed.data };
}

/** A row of one of rollpoint's own queries, keyed by column name or alias; values as in JSON (64-bit integers as text). */
export type NamedRow = Record<string, unknown>;

/**
 * An answer's rows keyed by column name, zipped with its columns here once. Two columns of one
 * name would leave one unreadable: the query must alias them apart.
 */
export function namedRows({ columns, rows }: QueryResult): NamedRow[] {
  const names = columns.map((c) => c.name);
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated !== undefined) throw new StoreError(`the answer has two columns named ${repeated}; alias them apart`, undefined);
  return rows.map((row) => Object.fromEntries(names.map((name, i) => [name, row[i]])));
}

export type Settings = Record<string, string | number>;

// Reads the ISO 8601 times of Row exactly, zone included.
const INSERT_SETTINGS: Settings = { date_time_input_format: 'best_effort' };

/** Settings an insert of JSON rows runs with, whatever the driver. */
export const insertSettings = (deduplicationToken: string | undefined): Settings =>
  deduplicationToken === undefined ? INSERT_SETTINGS : { ...INSERT_SETTINGS, insert_deduplication_token: deduplicationToken };

/**
 * Settings of the write path's inserts. async_insert is off: ClickHouse 26 turns it on by default,
 * and then an insert may be acknowledged before its rows are in a part, while rollpoint answers
 * senders only once their rows are stored (and coalesces inserts itself).
 */
export const rowBinaryInsertSettings = (deduplicationToken: string): Settings => ({
  async_insert: 0,
  insert_deduplication_token: deduplicationToken,
  // The same insert repeated is dropped in the materialized views' targets too (servers before 24.x default to 0).
  deduplicate_blocks_in_dependent_materialized_views: 1,
});

/** A column of an insert, with the type its values have in the data. */
export interface InsertColumn {
  name: string;
  type: string;
}

/**
 * Rows already encoded in ClickHouse's RowBinary format, in the order of `columns`: the write path's
 * inserts. `chunks` are written one after the other, as one insert.
 */
export interface RowBinaryInsert {
  table: TableName;
  columns: readonly InsertColumn[];
  chunks: readonly Uint8Array[];
  rows: number;
  /** Names this insert for ClickHouse's deduplication: the same insert repeated is stored once. */
  deduplicationToken: string;
}

/** A string as a single-quoted SQL literal, for statements whose text rollpoint makes itself (never request input). */
export const sqlString = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** The statement of a RowBinary insert, as both drivers report it (the rows follow it). */
export const rowBinaryInsertStatement = ({ table, columns }: Pick<RowBinaryInsert, 'table' | 'columns'>): string =>
  `INSERT INTO ${table} (${columns.map((c) => c.name).join(', ')}) FORMAT RowBinary`;

/**
 * What a driver hands to ClickHouse, as it hands it: the statement text, its query parameters and
 * settings, and for an insert the table and row count. Both drivers report every statement to an
 * optional listener, which is how a test proves they send the same SQL.
 */
export interface Statement {
  kind: 'command' | 'insert' | 'query' | 'read_only';
  sql: string;
  params?: Record<string, unknown>;
  settings?: Settings;
  rows?: number;
}

export type StatementListener = (statement: Statement) => void;

/** A command's text and parameters, whichever way it was given. */
export const asQuery = (statement: string | Query): Query => (typeof statement === 'string' ? { sql: statement, params: {} } : statement);

/** The statement of an insert of JSON rows into `table` (the text both client libraries build). */
export const insertStatement = (table: TableName): string => `INSERT INTO ${table} FORMAT JSONEachRow`;

/** A statement ClickHouse refused; `code` is ClickHouse's error code, e.g. 164 for READONLY. */
export class StoreError extends Error {
  /** The server could not be reached (refused, reset, timed out): it may come back. */
  readonly unreachable: boolean;
  /** The server's certificate was not trusted. */
  readonly tls: boolean;

  constructor(
    message: string,
    readonly code: number | undefined,
    { unreachable = false, tls = false }: { unreachable?: boolean; tls?: boolean } = {},
  ) {
    super(message);
    this.name = 'StoreError';
    this.unreachable = unreachable;
    this.tls = tls;
  }
}

export const READONLY_ERROR_CODE = 164;

/** An engine's error text without the stack trace ClickHouse appends to it. */
export const withoutStackTrace = (message: string): string => message.split(', Stack trace')[0]!;

/** Runs a driver's call, turning what its library throws into a StoreError with `convert` (a StoreError stays as it is). */
export async function withStoreErrors<T>(work: () => Promise<T>, convert: (err: unknown) => StoreError): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw err instanceof StoreError ? err : convert(err);
  }
}

export interface ReadOnlyOptions {
  /** What the statement may read, checked on its query tree before it runs; absent: anything readonly=1 allows. */
  readable?: ReadableTables;
}

/**
 * rollpoint_tables (a token limited to scopes): only SELECTs over rollpoint's own tables
 * (ROLLPOINT_READABLE_TABLES: not audit_log, not backups); all_but_admin_tables (a read or write
 * token): anything but audit_log, backups, system.backups and the table functions reaching tables by name.
 */
export type ReadableTables = 'rollpoint_tables' | 'all_but_admin_tables';

/**
 * An analyst's answer as ClickHouse sends it: the columns, then the rows as JSON text, never parsed
 * (see read-only-answer.ts).
 */
export interface ReadOnlyAnswer {
  columns: QueryResult['columns'];
  /**
   * The rows' JSON text chunk by chunk: JSON arrays separated by commas, to be written between `[`
   * and `]`. Throws a StoreError when the statement fails part-way; return() stops the statement.
   */
  rows: AsyncIterableIterator<Buffer> & { return(): Promise<IteratorResult<Buffer>> };
}

/**
 * The seam between rollpoint and ClickHouse. Drivers: chdb (the embedded engine, the default) and
 * clickhouse (a server or cluster through @clickhouse/client). The SQL they receive is the same text.
 */
export interface Store {
  readonly driver: string;
  /** Runs a statement that returns nothing: DDL, DELETE, INSERT … SELECT. */
  command(statement: string | Query): Promise<void>;
  /**
   * Inserts rows in one INSERT. With `deduplicationToken`, an insert repeating the token of one of
   * the table's recent inserts is dropped (ClickHouse's insert_deduplication_token): a retried
   * batch is stored once.
   */
  insert(table: TableName, rows: readonly Row[], deduplicationToken?: string): Promise<void>;
  /** Inserts encoded rows in one INSERT: the write path's coalesced inserts. */
  insertRowBinary(insert: RowBinaryInsert): Promise<void>;
  /** Runs one of rollpoint's own queries; its rows come keyed by column name (alias), in the shape the caller names. */
  query<T extends object = NamedRow>(query: Query): Promise<T[]>;
  /**
   * Runs an analyst's statement with ClickHouse's readonly=1 (no writes, no file() or url()) and the
   * result limits; resolves once its columns are known, its rows still to be read. A statement
   * reading what `readable` keeps from it is refused before it runs.
   */
  queryReadOnly(sql: string, options?: ReadOnlyOptions): Promise<ReadOnlyAnswer>;
  close(): Promise<void>;
}

// "Code: 60. DB::Exception: …" since 20.x; "Code: 193, e.displayText() = …" before.
const CLICKHOUSE_CODE = /Code: (\d+)[.,]/;

/** The ClickHouse error code inside an exception text, if any. */
export function clickhouseErrorCode(message: string): number | undefined {
  const match = CLICKHOUSE_CODE.exec(message);
  return match ? Number(match[1]) : undefined;
}
