import { ClickHouseLogLevel, createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { Readable } from 'node:stream';
import type { TableName } from '../schema/tables.js';
import {
  asQuery,
  clickhouseErrorCode,
  insertSettings,
  rowBinaryInsertSettings,
  insertStatement,
  namedRows,
  parseJsonCompact,
  rowBinaryInsertStatement,
  type RowBinaryInsert,
  StoreError,
  type NamedRow,
  type Query,
  type QueryResult,
  type ReadOnlyAnswer,
  type ReadOnlyOptions,
  type Row,
  type Settings,
  type StatementListener,
  type Store,
  withStoreErrors,
} from './store.js';
import { READ_ONLY_FORMAT, readOnlyAnswer } from './read-only-answer.js';
import { CANONICAL_STATEMENT, checkCanonicalStatement, checkReadableTables, statementError } from './read-only-statement.js';

export interface ClickHouseStoreOptions {
  /** http(s)://host:port of the server's HTTP interface. */
  url: string;
  username: string;
  password: string;
  database: string;
  /** PEM of the CA that signed the server's certificate, for https URLs. */
  ca?: Buffer;
  requestTimeoutMs: number;
  /** gzip request bodies (inserts) and responses. */
  compression: boolean;
  /** Settings of every statement on this connection (a cluster's synchronous distributed inserts). */
  settings?: Settings;
  /** Limits for analysts' statements. */
  readOnlyMaxRows: number;
  /** Absent or 0: rows alone bound the answer. */
  readOnlyMaxBytes?: number;
  readOnlyTimeoutMs: number;
  /** Told of every statement before it is sent. */
  onStatement?: StatementListener;
}

// Errors of the socket rather than of ClickHouse: the server may come back, so callers retry.
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE']);

function isUnreachable(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && UNREACHABLE.has(code)) return true;
  const message = err instanceof Error ? err.message : '';
  return /^Timeout error|socket hang up/i.test(message);
}

// Node's codes for a certificate it does not trust: SELF_SIGNED_CERT_IN_CHAIN, CERT_HAS_EXPIRED, ….
const isCertificateError = (err: unknown): boolean => /CERT|SIGNATURE|ERR_TLS/.test(String((err as { code?: unknown }).code ?? ''));

function toStoreError(err: unknown): StoreError {
  const message = err instanceof Error ? err.message : String(err);
  // The client parses the code out of a current server's error text; an old server's format it leaves whole.
  const parsed = (err as { code?: unknown }).code;
  const code = typeof parsed === 'string' && /^\d+$/.test(parsed) ? Number(parsed) : clickhouseErrorCode(message);
  return new StoreError(message, code, { unreachable: isUnreachable(err), tls: isCertificateError(err) });
}

const run = <T>(work: () => Promise<T>): Promise<T> => withStoreErrors(work, toStoreError);

/** The server driver: a ClickHouse server or cluster over HTTP(S), through @clickhouse/client. */
export class ClickHouseStore implements Store {
  readonly driver = 'clickhouse';
  private readonly client: ClickHouseClient;
  private readonly readOnlySettings: ClickHouseSettings;
  private readonly onStatement: StatementListener;
  private readonly database: string;

