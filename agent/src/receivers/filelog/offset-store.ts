import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

// The read offsets of a filelog receiver, in the agent's data folder: for each file (by its
// fingerprint) the offset up to which its records were taken by the pipeline. Written whole to a
// temporary file and renamed over the old one, so a kill -9 leaves the old offsets or the new ones.

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
  private writing: Promise<void> = Promise.resolve();

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

  /** Stores `files`, after any write still under way. */
  save(files: readonly StoredOffset[]): Promise<void> {
    const json: StoredOffsetJson[] = files.map((f) => ({ fingerprint: f.fingerprint.toString('base64'), offset: f.offset, path: f.path }));
    const write = async () => {
      await mkdir(dirname(this.path), { recursive: true });
      await writeFile(`${this.path}.tmp`, JSON.stringify(json));
      await rename(`${this.path}.tmp`, this.path);
    };
    this.writing = this.writing.then(write, write);
    return this.writing;
  }
}
