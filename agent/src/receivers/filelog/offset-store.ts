import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

// The read offsets of a filelog receiver, in the agent's data folder: for each file (by its
// fingerprint) the offset up to which its records were taken by the pipeline. Written whole to a
// temporary file and renamed over the old one, so a kill -9 leaves the old offsets or the new ones.
// Synchronously: the offset follows the pipeline's answer within the same turn of the event loop,
// leaving the least time in which a kill -9 finds the records queued but the offset not yet moved.

export interface StoredOffset {
  fingerprint: Buffer;
  offset: number;
  /** Where the file was last seen (for people reading the file). */
  path: string;
}

interface StoredOffsetJson {
  fingerprint: string;
  offset: number;
  path: string;
}

export class OffsetStore {
  constructor(private readonly path: string) {}

  /** The stored offsets; undefined when none were ever stored (the receiver's first run). */
  async load(): Promise<StoredOffset[] | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const files = JSON.parse(text) as StoredOffsetJson[];
    return files.map((f) => ({ fingerprint: Buffer.from(f.fingerprint, 'base64'), offset: f.offset, path: f.path }));
  }

  save(files: readonly StoredOffset[]): void {
    const json: StoredOffsetJson[] = files.map((f) => ({ fingerprint: f.fingerprint.toString('base64'), offset: f.offset, path: f.path }));
    mkdirSync(dirname(this.path), { recursive: true });
    writeFileSync(`${this.path}.tmp`, JSON.stringify(json));
    renameSync(`${this.path}.tmp`, this.path);
  }
}
