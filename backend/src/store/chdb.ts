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
  type ReadOnlyAnswer,
  type ReadOnlyOptions,
  type Row,
  type Settings,
  type StatementListener,
  type Store,
  withStoreErrors,
} from './store.js';
import { READ_ONLY_FORMAT, readOnlyAnswer } from './read-only-answer.js';
import { CANONICAL_STATEMENT, checkCanonicalStatement, checkReadableTables, RefusedStatementError, statementError } from './read-only-statement.js';
import { SessionPool } from './session-pool.js';

export interface ChdbStoreOptions {
  /** Folder holding the data; created when missing. */
  path: string;
  /** Limits for analysts' statements. */
  readOnlyMaxRows: number;
  /** Absent or 0: rows alone bound the answer. */
  readOnlyMaxBytes?: number;
  readOnlyTimeoutMs: number;
  /** Told of every statement before it runs. */
  onStatement?: StatementListener;
  /** The folder BACKUP … TO File() and RESTORE … FROM File() may use (the engine's backups.allowed_path); created when missing. Absent: none. */
  backupsPath?: string;
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

/** Connections for rollpoint's own queries beside the writer's: as many as independent queries gain from on 2 cores (measured). */
const QUERY_CONNECTIONS = 2;

function toStoreError(err: unknown): StoreError {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { clickhouseCode?: number }).clickhouseCode ?? clickhouseErrorCode(message);
  return new StoreError(message, code);
}

const run = <T>(work: () => Promise<T>): Promise<T> => withStoreErrors(work, toStoreError);

// libchdb keeps what a statement that failed while running had written, and hands it out in front
// of the next answer on that connection. A JSONCompact answer starts with this text and holds it
// once (its strings escape newlines and tabs), so the answer is what follows its last occurrence.
const JSON_COMPACT_START = '{\n\t"meta":';

/** A JSONCompact answer without what a failed statement left in front of it. */
const withoutLeftovers = (text: string): string => {
  const start = text.lastIndexOf(JSON_COMPACT_START);
  return start > 0 ? text.slice(start) : text;
};

// chdb streams SELECTs only; SHOW, DESCRIBE, EXPLAIN and EXISTS are answered whole (and small).
const NOT_STREAMABLE = /Streaming query is not supported/;
const NEWLINE = 0x0a;

/** The embedded driver: ClickHouse running inside this process through libchdb. */
export class ChdbStore implements Store {
  readonly driver = 'chdb';
  private readonly writer: Session;
  private readonly queries: SessionPool;
  private readonly path: string;
  private readonly readerArgs: string[];
  /** Connections for analysts' statements: chdb streams one answer at a time per connection. */
  private readonly readers = new Set<Session>();
  private readonly idleReaders: Session[] = [];
  private readonly onStatement: StatementListener;
  private readonly spoolDir: string;

  constructor(options: ChdbStoreOptions) {
    this.onStatement = options.onStatement ?? (() => {});
    this.spoolDir = options.spoolDir ?? defaultSpoolDir();
    this.path = resolve(options.path);
    mkdirSync(this.path, { recursive: true });
    // The engine's configuration is the process's: the readers get the allowed path too (their
    // readonly=1 does not stop BACKUP; the analysts' SQL refuses it, read-only-statement.ts).
    const backups = options.backupsPath === undefined ? [] : [`--backups.allowed_path=${resolve(options.backupsPath)}/`];
    if (options.backupsPath !== undefined) mkdirSync(options.backupsPath, { recursive: true });
    const open = () => new Session(this.path, { connectionArgs: [QUOTE_64BIT, ...backups] });
    this.writer = open();
    this.queries = new SessionPool(open, QUERY_CONNECTIONS);
    // Further connections to the same data whose every statement runs with readonly=1: the engine
    // itself refuses writes, SET and table functions such as file(), whatever the text says.
    this.readerArgs = [
      QUOTE_64BIT,
      '--readonly=1',
      `--max_result_rows=${options.readOnlyMaxRows}`,
      `--max_result_bytes=${options.readOnlyMaxBytes ?? 0}`,
      '--result_overflow_mode=throw',
      `--max_execution_time=${Math.max(1, Math.ceil(options.readOnlyTimeoutMs / 1000))}`,
    ];
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
    return run(async () => namedRows(parseJsonCompact(withoutLeftovers((await this.queries.use((session) => session.queryBindAsync(sql, params, { format: 'JSONCompact' }))).text()))) as T[]);
  }

