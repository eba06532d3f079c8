import { readFileSync } from 'node:fs';
import { withRetries } from '@rollpoint/runtime';
import type { Logger } from 'pino';
import { embeddedBackupsPath } from '../backups/config.js';
import type { BackendConfig } from '../config.js';
import type { SchemaOptions } from '../schema/layout.js';
import { RETENTION_FAMILIES, type Retention } from '../schema/retention.js';
import { ChdbStore } from './chdb.js';
import { ClickHouseStore } from './clickhouse.js';
import { StoreError, type Store } from './store.js';

/**
 * The oldest ClickHouse rollpoint runs on. The schema itself needs 23.3 (lightweight DELETE of
 * window_health without an experimental flag; insert_deduplication_token, Map columns, window
 * functions with lagInFrame and the Bool type all came earlier); 23.8 is the oldest long-term
 * support release at or above that, and the oldest one we document.
 */
export const MIN_SERVER_VERSION = '23.8';

type StorageConfig = BackendConfig['storage'];

/** The options the DDL is generated with. */
export const schemaOptionsOf = (storage: StorageConfig): SchemaOptions => ({
  ttlDays: storage.ttl_days,
  ...(storage.driver === 'clickhouse' && storage.clickhouse.cluster !== undefined ? { cluster: storage.clickhouse.cluster, database: storage.clickhouse.database } : {}),
});

/** Each family's retention in seconds: storage.retention's, or ttl_days where it names none. */
export const retentionOf = (storage: StorageConfig): Retention =>
  Object.fromEntries(RETENTION_FAMILIES.map((family) => [family, (storage.retention[family] ?? storage.ttl_days * 86_400_000) / 1000])) as Retention;

/** Where the store is, for log lines and messages: a URL without any credentials written into it. */
export function storeLocation(storage: StorageConfig): string {
  if (storage.driver === 'chdb') return storage.chdb.path;
  const url = new URL(storage.clickhouse.url);
  url.username = '';
  url.password = '';
  return url.toString().replace(/\/$/, '');
}

/** The configured driver; nothing is contacted until the first statement. */
export function openStore(config: Pick<BackendConfig, 'storage' | 'sql' | 'backups'>): Store {
  const { storage, sql } = config;
  const limits = { readOnlyMaxRows: sql.max_rows, readOnlyMaxBytes: Math.round(sql.max_result_mib * 1024 * 1024), readOnlyTimeoutMs: sql.timeout };
  if (storage.driver === 'chdb') return new ChdbStore({ path: storage.chdb.path, backupsPath: embeddedBackupsPath(config.backups, storage.chdb.path), ...limits });
  const server = storage.clickhouse;
  return new ClickHouseStore({
    url: server.url,
    username: server.username,
    password: server.password,
    database: server.database,
    ...(server.tls ? { ca: readFileSync(server.tls.ca_file) } : {}),
    requestTimeoutMs: server.request_timeout,
    compression: server.compression,
    // On a cluster an insert is acknowledged only when every shard has stored its part.
    ...(server.cluster !== undefined ? { settings: { insert_distributed_sync: 1 } } : {}),
    ...limits,
  });
}

/** A store that cannot be used as configured; retrying will not help. */
class StoreRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreRefusedError';
  }
}

const AUTHENTICATION_CODES = new Set([192, 193, 194, 516]); // unknown user, wrong password, password required, authentication failed
const UNKNOWN_DATABASE_CODE = 81;

/** Compares dotted version numbers: negative when a is older than b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Turns a first answer that refuses us into a message that says what to fix. */
function refusal(err: StoreError, storage: StorageConfig): StoreRefusedError {
  const where = storeLocation(storage);
  if (err.tls) {
    return new StoreRefusedError(
      `TLS to ClickHouse at ${where} failed (${firstLine(err.message)}): set storage.clickhouse.tls.ca_file to the CA that signed the server's certificate`,
    );
  }
  if (err.code !== undefined && AUTHENTICATION_CODES.has(err.code)) {
    return new StoreRefusedError(
      `ClickHouse at ${where} refused user '${storage.clickhouse.username}' (wrong password or unknown user): check storage.clickhouse.username and password. The server said: ${firstLine(err.message)}`,
    );
  }
  if (err.code === UNKNOWN_DATABASE_CODE) {
    const db = storage.clickhouse.database;
    return new StoreRefusedError(`database '${db}' does not exist on ClickHouse at ${where}: create it (CREATE DATABASE ${db}) or set storage.clickhouse.database`);
  }
  return new StoreRefusedError(`ClickHouse at ${where} refused rollpoint's first query: ${firstLine(err.message)}`);
}

const firstLine = (text: string): string => text.split('\n')[0]!.trim();

export interface RetryOptions {
  logger: Logger;
  /** Where the store is, for the log. */
  location: string;
  /** Waits between attempts while the server cannot be reached: from initialMs, doubling up to maxMs. */
  initialMs: number;
  maxMs: number;
}

/** How the store is waited for while it cannot be reached, from `storage.clickhouse.connect_retry`. */
export function storeRetryOf(storage: StorageConfig, logger: Logger): RetryOptions {
  const { initial_interval, max_interval } = storage.clickhouse.connect_retry;
  return { logger, location: storeLocation(storage), initialMs: initial_interval, maxMs: max_interval };
}

/** Runs `work` until it succeeds or fails otherwise than by an unreachable server, waiting with backoff between attempts. */
export function retryWhileUnreachable<T>(what: string, work: () => Promise<T>, { logger, location, initialMs, maxMs }: RetryOptions): Promise<T> {
  return withRetries(work, {
    backoff: { initial_interval: initialMs, max_interval: maxMs, multiplier: 2, randomization_factor: 0 },
    retryable: (err) => err instanceof StoreError && err.unreachable,
    onRetry: (err, delayMs, attempt) => logger.warn({ store: location, attempt, retry_in_ms: delayMs, err: firstLine(err.message) }, `ClickHouse unreachable; retrying ${what}`),
  });
}

/**
 * Reads the server's version, waiting with backoff while it cannot be reached, and refuses a
 * server older than MIN_SERVER_VERSION, wrong credentials or an unknown database with a message
 * naming what to fix. Returns the version.
 */
export async function connectStore(store: Store, storage: StorageConfig, retry: RetryOptions): Promise<string> {
  const [row] = await retryWhileUnreachable('the first query', () => store.query<{ version: string }>({ sql: 'SELECT version() AS version', params: {} }), retry).catch((err: unknown) => {
    throw err instanceof StoreError ? refusal(err, storage) : err;
  });
  const version = String(row?.version ?? '');
  if (compareVersions(version, MIN_SERVER_VERSION) < 0) {
    throw new StoreRefusedError(
      `ClickHouse at ${storeLocation(storage)} is version ${version}; rollpoint needs ${MIN_SERVER_VERSION} or newer (its schema uses lightweight DELETE, Map columns, window functions and insert deduplication tokens): upgrade the server`,
    );
  }
  return version;
}
