import { pollUntil } from '@rollpoint/runtime';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { withoutStackTrace, type Store } from '../store/store.js';
import { backupNameAt, backupStatement, catalogueQuery, locationOf, operationQuery, type BackupTarget } from './statements.js';

/** deleted: removed by backups.schedule.keep; the catalogue keeps its row, the list leaves it out. */
export type BackupStatus = 'creating' | 'created' | 'failed' | 'deleted';

/** A backup as the catalogue and the API show it. */
export interface BackupEntry {
  name: string;
  /** When it started, ISO 8601. */
  time: string;
  /** The backup it adds to (an incremental one), else null. */
  base: string | null;
  /** Where it is, without credentials. */
  location: string;
  status: BackupStatus;
  /** Bytes it wrote: for an incremental backup, only what changed since its base. */
  size: number;
  error?: string;
}

interface CatalogueRow {
  name: string;
  time_ms: string | number;
  base: string;
  location: string;
  status: BackupStatus;
  size: string;
  error: string;
}

const entryOf = (row: CatalogueRow): BackupEntry => ({
  name: row.name,
  time: new Date(Number(row.time_ms)).toISOString(),
  base: row.base === '' ? null : row.base,
  location: row.location,
  status: row.status,
  size: Number(row.size),
  ...(row.error === '' ? {} : { error: row.error }),
});

/** A backup that cannot be made as asked; making it again as it is will not help. */
export class BackupRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupRefusedError';
  }
}

/** Writes one state of a backup to the catalogue; `updated` orders the states of one backup. */
export async function recordBackup(store: Store, entry: BackupEntry, updated: Date): Promise<void> {
  await store.insert('backups', [
    { name: entry.name, time: entry.time, base: entry.base ?? '', location: entry.location, status: entry.status, size: String(entry.size), error: entry.error ?? '', updated: updated.toISOString() },
  ]);
}

/** The catalogue's backups, oldest first, deleted ones left out. */
export async function listBackups(store: Store): Promise<BackupEntry[]> {
  return (await store.query<CatalogueRow>(catalogueQuery())).map(entryOf).filter((b) => b.status !== 'deleted');
}

/**
 * The backups to delete to keep the `keep` newest made ones: every older made or failed one, but
 * not a base a kept backup needs (an incremental one's whole chain is kept with it).
 */
export function expendableBackups(backups: readonly BackupEntry[], keep: number): BackupEntry[] {
  const byName = new Map(backups.map((b) => [b.name, b]));
  const kept = new Set<string>();
  for (const newest of backups.filter((b) => b.status === 'created').slice(-keep)) {
    for (let b: BackupEntry | undefined = newest; b !== undefined && !kept.has(b.name); b = b.base === null ? undefined : byName.get(b.base)) kept.add(b.name);
  }
  const oldestKept = Math.min(...backups.filter((b) => kept.has(b.name)).map((b) => Date.parse(b.time)));
  return backups.filter((b) => !kept.has(b.name) && b.status !== 'creating' && Date.parse(b.time) < oldestKept);
}

const RUNNING = new Set(['CREATING_BACKUP', 'RESTORING']);
const SUCCEEDED = new Set(['BACKUP_CREATED', 'RESTORED']);

/** Why an operation failed, as the engine says it without its stack trace (and without an S3 secret). */
const engineError = (operation: { status: string; error: string }, target: BackupTarget | undefined): string => {
  const error = withoutStackTrace(operation.error) || operation.status;
  return target === undefined ? error : withoutSecret(error, target);
};

/**
 * Waits for a BACKUP or RESTORE … ASYNC of this server to end, looking again after 50 ms, then
 * twice as long each time up to 2 s; resolves with the bytes it wrote or read, or throws its error.
 */
export function awaitOperation(store: Store, id: string): Promise<number> {
  return pollUntil(async () => {
    const operation = await operationOf(store, id);
    if (operation === undefined) throw new Error(`operation ${id} is not in system.backups of the server rollpoint talks to`);
    if (SUCCEEDED.has(operation.status)) return Number(operation.size);
    if (!RUNNING.has(operation.status)) throw new Error(engineError(operation, undefined));
    return undefined;
  }, { initialMs: 50, maxMs: 2000 });
}

/** A BACKUP or RESTORE … ASYNC as system.backups shows it; undefined where the server does not know it. */
async function operationOf(store: Store, id: string): Promise<{ status: string; error: string; size: string } | undefined> {
  const [operation] = await store.query<{ status: string; error: string; size: string }>(operationQuery(id));
  return operation;
}

export interface StartedBackup {
  /** The backup as recorded when it started: status creating. */
  started: BackupEntry;
  /** Resolves with it made, or rejects with why it failed. */
  done: Promise<BackupEntry>;
}

export interface BackupsOptions {
  store: Store;
  /** Undefined: a server with neither backups.disk nor backups.s3; every backup is refused. */
  target: BackupTarget | undefined;
  database: string;
  cluster?: string;
}

