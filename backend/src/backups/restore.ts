import { existsSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { auditEntriesQuery, recordAuditEntries, type AuditRecord, type TimedAuditEntry } from '../audit/audit-log.js';
import type { BackendConfig } from '../config.js';
import { schemaObjectNames } from '../schema/migrations.js';
import { connectStore, openStore, storeLocation, storeRetryOf } from '../store/open.js';
import { queryDecoded } from '../store/row-decoder.js';
import { withoutStackTrace, type Store } from '../store/store.js';
import { awaitOperation, listBackups, recordBackup } from './backups.js';
import { backedUpDatabaseOf, backupTargetOf } from './config.js';
import { BACKUP_NAME, CHECK_TABLE, checkRestoreStatement, databaseTablesQuery, dropTableStatement, locationOf, restoreStatement, type BackupTarget } from './statements.js';

export interface RestoreOptions {
  /** A backup's name (in the configured target), or for the embedded engine the path of its folder. */
  from: string;
  /** Drops the tables of a rollpoint database in the target first (its audit entries since the backup are kept). */
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

/** A table or view of rollpoint's: one its migrations create (on a single node or a cluster), a materialized view's inner table, the readability check's. */
function isRollpoints(name: string, known: ReadonlySet<string>): boolean {
  return known.has(name) || name === CHECK_TABLE || name.startsWith('.inner.') || name.startsWith('.inner_id.');
}

/**
 * The tables to drop before restoring: none in an empty target. A target holding any table that is
 * not rollpoint's is refused, forced or not; rollpoint's own are dropped only when forced.
 */
async function tablesToDrop(store: Store, database: string, force: boolean, where: string): Promise<string[]> {
  const tables = (await store.query<{ name: string }>(databaseTablesQuery(database))).map((t) => t.name);
  if (tables.length === 0) return [];
  const known = new Set([...schemaObjectNames({ ttlDays: 0 }), ...schemaObjectNames({ ttlDays: 0, cluster: 'any' })]);
  const others = tables.filter((name) => !isRollpoints(name, known));
  if (others.length > 0) {
    throw new RestoreRefusedError(`database ${database} at ${where} holds tables that are not rollpoint's (${others.slice(0, 5).join(', ')}${others.length > 5 ? ', …' : ''}): restore into an empty one`);
  }
  if (!force) throw new RestoreRefusedError(`database ${database} at ${where} already holds rollpoint's ${tables.length} tables: restore into an empty one, or pass --force to drop them first`);
  return tables;
}

/**
 * Refuses a backup the engine cannot read, before anything is dropped: its smallest table is
 * restored beside rollpoint's under another name, then dropped. That reads the backup's metadata
 * (and its bases') wherever it is — a folder, a disk, S3 — and finds a typo'd name.
 */
async function checkReadable(store: Store, database: string, target: BackupTarget, name: string): Promise<void> {
  const id = `restore-check-${name}-${Date.now()}`;
  try {
    await store.command(checkRestoreStatement({ database, target, name }, id));
    await awaitOperation(store, id);
  } catch (err) {
    throw new RestoreRefusedError(`cannot read backup ${locationOf(target, name)}: ${withoutStackTrace((err as Error).message)}`);
  } finally {
    await store.command(dropTableStatement(database, CHECK_TABLE));
  }
}

/** The audit trail of the target, to keep what it recorded after the backup was made. */
async function auditTrailOf(store: Store, tables: readonly string[]): Promise<AuditRecord[]> {
  return tables.includes('audit_log') ? queryDecoded(store, auditEntriesQuery(0, 2 ** 32 - 1)) : [];
}

/** The entries of the target's audit trail newer than the restored one's newest, oldest first: they are put back. */
async function newerAuditEntries(store: Store, before: readonly AuditRecord[]): Promise<TimedAuditEntry[]> {
  const [newest] = await queryDecoded(store, auditEntriesQuery(0, 1));
  const since = newest === undefined ? -Infinity : Date.parse(newest.time);
  return before
    .filter((e) => Date.parse(e.time) > since)
    .reverse()
    .map(({ time, ...entry }) => ({ ...entry, time: new Date(time) }));
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
    await connectStore(store, config.storage, storeRetryOf(config.storage, logger));
    const dropped = await tablesToDrop(store, database, force, where);
    await checkReadable(store, database, located.target, located.name);
    const auditTrail = await auditTrailOf(store, dropped);
    if (dropped.length > 0) logger.warn({ database, store: where, tables: dropped.length }, "restore --force: dropping the target's tables");
    for (const table of dropped) await store.command(dropTableStatement(database, table, cluster));
    const id = `restore-${located.name}-${Date.now()}`;
    await store.command(restoreStatement({ database, ...(cluster !== undefined ? { cluster } : {}), target: located.target, name: located.name }, id));
    const size = await awaitOperation(store, id);
    const restored = (await listBackups(store)).find((b) => b.name === located.name);
    if (restored?.status === 'creating') await recordBackup(store, { ...restored, status: 'created', size }, new Date());
    const tables = (await store.query(databaseTablesQuery(database))).length;
    const location = locationOf(located.target, located.name);
    // The restored audit trail keeps what came after the backup, and says it was restored, and by
    // whom: no token, the machine's user.
    await recordAuditEntries(store, [
      ...(await newerAuditEntries(store, auditTrail)),
      {
        time: new Date(),
        tokenName: '',
        role: '',
        address: `${userInfo().username}@${hostname()}`,
        method: 'CLI',
        route: 'rollpoint-backend restore',
        action: 'restore',
        detail: `from ${location}${force ? ', --force' : ''}`,
        status: 0,
      },
    ]);
    return { name: located.name, location, tables, size };
  } finally {
    await store.close();
  }
}

