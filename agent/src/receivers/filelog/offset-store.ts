import { readPosition, writePosition } from '../internal/position-file.js';

// The read offsets of a filelog receiver, in the agent's data folder: for each file (by its
// fingerprint) the offset up to which its records were taken by the pipeline, saved whole and
// synchronously as position-file.ts says.

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
    const text = await readPosition(this.path);
    if (text === undefined) return undefined;
    const files = JSON.parse(text) as StoredOffsetJson[];
    return files.map((f) => ({ fingerprint: Buffer.from(f.fingerprint, 'base64'), offset: f.offset, path: f.path }));
  }

  save(files: readonly StoredOffset[]): void {
    const json: StoredOffsetJson[] = files.map((f) => ({ fingerprint: f.fingerprint.toString('base64'), offset: f.offset, path: f.path }));
    writePosition(this.path, JSON.stringify(json));
  }
}