  /**
   * Asks the engine for the statement's canonical form (refusing a FORMAT or INTO OUTFILE of its
   * own), then streams its answer on a reader connection, which goes back to the idle ones once the
   * answer has been read to its end.
   */
  queryReadOnly(sql: string, options: ReadOnlyOptions = {}): Promise<ReadOnlyAnswer> {
    const check = { statement: sql };
    this.onStatement({ kind: 'read_only', sql: CANONICAL_STATEMENT, params: check });
    return run(async () => {
      const reader = this.idleReaders.pop() ?? this.openReader();
      try {
        const canonical = await reader.queryBindAsync(CANONICAL_STATEMENT, check, { format: 'JSONCompactEachRow' });
        const statement = (JSON.parse(canonical.text()) as [string])[0];
        checkCanonicalStatement(statement);
        // The embedded engine's tables are in its default database.
        if (options.readable !== undefined) await checkReadableTables(statement, sql, options.readable, 'default', (tree) => this.explain(reader, tree));
      } catch (err) {
        // A refused statement never ran; the connection is as it was.
        this.releaseReader(reader, err instanceof RefusedStatementError);
        throw statementError(err instanceof StoreError ? err : toStoreError(err));
      }
      this.onStatement({ kind: 'read_only', sql });
      return readOnlyAnswer(this.answerChunks(reader, sql), toStoreError);
    });
  }

  /** A statement's query tree, on the reader that will run it. */
  private async explain(reader: Session, tree: string): Promise<string> {
    this.onStatement({ kind: 'read_only', sql: tree });
    try {
      return (await reader.queryAsync(tree, { format: 'TSVRaw' })).text();
    } catch (err) {
      throw toStoreError(err);
    }
  }

  private openReader(): Session {
    const reader = new Session(this.path, { connectionArgs: this.readerArgs });
    this.readers.add(reader);
    return reader;
  }

  /**
   * Only a connection whose last statement succeeded and was read to its end serves the next one:
   * chdb prepends what a statement that failed while running had written (a limit reached) to the
   * next answer on its connection, and a stream stopped part-way may still have a fetch running
   * (close() waits for it).
   */
  private releaseReader(reader: Session, clean: boolean): void {
    if (clean) {
      this.idleReaders.push(reader);
      return;
    }
    this.readers.delete(reader);
    reader.close();
  }

  private async *answerChunks(reader: Session, sql: string): AsyncGenerator<Uint8Array> {
    let readToEnd = false;
    try {
      let stream: ReturnType<Session['queryStream']>;
      try {
        stream = reader.queryStream(sql, { format: READ_ONLY_FORMAT });
      } catch (err) {
        if (!NOT_STREAMABLE.test(String((err as Error).message))) throw err;
        yield (await reader.queryAsync(sql, { format: READ_ONLY_FORMAT })).bytes();
        readToEnd = true;
        return;
      }
      // chdb writes each chunk as a document of its own, the names and types lines first: the
      // answer keeps the first chunk's.
      let header: Buffer | undefined;
      for await (const chunk of stream) {
        const raw = chunk.raw();
        const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
        if (header === undefined) {
          header = bytes.subarray(0, bytes.indexOf(NEWLINE, bytes.indexOf(NEWLINE) + 1) + 1);
          yield bytes;
        } else yield bytes.subarray(0, header.length).equals(header) ? bytes.subarray(header.length) : bytes;
      }
      readToEnd = true;
    } finally {
      this.releaseReader(reader, readToEnd);
    }
  }

  /** Closes every connection and waits until the engine has really let go of the folder. */
  async close(): Promise<void> {
    for (const reader of this.readers) reader.close();
    this.queries.close();
    this.writer.close();
    await drainPending();
  }
}
