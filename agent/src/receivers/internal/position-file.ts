import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { SourcePosition } from '@rollpoint/runtime';
import type { ComponentContext } from '../../component.js';
import { replaceFileSync } from '../../files/replace-file.js';

// Where a receiver that reads a source from a position (file offsets, a journal cursor) keeps it, in
// the agent's data folder, so that a restart, a kill -9 too, neither loses nor repeats a record.
//
// Two phases around each batch. Before the batch goes to the pipeline, the file gets the committed
// state plus the batch's advance, pending under a new sequence number (seq); once the pipeline took
// the batch, the state with the advance applied. The seq goes with the batch (a SourcePosition in its
// meta) into the disk queue's record, on disk together with the batch. At the next start a pending
// advance is applied if the disk queues the receiver feeds hold that seq (the batch was queued before
// the crash), and dropped if not (the batch is read again). A receiver whose pipelines lead to no disk
// queue drops it: the batch is read again, at least once.

/**
 * The most records such a receiver sends in one batch. It keeps one batch in flight (its position has
 * one pending advance), so a batch must reach the batch processor's default send_batch_size (8,192)
 * to be sent at once: a smaller one waits out the processor's timeout, which capped a busy file at
 * 2,048 records per 200 ms.
 */
export const POSITIONED_MAX_BATCH = 16_384;

interface Saved<S, A> {
  /**
   * The receiver's id and an epoch made with the file: a file deleted (or an older agent's) starts
   * seqs anew under another source, which no queue can mistake for one it holds.
   */
  source: string;
  /** The last seq given to a batch: seqs only grow, a dropped one is never given again. */
  seq: number;
  /** Absent (undefined) until the receiver saved a state of its own: its first run is not over. */
  state: S;
  pending?: { seq: number; advance: A };
}

async function readPosition(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The saved object, or undefined for the text of an older agent (a bare state, no source and seq). */
function parseSaved<S, A>(text: string): Saved<S, A> | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const saved = json as Saved<S, A> | null;
  return typeof saved === 'object' && saved !== null && typeof saved.source === 'string' && typeof saved.seq === 'number' ? saved : undefined;
}

/** A receiver's position file: state S (JSON), advanced batch by batch by advances A (JSON). */
export class PositionFile<S, A> {
  private source: string;
  private seq = 0;

  /**
   * @param id the receiver's id, which names the positions of its batches
   * @param fromOlderAgent the state in a file an older agent saved (before seqs)
   */
  constructor(
    private readonly path: string,
    id: string,
    private readonly fromOlderAgent: (text: string) => S,
  ) {
    // Until a saved file says otherwise.
    this.source = `${id}#${randomUUID().slice(0, 8)}`;
  }

  /**
   * The saved state, with the pending advance applied by `apply` when `queued` says its batch was
   * queued, saved so; undefined when nothing was ever saved.
   */
  async load(queued: ComponentContext['queued'], apply: (state: S, advance: A) => S): Promise<S | undefined> {
    const text = await readPosition(this.path);
    if (text === undefined) return undefined;
    const saved = parseSaved<S, A>(text) ?? { source: this.source, seq: 0, state: this.fromOlderAgent(text) };
    this.source = saved.source;
    this.seq = saved.seq;
    const { pending } = saved;
    const state = pending && queued?.({ source: this.source, seq: pending.seq }) === true ? apply(saved.state, pending.advance) : saved.state;
    this.commit(state);
    return state;
  }

  /** Before a batch goes to the pipeline: saves its advance as pending. Returns the batch's position, for its meta. */
  begin(state: S, advance: A): SourcePosition {
    this.seq++;
    this.write({ source: this.source, seq: this.seq, state, pending: { seq: this.seq, advance } });
    return { source: this.source, seq: this.seq };
  }

  /** Saves the state with nothing pending: once the pipeline took the batch (its advance applied in `state`), or refused it. */
  commit(state: S): void {
    this.write({ source: this.source, seq: this.seq, state });
  }

  private write(saved: Saved<S, A>): void {
    // Synchronously, in the turn of the event loop in which the pipeline took the records (or before
    // they go to it): an asynchronous write would wait behind the disk queue's fsyncs, and the next
    // phase could overtake it.
    replaceFileSync(this.path, JSON.stringify(saved));
  }
}
