import { join } from 'node:path';
import { onCluster } from '../schema/layout.js';
import { sqlString, type Query } from '../store/store.js';

// Every statement of backups and restores. BACKUP and RESTORE take no query parameters, so their
// text is made here from names rollpoint chooses or checks (BACKUP_NAME) and from the configuration.

/** Where backups go: a folder of the embedded engine, a server's disk, or an S3 bucket. */
export type BackupTarget =
  | { kind: 'file'; folder: string }
  | { kind: 'disk'; disk: string }
  | { kind: 's3'; endpoint: string; accessKeyId: string; secretAccessKey: string };

/** What a backup may be called: a folder name, no path. */
export const BACKUP_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** A new backup's name, from the time it starts: rollpoint-20261201T161428841Z. */
export const backupNameAt = (time: Date): string => `rollpoint-${time.toISOString().replace(/[-:.]/g, '')}`;

const s3Url = (endpoint: string, name: string): string => `${endpoint.replace(/\/+$/, '')}/${name}`;

/** Backup `name` as BACKUP and RESTORE name where it is (S3 with its credentials). */
export function destination(target: BackupTarget, name: string): string {
  switch (target.kind) {
    case 'file':
      return `File(${sqlString(join(target.folder, name))})`;
    case 'disk':
      return `Disk(${sqlString(target.disk)}, ${sqlString(name)})`;
    case 's3':
      return `S3(${sqlString(s3Url(target.endpoint, name))}, ${sqlString(target.accessKeyId)}, ${sqlString(target.secretAccessKey)})`;
  }
}

/** Where backup `name` is, for people: never a credential. */
export function locationOf(target: BackupTarget, name: string): string {
  switch (target.kind) {
    case 'file':
      return join(target.folder, name);
    case 'disk':
      return `disk ${target.disk}: ${name}`;
    case 's3':
      return s3Url(target.endpoint, name);
  }
}

export interface BackupSpec {
  /** rollpoint's database: the embedded engine's `default`, a server's storage.clickhouse.database. */
  database: string;
  cluster?: string;
  target: BackupTarget;
  name: string;
  /** The backup this one adds to: only what changed since it is written. */
  base?: string;
}

/**
 * BACKUP of the whole database, its operation id the backup's name. ASYNC: the statement returns at
 * once and the backup is followed in system.backups (operationQuery), so no request timeout cuts it
 * short and the embedded engine's connection is free for inserts meanwhile.
 */
export const backupStatement = ({ database, cluster, target, name, base }: BackupSpec): string =>
  `BACKUP DATABASE ${database}${onCluster({ cluster })} TO ${destination(target, name)} SETTINGS id = ${sqlString(name)}${base === undefined ? '' : `, base_backup = ${destination(target, base)}`} ASYNC`;

/** RESTORE of the whole database from backup `name`, as operation `id` (ASYNC as a BACKUP); its bases are found through the backup itself. */
export const restoreStatement = ({ database, cluster, target, name }: Omit<BackupSpec, 'base'>, id: string): string =>
  `RESTORE DATABASE ${database}${onCluster({ cluster })} FROM ${destination(target, name)} SETTINGS id = ${sqlString(id)} ASYNC`;

/** The table a restore reads from a backup first, to see that the backup is there and readable: the smallest, always there. */
const CHECKED_TABLE = 'rollpoint_schema_migrations';
/** Where that table is restored, and dropped after. */
export const CHECK_TABLE = 'rollpoint_restore_check';

/** RESTORE of CHECKED_TABLE alone as CHECK_TABLE, on this server only. */
export const checkRestoreStatement = ({ database, target, name }: Omit<BackupSpec, 'base' | 'cluster'>, id: string): string =>
  `RESTORE TABLE ${database}.${CHECKED_TABLE} AS ${database}.${CHECK_TABLE} FROM ${destination(target, name)} SETTINGS id = ${sqlString(id)} ASYNC`;

/** Where a BACKUP or RESTORE operation of this server is, and the bytes it wrote or read. */
export const operationQuery = (id: string): Query => ({
  sql: `SELECT toString(status) AS status, error, toString(total_size) AS size FROM system.backups WHERE id = {id:String}`,
  params: { id },
});

/** The catalogue: each backup's latest state, oldest first. */
export const catalogueQuery = (): Query => ({
  sql: `SELECT name, toUnixTimestamp64Milli(time) AS time_ms, base, location, status, toString(size) AS size, error
        FROM backups FINAL
        ORDER BY time, name`,
  params: {},
});

/** The tables and views of a database, views first (they are dropped before their tables). */
export const databaseTablesQuery = (database: string): Query => ({
  sql: `SELECT name FROM system.tables WHERE database = {database:String} ORDER BY engine LIKE '%View' DESC, name`,
  params: { database },
});

const identifier = (name: string): string => `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;

/** Drops a table or view of the database (a restore with --force clears the target this way). */
export const dropTableStatement = (database: string, table: string, cluster?: string): string =>
  `DROP TABLE IF EXISTS ${database}.${identifier(table)}${onCluster({ cluster })} SYNC`;
