import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Replaces the file at `path` with `text` whole: written to a temporary file beside it and renamed
 * over it, so a kill -9 leaves the old content or the new, never a part. Synchronously: the callers
 * (a receiver's position, the disk queue's sidecar) need it done before their next step runs.
 */
export function replaceFileSync(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}
