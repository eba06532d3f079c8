import { durationMs } from '@rollpoint/runtime';
import { z } from 'zod';

// The `config_repository` section of the backend configuration: a git repository of device
// configs as Oxidized or RANCID keep it, read from the local file system (no network access).

/** Oxidized's layout: every file not starting with a dot, in the root or a group's folder, is named as its device. */
export const DEFAULT_FILE_PATTERN = '^(?:[^/]+/)*([^./][^/]*)$';

const filePattern = z
  .string()
  .default(DEFAULT_FILE_PATTERN)
  .superRefine((source, ctx) => {
    try {
      if (new RegExp(`${source}|`).exec('')!.length < 2) ctx.addIssue({ code: 'custom', message: 'needs a capture group: the device name' });
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `not a regular expression: ${(err as Error).message}` });
    }
  });

export const configRepositorySchema = z.strictObject({
  /** The repository: a work tree (with its .git folder) or a bare repository, as Oxidized's git output keeps. */
  path: z.string().min(1),
  /** The branch read; default: the repository's HEAD. */
  branch: z.string().min(1).optional(),
  /** How often the branch is read for new commits. */
  poll_interval: durationMs.refine((ms) => ms >= 1000, 'at least 1s').default(60000),
  /** Which files are which device's config. */
  devices: z
    .strictObject({
      /** Files not named as their device: path in the repository → device name. */
      files: z.record(z.string().min(1), z.string().min(1)).default({}),
      /**
       * Every other file whose path matches is the config of the device its first capture group
       * names; default: each file (dot files aside) is named as its device, in the root or in a
       * group's folder (Oxidized). RANCID's `<group>/configs/<device>`: `^[^/]+/configs/([^/]+)$`.
       */
      file_pattern: filePattern,
    })
    .prefault({}),
});

export type ConfigRepositoryConfig = z.output<typeof configRepositorySchema>;