  constructor(options: ClickHouseStoreOptions) {
    this.onStatement = options.onStatement ?? (() => {});
    this.client = createClient({
      url: options.url,
      username: options.username,
      password: options.password,
      database: options.database,
      request_timeout: options.requestTimeoutMs,
      compression: { request: options.compression, response: options.compression },
      ...(options.ca ? { tls: { ca_cert: options.ca } } : {}),
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1, ...options.settings },
      application: 'rollpoint',
      // Errors reach rollpoint's own log through the promises; the client's console lines would repeat them.
      log: { level: ClickHouseLogLevel.OFF },
    });
    // readonly=1 comes last: after it the server refuses to change any setting.
    this.database = options.database;
    this.readOnlySettings = {
      max_result_rows: String(options.readOnlyMaxRows),
      max_result_bytes: String(options.readOnlyMaxBytes ?? 0),
      result_overflow_mode: 'throw',
      max_execution_time: Math.max(1, Math.ceil(options.readOnlyTimeoutMs / 1000)),
      // The server holds the answer until the statement has ended, so a failure part-way (a limit
      // reached) is an HTTP error, not text appended to rows already sent.
      wait_end_of_query: 1,
      default_format: READ_ONLY_FORMAT,
      readonly: '1',
    };
  }

  command(statement: string | Query): Promise<void> {
    const { sql, params } = asQuery(statement);
    this.onStatement({ kind: 'command', sql, params });
    return run(async () => {
      await this.client.command({ query: sql, query_params: params });
    });
  }

  insert(table: TableName, rows: readonly Row[], deduplicationToken?: string): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    const settings = insertSettings(deduplicationToken);
    this.onStatement({ kind: 'insert', sql: insertStatement(table), settings, rows: rows.length });
    return run(async () => {
      await this.client.insert({ table, values: rows as Row[], format: 'JSONEachRow', clickhouse_settings: settings });
    });
  }

  /** The rows are the request's body, streamed from their chunks (gzipped when compression is on). */
  insertRowBinary(insert: RowBinaryInsert): Promise<void> {
    if (insert.rows === 0) return Promise.resolve();
    const settings = rowBinaryInsertSettings(insert.deduplicationToken);
    const sql = rowBinaryInsertStatement(insert);
    this.onStatement({ kind: 'insert', sql, settings, rows: insert.rows });
    return run(async () => {
      const { stream } = await this.client.exec({ query: sql, values: Readable.from(insert.chunks), clickhouse_settings: settings });
      // An insert answers nothing; the socket goes back to the pool once the answer is read.
      for await (const chunk of stream) void chunk;
    });
  }

  query<T extends object = NamedRow>({ sql, params }: Query): Promise<T[]> {
    this.onStatement({ kind: 'query', sql, params });
    return run(async () => namedRows(await this.select(sql, params)) as T[]);
  }

  /**
   * Asks the server for the statement's canonical form (refusing a FORMAT or INTO OUTFILE of its
   * own), then streams its answer: the statement goes as it was written, in the default format.
   */
  queryReadOnly(sql: string, options: ReadOnlyOptions = {}): Promise<ReadOnlyAnswer> {
    const check = { statement: sql };
    this.onStatement({ kind: 'read_only', sql: CANONICAL_STATEMENT, params: check });
    return run(async () => {
      try {
        const canonical = await this.client.query({ query: CANONICAL_STATEMENT, query_params: check, format: 'JSONCompactEachRow', clickhouse_settings: this.readOnlySettings });
        const statement = ((await canonical.json()) as [[string]])[0][0];
        checkCanonicalStatement(statement);
        if (options.readable !== undefined) await checkReadableTables(statement, sql, options.readable, this.database, (tree) => this.explain(tree));
      } catch (err) {
        throw statementError(err instanceof StoreError ? err : toStoreError(err));
      }
      this.onStatement({ kind: 'read_only', sql });
      const { stream } = await this.client.exec({ query: sql, clickhouse_settings: this.readOnlySettings });
      return readOnlyAnswer(stream[Symbol.asyncIterator](), toStoreError);
    });
  }

  /** A statement's query tree, as the server's analyzer (24.3 and newer) resolves it. */
  private async explain(tree: string): Promise<string> {
    this.onStatement({ kind: 'read_only', sql: tree });
    try {
      return await (await this.client.query({ query: tree, format: 'TabSeparatedRaw', clickhouse_settings: this.readOnlySettings })).text();
    } catch (err) {
      throw toStoreError(err);
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private async select(sql: string, params: Record<string, unknown>, settings?: ClickHouseSettings): Promise<QueryResult> {
    const result = await this.client.query({
      query: sql,
      format: 'JSONCompact',
      ...(Object.keys(params).length > 0 ? { query_params: params } : {}),
      ...(settings ? { clickhouse_settings: settings } : {}),
    });
    return parseJsonCompact(await result.text());
  }
}
