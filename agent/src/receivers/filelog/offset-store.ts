import type { SourcePosition } from '@rollpoint/runtime';
import type { ComponentContext } from '../../component.js';
import { PositionFile } from '../internal/position-file.js';

// The read offsets of a filelog receiver, in the agent's data folder: for each file (by its
// fingerprint) the offset up to which its records were taken by the pipeline, and the advance of the
// batch on its way (two phases, as position-file.ts says).

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

/** A batch's advance: the file (by fingerprint) and its offset after the batch. */
type OffsetAdvance = Omit<StoredOffsetJson, 'path'>;

const toJson = (files: readonly StoredOffset[]): StoredOffsetJson[] => files.map((f) => ({ fingerprint: f.fingerprint.toString('base64'), offset: f.offset, path: f.path }));

export class OffsetStore {
  private readonly file: PositionFile<StoredOffsetJson[], OffsetAdvance>;

  /** `source`: the receiver's id. */
  constructor(path: string, source: string) {
    // An older agent saved the bare list.
    this.file = new PositionFile(path, source, (text) => JSON.parse(text) as StoredOffsetJson[]);
  }

  /**
   * The stored offsets, the batch pending at a crash counted in when `queued` says it was queued;
   * undefined when none were ever stored (the receiver's first run).
   */
  async load(queued: ComponentContext['queued']): Promise<StoredOffset[] | undefined> {
    const files = await this.file.load(queued, (stored, advance) => stored.map((f) => (f.fingerprint === advance.fingerprint ? { ...f, offset: advance.offset } : f)));
    return files?.map((f) => ({ fingerprint: Buffer.from(f.fingerprint, 'base64'), offset: f.offset, path: f.path }));
  }

  /** Before a batch of `fingerprint`'s file goes to the pipeline: `offset` is where it ends. */
  begin(files: readonly StoredOffset[], fingerprint: Buffer, offset: number): SourcePosition {
    return this.file.begin(toJson(files), { fingerprint: fingerprint.toString('base64'), offset });
  }

  save(files: readonly StoredOffset[]): void {
    this.file.commit(toJson(files));
  }
}
