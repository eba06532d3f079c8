import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { drainPending, Session, type ChdbResult } from 'chdb';
import type { TableName } from '../schema/tables.js';
import { clickhouseErrorCode, insertSettings, StoreError, type Query, type QueryResult, type Row, type Store } from './store.js';

export interface ChdbStoreOptions {
  /** Folder holding the data; created when missing. */
  path: string;
  /** Limits for analysts' statements. */
  readOnlyMaxRows: number;
  readOnlyTimeoutMs: number;
}

interface JsonCompact {
  meta: Array<{ name: string; type: string }>;
  data: unknown[][];
}

const QUOTE_64BIT = '--output_format_json_quote_64bit_integers=1';

function toStoreError(err: unknown): StoreError {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { clickhouseCode?: number }).clickhouseCode ?? clickhouseErrorCode(message);
  return new StoreError(message, code);
}

async function run<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw toStoreError(err);
  }
}

function toResult(result: ChdbResult): QueryResult {
  const text = result.text();
  if (text.trim() === '') return { columns: [], rows: [] };
  let parsed: Partial<JsonCompact> | undefined;
  try {
    parsed = JSON.parse(text) as Partial<JsonCompact>;
  } catch {
    // Not JSONCompact: the statement named a FORMAT of its own.
  }
  if (!Array.isArray(parsed?.meta) || !Array.isArray(parsed.data)) {
    throw new StoreError('the statement chose its own output FORMAT; leave FORMAT out, the answer is always JSON {columns, rows}', undefined);
  }
  return { columns: parsed.meta, rows: parsed.data };
}

/** The embedded driver: ClickHouse running inside this process through libchdb. */
export class ChdbStore implements Store {
  readonly driver = 'chdb';
  private readonly writer: Session;
  private readonly reader: Session;

  constructor(options: ChdbStoreOptions) {
    const path = resolve(options.path);
    mkdirSync(path, { recursive: true });
    this.writer = new Session(path, { connectionArgs: [QUOTE_64BIT] });
    // A second connection to the same data whose every statement runs with readonly=1: the engine
    // itself refuses writes, SET and table functions such as file(), whatever the text says.
    this.reader = new Session(path, {
      connectionArgs: [
        QUOTE_64BIT,
        '--readonly=1',
        `--max_result_rows=${options.readOnlyMaxRows}`,
        '--result_overflow_mode=throw',
        `--max_execution_time=${Math.max(1, Math.ceil(options.readOnlyTimeoutMs / 1000))}`,
      ],
    });
  }

  command(sql: string): Promise<void> {
    return run(async () => {
      await this.writer.queryAsync(sql);
    });
  }

  insert(table: TableName, rows: readonly Row[], deduplicationToken?: string): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    const payload = Buffer.from(rows.map((row) => JSON.stringify(row)).join('\n'));
    return run(async () => {
      await this.writer.insert({ table, values: payload, format: 'JSONEachRow', settings: insertSettings(deduplicationToken) });
    });
  }

  query({ sql, params }: Query): Promise<QueryResult> {
    return run(async () => toResult(await this.writer.queryBindAsync(sql, params, { format: 'JSONCompact' })));
  }

  queryReadOnly(sql: string): Promise<QueryResult> {
    return run(async () => toResult(await this.reader.queryAsync(sql, { format: 'JSONCompact' })));
  }

  /** Closes both connections and waits until the engine has really let go of the folder. */
  async close(): Promise<void> {
    this.reader.close();
    this.writer.close();
    await drainPending();
  }
}
