import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

// Where a journald receiver keeps the cursor of the last entry the pipeline took, in the agent's
// data folder: written to a temporary file then renamed, so a kill -9 leaves the old or the new one.
// An empty file means "from the oldest entry" (start_at end on a journal that had none).

/** The cursor file of receiver `id` (e.g. "journald/system") under `dataDir`. */
export const cursorPath = (dataDir: string, id: string): string => join(dataDir, 'journald', `${id.replaceAll('/', '_')}.cursor`);

/** The stored cursor; "" for "from the oldest entry"; undefined when none is stored. */
export async function readCursor(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Stores `cursor`. Synchronously, in the turn of the event loop in which the pipeline took the
 * entries: an asynchronous write would wait behind the disk queue's fsyncs, widening the time in
 * which a kill -9 leaves entries queued but the cursor before them (they are then sent again).
 */
export function writeCursor(path: string, cursor: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, cursor);
  renameSync(temporary, path);
}
