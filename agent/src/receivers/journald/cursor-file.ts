import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

// Where a journald receiver keeps the cursor of the last entry the pipeline took, in the agent's
// data folder: written to a temporary file then renamed, so a kill -9 leaves the old or the new one.

/** The cursor file of receiver `id` (e.g. "journald/system") under `dataDir`. */
export const cursorPath = (dataDir: string, id: string): string => join(dataDir, 'journald', `${id.replaceAll('/', '_')}.cursor`);

export async function readCursor(path: string): Promise<string | undefined> {
  try {
    const cursor = (await readFile(path, 'utf8')).trim();
    return cursor || undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export async function writeCursor(path: string, cursor: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.tmp`;
  await writeFile(temporary, cursor);
  await rename(temporary, path);
}
