import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { open, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { drainPending, Session } from 'chdb';
import type { TableName } from '../schema/tables.js';
import {
  asQuery,
  clickhouseErrorCode,
  insertSettings,
  rowBinaryInsertSettings,
  sqlString,
  insertStatement,
  namedRows,
  parseJsonCompact,
  rowBinaryInsertStatement,
  type RowBinaryInsert,
  StoreError,
  type NamedRow,
  type Query,
  type QueryResult,
  type Row,
  type Settings,
  type StatementListener,
  type Store,
  withStoreErrors,
} from './store.js';

export interface ChdbStoreOptions {
  /** Folder holding the data; created when missing. */
  path: string;
  /** Limits for analysts' statements. */
  readOnlyMaxRows: number;
  readOnlyTimeoutMs: number;
  /** Told of every statement before it runs. */
  onStatement?: StatementListener;
  /** Folder for the files RowBinary inserts are read from; default: /dev/shm where it exists, else the system's temporary folder. */
  spoolDir?: string;
}

// In-process, parsing threads compete with Node's own; splitting one batch across them costs more
// than it saves at rollpoint's batch sizes (measured). A server parses on its own cores.
const EMBEDDED_INSERT_SETTINGS: Settings = { input_format_parallel_parsing: 0 };

/** /dev/shm (memory, no disk write) where the machine has it writable, else the system's temporary folder. */
function defaultSpoolDir(): string {
  try {
    if (statSync('/dev/shm').isDirectory()) {
      accessSync('/dev/shm', constants.W_OK);
      return '/dev/shm';
    }
  } catch {
    // No /dev/shm here.
  }
  return tmpdir();
}

const settingsClause = (settings: Settings): string =>
  Object.entries(settings)
    .map(([name, value]) => `${name} = ${typeof value === 'number' ? value : sqlString(value)}`)
    .join(', ');

const QUOTE_64BIT = '--output_format_json_quote_64bit_integers=1';

function toStoreError(err: unknown): StoreError {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { clickhouseCode?: number }).clickhouseCode ?? clickhouseErrorCode(message);
  return new StoreError(message, code);
}

const run = <T>(work: () => Promise<T>): Promise<T> => withStoreErrors(work, toStoreError);

/** The embedded driver: ClickHouse running inside this process through libchdb. */
export class ChdbStore implements Store {
  readonly driver = 'chdb';
  private readonly writer: Session;
  private readonly reader: Session;
  private readonly onStatement: StatementListener;
  private readonly spoolDir: string;

  constructor(options: ChdbStoreOptions) {
    this.onStatement = options.onStatement ?? (() => {});
    this.spoolDir = options.spoolDir ?? defaultSpoolDir();
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

  command(statement: string | Query): Promise<void> {
    const { sql, params } = asQuery(statement);
    this.onStatement({ kind: 'command', sql, params });
    return run(async () => {
      await this.writer.queryBindAsync(sql, params);
    });
  }

  insert(table: TableName, rows: readonly Row[], deduplicationToken?: string): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    const settings = insertSettings(deduplicationToken);
    this.onStatement({ kind: 'insert', sql: insertStatement(table), settings, rows: rows.length });
    const payload = Buffer.from(rows.map((row) => JSON.stringify(row)).join('\n'));
    return run(async () => {
      await this.writer.insert({ table, values: payload, format: 'JSONEachRow', settings: { ...settings, ...EMBEDDED_INSERT_SETTINGS } });
    });
  }

  /**
   * The rows go to a file in the spool folder and the engine reads them with file(): chdb takes only
   * text formats from memory, and RowBinary read by file() costs the engine far less than any of
   * them, and less than FROM INFILE (docs/BENCHMARKS.md).
   */
  insertRowBinary(insert: RowBinaryInsert): Promise<void> {
    if (insert.rows === 0) return Promise.resolve();
    const settings = rowBinaryInsertSettings(insert.deduplicationToken);
    this.onStatement({ kind: 'insert', sql: rowBinaryInsertStatement(insert), settings, rows: insert.rows });
    const names = insert.columns.map((c) => c.name).join(', ');
    const structure = insert.columns.map((c) => `\`${c.name}\` ${c.type}`).join(', ');
    return run(async () => {
      const file = await this.spool(insert.chunks);
      try {
        await this.writer.queryAsync(
          `INSERT INTO ${insert.table} (${names}) SETTINGS ${settingsClause(settings)} SELECT * FROM file(${sqlString(file)}, 'RowBinary', ${sqlString(structure)})`,
        );
      } finally {
        await unlink(file).catch(() => {});
      }
    });
  }

  /**
   * Writes the chunks to a new file in the spool folder, else (full, as a container's 64 MiB
   * /dev/shm can be) in the system's temporary folder; returns its path. A short write is an error:
   * a file cut at a row boundary would insert without complaint.
   */
  private async spool(chunks: readonly Uint8Array[]): Promise<string> {
    const size = chunks.reduce((n, c) => n + c.length, 0);
    const write = async (dir: string): Promise<string> => {
      const file = join(dir, `rollpoint-${process.pid}-${randomUUID()}.rowbinary`);
      const handle = await open(file, 'wx', 0o600);
      try {
        const { bytesWritten } = await handle.writev(chunks as Uint8Array[]);
        if (bytesWritten !== size) throw new Error(`wrote ${bytesWritten} of ${size} bytes to ${file}`);
      } catch (err) {
        await handle.close();
        await unlink(file).catch(() => {});
        throw err;
      }
      await handle.close();
      return file;
    };
    try {
      return await write(this.spoolDir);
    } catch (err) {
      if (this.spoolDir === tmpdir()) throw err;
      return write(tmpdir());
    }
  }

  query<T extends object = NamedRow>({ sql, params }: Query): Promise<T[]> {
    this.onStatement({ kind: 'query', sql, params });
    return run(async () => namedRows(parseJsonCompact((await this.writer.queryBindAsync(sql, params, { format: 'JSONCompact' })).text())) as T[]);
  }

  queryReadOnly(sql: string): Promise<QueryResult> {
    this.onStatement({ kind: 'read_only', sql });
    return run(async () => parseJsonCompact((await this.reader.queryAsync(sql, { format: 'JSONCompact' })).text()));
  }

  /** Closes both connections and waits until the engine has really let go of the folder. */
  async close(): Promise<void> {
    this.reader.close();
    this.writer.close();
    await drainPending();
  }
}
