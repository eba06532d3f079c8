import { existsSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { recordAuditEntry } from '../audit/audit-log.js';
import type { BackendConfig } from '../config.js';
import { connectStore, openStore, storeLocation } from '../store/open.js';
import type { Store } from '../store/store.js';
import { awaitOperation, listBackups, recordBackup } from './backups.js';
import { backedUpDatabaseOf, backupTargetOf } from './config.js';
import { BACKUP_NAME, databaseTablesQuery, dropTableStatement, locationOf, restoreStatement, type BackupTarget } from './statements.js';

export interface RestoreOptions {
  /** A backup's name (in the configured target), or for the embedded engine the path of its folder. */
  from: string;
  /** Drops the tables of a rollpoint database in the target first. */
  force: boolean;
}

export interface RestoreResult {
  name: string;
  location: string;
  /** Tables and views restored. */
  tables: number;
  /** Bytes read. */
  size: number;
}

/** A restore refused as asked: the target is not empty, or no such backup. */
export class RestoreRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreRefusedError';
  }
}

const MIGRATIONS_TABLE = 'rollpoint_schema_migrations';

/** The backup `from` names, and the configuration to open the store with so that the engine may read it. */
function locate(config: BackendConfig, from: string): { target: BackupTarget; name: string; config: BackendConfig } {
  const byPath = config.storage.driver === 'chdb' && from.includes('/');
  const name = byPath ? basename(resolve(from)) : from;
  if (!BACKUP_NAME.test(name)) throw new RestoreRefusedError(`"${from}" is not a backup name (letters, digits, _ . -)${config.storage.driver === 'chdb' ? ' or the path of a backup folder' : ''}`);
  if (!byPath) {
    const target = backupTargetOf(config);
    if (target === undefined) throw new RestoreRefusedError('backups are not configured for this server: set backups.disk or backups.s3 to where the backup is');
    if (target.kind === 'file' && !existsSync(join(target.folder, name, '.backup'))) throw new RestoreRefusedError(`no backup ${name} in ${target.folder}`);
    return { target, name, config };
  }
  // A folder elsewhere: the engine may read backups beside it (an incremental one's bases were made there too).
  const folder = dirname(resolve(from));
  if (!existsSync(join(folder, name, '.backup'))) throw new RestoreRefusedError(`${resolve(from)} is not a backup folder (it has no .backup file)`);
  return { target: { kind: 'file', folder }, name, config: { ...config, backups: { ...config.backups, path: folder } } };
}

/** Refuses a target holding tables, unless it is a rollpoint database and `force` drops them. */
async function clearTarget(store: Store, database: string, cluster: string | undefined, force: boolean, where: string, logger: Logger): Promise<void> {
  const tables = (await store.query<{ name: string }>(databaseTablesQuery(database))).map((t) => t.name);
  if (tables.length === 0) return;
  if (!tables.includes(MIGRATIONS_TABLE)) {
    throw new RestoreRefusedError(`database ${database} at ${where} holds tables that are not rollpoint's (${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', …' : ''}): restore into an empty one`);
  }
  if (!force) throw new RestoreRefusedError(`database ${database} at ${where} already holds rollpoint's ${tables.length} tables: restore into an empty one, or pass --force to drop them first`);
  logger.warn({ database, store: where, tables: tables.length }, "restore --force: dropping the target's tables");
  for (const table of tables) await store.command(dropTableStatement(database, table, cluster));
}

/** The store to restore into; the embedded engine's folder cannot be opened while a backend holds it. */
function openTarget(config: BackendConfig): Store {
  try {
    return openStore(config);
  } catch (err) {
    if (config.storage.driver !== 'chdb') throw err;
    throw new RestoreRefusedError(`cannot open the data folder ${config.storage.chdb.path} (${(err as Error).message}): is a backend still running on it? Stop it first`);
  }
}

/**
 * `rollpoint-backend restore`: restores rollpoint's database from a backup into the configured
 * store, with no backend running on it. The restored catalogue holds the backups made before
 * this one, and this one as it was being made: it is marked made.
 */
export async function restoreBackup(config: BackendConfig, { from, force }: RestoreOptions, logger: Logger): Promise<RestoreResult> {
  const located = locate(config, from);
  const { database, cluster } = backedUpDatabaseOf(config);
  const where = storeLocation(config.storage);
  const store = openTarget(located.config);
  try {
    const backoff = config.storage.clickhouse.connect_retry;
    await connectStore(store, config.storage, { logger, location: where, initialMs: backoff.initial_interval, maxMs: backoff.max_interval });
    await clearTarget(store, database, cluster, force, where, logger);
    const id = `restore-${located.name}-${Date.now()}`;
    await store.command(restoreStatement({ database, ...(cluster !== undefined ? { cluster } : {}), target: located.target, name: located.name }, id));
    const size = await awaitOperation(store, id);
    const restored = (await listBackups(store)).find((b) => b.name === located.name);
    if (restored?.status === 'creating') await recordBackup(store, { ...restored, status: 'created', size }, new Date());
    const tables = (await store.query(databaseTablesQuery(database))).length;
    const location = locationOf(located.target, located.name);
    // The restored audit trail says it was restored, and by whom: no token, the machine's user.
    await recordAuditEntry(store, {
      tokenName: '',
      role: '',
      address: `${userInfo().username}@${hostname()}`,
      method: 'CLI',
      route: 'rollpoint-backend restore',
      action: 'restore',
      detail: `from ${location}${force ? ', --force' : ''}`,
      status: 0,
    });
    return { name: located.name, location, tables, size };
  } finally {
    await store.close();
  }
}