/**
 * Backups of rollpoint's whole database with ClickHouse's BACKUP, one at a time, each recorded in
 * the catalogue table (`backups`) before it starts and once it ended, so the list outlives the
 * process (system.backups does not).
 */
export class Backups {
  private running = false;
  private underWay: Promise<void> = Promise.resolve();

  constructor(private readonly options: BackupsOptions) {}

  list(): Promise<BackupEntry[]> {
    return listBackups(this.options.store);
  }

  /**
   * Starts a backup (`incremental`: only what changed since the newest backup made), once it is
   * recorded as being made; `done` follows it to its end, which the catalogue records either way.
   */
  async start({ incremental }: { incremental: boolean }): Promise<StartedBackup> {
    const { store, target } = this.options;
    if (target === undefined) throw new BackupRefusedError('backups are not configured for this server: set backups.disk (one of its backups.allowed_disk) or backups.s3');
    if (this.running) throw new BackupRefusedError('a backup is being made; try again once it has ended');
    this.running = true;
    let creating: BackupEntry;
    try {
      const base = incremental ? (await this.list()).filter((b) => b.status === 'created').at(-1)?.name : undefined;
      if (incremental && base === undefined) throw new BackupRefusedError('no backup to add to yet: make a full one first');
      const time = new Date();
      const name = backupNameAt(time);
      creating = { name, time: time.toISOString(), base: base ?? null, location: locationOf(target, name), status: 'creating', size: 0 };
      await recordBackup(store, creating, time);
    } catch (err) {
      this.running = false;
      throw err;
    }
    const done = this.make(creating, target).finally(() => {
      this.running = false;
    });
    this.underWay = done.then(
      () => undefined,
      () => undefined,
    );
    return { started: creating, done };
  }

  /** Makes a backup and waits for it. */
  async create(options: { incremental: boolean }): Promise<BackupEntry> {
    return (await this.start(options)).done;
  }

  /** Resolves once no backup this process started is under way (at shutdown). */
  idle(): Promise<void> {
    return this.underWay;
  }

  private async make(creating: BackupEntry, target: BackupTarget): Promise<BackupEntry> {
    const { store, database, cluster } = this.options;
    const { name, base } = creating;
    const started = new Date(creating.time);
    let size: number;
    try {
      await store.command(backupStatement({ database, ...(cluster !== undefined ? { cluster } : {}), target, name, ...(base !== null ? { base } : {}) }));
      size = await awaitOperation(store, name);
    } catch (err) {
      const error = withoutSecret(err instanceof Error ? err.message : String(err), target);
      await recordBackup(store, { ...creating, status: 'failed', error }, later(started));
      throw new Error(`backup ${name} failed: ${error}`, { cause: err });
    }
    const created: BackupEntry = { ...creating, status: 'created', size };
    await recordBackup(store, created, later(started));
    return created;
  }

  /**
   * At start: settles the backups the catalogue still has as being made. One the server finished
   * meanwhile gets its outcome; one it no longer knows (the embedded engine, or a server, stopped
   * while making it) failed. One still being made (by another backend of the same server) is left.
   */
  async settle(): Promise<BackupEntry[]> {
    const { store, target } = this.options;
    const settled: BackupEntry[] = [];
    for (const backup of (await this.list()).filter((b) => b.status === 'creating')) {
      const operation = await operationOf(store, backup.name);
      if (operation !== undefined && RUNNING.has(operation.status)) continue;
      const outcome: BackupEntry =
        operation !== undefined && SUCCEEDED.has(operation.status)
          ? { ...backup, status: 'created', size: Number(operation.size) }
          : { ...backup, status: 'failed', error: operation === undefined ? 'not finished: the backend or the server stopped while it was being made' : engineError(operation, target) };
      await recordBackup(store, outcome, new Date());
      settled.push(outcome);
    }
    return settled;
  }

  /** Embedded engine: deletes the backups beyond the `keep` newest (expendableBackups); returns them. */
  async prune(keep: number): Promise<BackupEntry[]> {
    const { store, target } = this.options;
    if (target?.kind !== 'file') throw new BackupRefusedError("rollpoint deletes the embedded engine's backups only");
    if (this.running) throw new BackupRefusedError('a backup is being made; try again once it has ended');
    this.running = true;
    try {
      const expendable = expendableBackups(await this.list(), keep);
      for (const backup of expendable) {
        await rm(join(target.folder, backup.name), { recursive: true, force: true });
        await recordBackup(store, { ...backup, status: 'deleted' }, new Date());
      }
      return expendable;
    } finally {
      this.running = false;
    }
  }
}

/** A moment after `time`, so a backup's later state replaces the earlier even within a millisecond. */
const later = (time: Date): Date => new Date(Math.max(Date.now(), time.getTime() + 1));

/** An error text of the engine with the S3 secret, should it quote it, hidden. */
const withoutSecret = (message: string, target: BackupTarget): string =>
  target.kind === 's3' ? message.replaceAll(target.secretAccessKey, '[HIDDEN]') : message;
