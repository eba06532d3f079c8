import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

// Where a receiver that reads a source from a position (file offsets, a journal cursor) keeps it, in
// the agent's data folder, so a restart goes on where the pipeline's last accepted records ended.

/** The saved position's text; undefined when none was ever saved. */
export async function readPosition(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Saves the position whole: written to a temporary file and renamed over the old one, so a kill -9
 * leaves the old position or the new one. Synchronously, in the turn of the event loop in which the
 * pipeline took the records: an asynchronous write would wait behind the disk queue's fsyncs,
 * widening the time in which a kill -9 finds the records queued but the position before them.
 */
export function writePosition(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}
