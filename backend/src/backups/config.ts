import { dirname, join, resolve } from 'node:path';
import { durationMs } from '@rollpoint/runtime';
import { z } from 'zod';
import type { BackendConfig } from '../config.js';
import type { BackupTarget } from './statements.js';

// The `backups` section of the backend configuration: where BACKUP DATABASE writes rollpoint's
// database, and when to on its own. The embedded engine writes to a folder; a server writes
// where its own configuration allows: one of its disks (backups.allowed_disk) or an S3 bucket.

export const backupsConfigSchema = z
  .strictObject({
    /** Embedded engine: the folder backups go to. Default: `backups` beside storage.chdb.path. */
    path: z.string().min(1).optional(),
    /** Server: a disk of its storage_configuration listed in its backups.allowed_disk. */
    disk: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be a disk name (letters, digits, _ . -)').optional(),
    /** Server: an S3-compatible bucket (a folder in it); each backup is a folder below this URL. */
    s3: z
      .strictObject({
        /** e.g. https://s3.eu-west-1.amazonaws.com/my-bucket/rollpoint */
        endpoint: z.url({ protocol: /^https?$/ }),
        access_key_id: z.string().min(1),
        secret_access_key: z.string().min(1),
      })
      .optional(),
    /** A full backup every `interval` (from the start); absent: only on request. */
    schedule: z
      .strictObject({
        interval: durationMs.refine((ms) => ms >= 60_000, 'must be at least 1m'),
        /** Embedded engine: after each, only the `keep` newest backups are kept (and the bases they need); absent: all. */
        keep: z.number().int().positive().optional(),
      })
      .optional(),
  })
  .refine((b) => b.disk === undefined || b.s3 === undefined, 'set disk or s3, not both');

export type BackupsConfig = z.output<typeof backupsConfigSchema>;

/** The embedded engine's backup folder, absolute: backups.path, or `backups` beside the data folder. */
export const embeddedBackupsPath = (backups: BackupsConfig, dataPath: string): string =>
  resolve(backups.path ?? join(dirname(resolve(dataPath)), 'backups'));

type Sections = Pick<BackendConfig, 'backups' | 'storage'>;

/** Where this configuration's backups go; undefined for a server given neither a disk nor S3. */
export function backupTargetOf({ backups, storage }: Sections): BackupTarget | undefined {
  if (storage.driver === 'chdb') return { kind: 'file', folder: embeddedBackupsPath(backups, storage.chdb.path) };
  if (backups.disk !== undefined) return { kind: 'disk', disk: backups.disk };
  if (backups.s3 !== undefined) return { kind: 's3', endpoint: backups.s3.endpoint, accessKeyId: backups.s3.access_key_id, secretAccessKey: backups.s3.secret_access_key };
  return undefined;
}

/** The database a backup holds: the embedded engine's only one, or the server's configured one (with its cluster). */
export const backedUpDatabaseOf = ({ storage }: Pick<Sections, 'storage'>): { database: string; cluster?: string } =>
  storage.driver === 'chdb'
    ? { database: 'default' }
    : { database: storage.clickhouse.database, ...(storage.clickhouse.cluster !== undefined ? { cluster: storage.clickhouse.cluster } : {}) };
