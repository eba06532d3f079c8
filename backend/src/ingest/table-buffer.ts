import { randomUUID } from 'node:crypto';
import type { TableName } from '../schema/tables.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InsertColumn, Store } from '../store/store.js';
import { storedBatchesQuery } from './batch-ledger.js';

export interface BufferSettings {
  /** An insert is written once the buffer holds this many rows… */
  maxRows: number;
  /** …or this long after its first rows arrived. */
  maxDelayMs: number;
}

/** What a buffer reports of each insert it writes. */
export interface InsertObserver {
  inserted(table: TableName, rows: number, seconds: number): void;
  /** Batches that the ledger shows were stored before (a retry after a lost acknowledgement). */
  duplicates(table: TableName, batches: number): void;
}

/**
 * A buffer of at least QUIET_MIN_ROWS to which nothing was added for QUIET_MS is written at once:
 * its senders are waiting for their answers and will send nothing more until they have them, so
 * waiting out the timeout would only slow them (8 senders of 500 spans each, measured, would be
 * held to a fifth of what the engine takes). A steady stream, never quiet that long, waits for
 * send_batch_size or the timeout; so does a trickle of small Exports, which never holds enough rows:
 * both keep to a few inserts a second. A check that runs late means the event loop was busy, when
 * Exports may have arrived unseen: it is not taken for quiet.
 */
const QUIET_MS = 5;

/**
 * A failed insert is tried again, the same rows with the same deduplication token, after these
 * waits before its Exports are failed. An insert can fail after some of its parts were written (a
 * view's target refused its part, a server's answer was lost): the repeat writes exactly what is
 * missing (every target table keeps the deduplication window), where the senders' retries, in
 * other coalesced inserts, could not be told apart from new data by those tables.
 */
const INSERT_RETRY_WAITS_MS = [100, 400];
const QUIET_MIN_ROWS = 1000;

interface Pending {
  batchId: string | undefined;
  rows: Uint8Array;
  count: number;
  /** true: stored by this insert; false: the ledger held the batch already. */
  resolve(stored: boolean): void;
  reject(error: Error): void;
}

/**
 * Coalesces the rows of many Exports, from every sender, into one insert per `table`: written when
 * it holds maxRows, maxDelayMs after its first rows, or when its senders have gone quiet (see
 * QUIET_MS), one insert at a time (rows arriving meanwhile go into the next). Each Export's promise settles with the insert holding its rows, so a
 * sender is acknowledged only once they are stored, and a failed insert fails every Export in it
 * (senders retry). Memory is bounded by the OTLP server's in-flight limit: an Export's request
 * counts against it until its promise settles.
 *
 * Exactly once: before writing, the buffer asks the ledger which of its batch ids are stored
 * already and acknowledges those batches without storing them again; the insert itself records its
 * batch ids (the ingest table's ledger view). A batch retried while its first attempt is still
 * buffered waits for that attempt instead of being added twice.
 */
export class TableBuffer {
  private pending: Pending[] = [];
  private pendingRows = 0;
  private readonly byBatch = new Map<string, Promise<boolean>>();
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private quietTimer: NodeJS.Timeout | undefined;
  private quietCheckAt = 0;
  private lastAddAt = 0;
  private due = false;

  constructor(
    private readonly store: Store,
    private readonly table: TableName,
    private readonly columns: readonly InsertColumn[],
    private readonly settings: BufferSettings,
    private readonly observer: InsertObserver,
  ) {}

  /** Adds one Export's encoded rows; resolves once they are stored: true, or false when they had been before. */
  add(rows: Uint8Array, count: number, batchId: string | undefined): Promise<boolean> {
    const earlier = batchId === undefined ? undefined : this.byBatch.get(batchId);
    if (earlier) return earlier;
    const stored = new Promise<boolean>((resolve, reject) => {
      this.pending.push({ batchId, rows, count, resolve, reject });
    });
    if (batchId !== undefined) {
      this.byBatch.set(batchId, stored);
      const forget = () => this.byBatch.delete(batchId);
      stored.then(forget, forget);
    }
    this.pendingRows += count;
    this.lastAddAt = performance.now();
    this.timer ??= setTimeout(() => {
      this.due = true;
      this.kick();
    }, this.settings.maxDelayMs);
    if (this.pendingRows >= QUIET_MIN_ROWS) this.checkQuietIn(QUIET_MS);
    this.kick();
    return stored;
  }

  private checkQuietIn(ms: number): void {
    if (this.quietTimer) return;
    this.quietCheckAt = performance.now() + ms;
    this.quietTimer = setTimeout(() => this.whenQuiet(), ms);
  }

  /** Writes the buffer if nothing was added for QUIET_MS, else looks again when that will be so. */
  private whenQuiet(): void {
    this.quietTimer = undefined;
    if (this.pendingRows < QUIET_MIN_ROWS) return;
    const now = performance.now();
    const late = now - this.quietCheckAt > QUIET_MS;
    const quietFor = now - this.lastAddAt;
    if (late || quietFor < QUIET_MS) {
      this.checkQuietIn(late ? QUIET_MS : QUIET_MS - quietFor);
      return;
    }
    this.due = true;
    this.kick();
  }

  /** Writes whatever is buffered now and waits until it is stored (or failed). */
  async flush(): Promise<void> {
    while (this.pending.length > 0 || this.writing) {
      this.due = true;
      this.kick();
      await this.writing?.catch(() => {});
    }
  }

  private kick(): void {
    if (this.writing || this.pending.length === 0) return;
    if (this.pendingRows < this.settings.maxRows && !this.due) return;
    clearTimeout(this.timer);
    clearTimeout(this.quietTimer);
    this.timer = this.quietTimer = undefined;
    this.due = false;
    const batch = this.pending;
    this.pending = [];
    this.pendingRows = 0;
    this.writing = this.write(batch).finally(() => {
      this.writing = undefined;
      if (this.pending.length > 0) {
        this.timer ??= setTimeout(() => {
          this.due = true;
          this.kick();
        }, this.settings.maxDelayMs);
        if (this.pendingRows >= QUIET_MIN_ROWS) this.checkQuietIn(QUIET_MS);
      }
      this.kick();
    });
  }

  private async write(batch: Pending[]): Promise<void> {
    try {
      const toStore = await this.withoutStoredBatches(batch);
      const rows = toStore.reduce((n, p) => n + p.count, 0);
      const started = process.hrtime.bigint();
      const insert = { table: this.table, columns: this.columns, chunks: toStore.map((p) => p.rows), rows, deduplicationToken: randomUUID() };
      for (let attempt = 0; ; attempt++) {
        try {
          await this.store.insertRowBinary(insert);
          break;
        } catch (err) {
          const wait = INSERT_RETRY_WAITS_MS[attempt];
          if (wait === undefined) throw err;
          await sleep(wait);
        }
      }
      if (rows > 0) this.observer.inserted(this.table, rows, Number(process.hrtime.bigint() - started) / 1e9);
      for (const p of batch) p.resolve(toStore.includes(p));
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      for (const p of batch) p.reject(error);
    }
  }

  /** The batch's Exports whose batch ids the ledger does not hold. */
  private async withoutStoredBatches(batch: Pending[]): Promise<Pending[]> {
    const ids = batch.flatMap((p) => (p.batchId === undefined ? [] : [p.batchId]));
    if (ids.length === 0) return batch;
    const { rows } = await this.store.query(storedBatchesQuery(ids));
    if (rows.length === 0) return batch;
    const stored = new Set(rows.map((row) => String(row[0])));
    this.observer.duplicates(this.table, stored.size);
    return batch.filter((p) => p.batchId === undefined || !stored.has(p.batchId));
  }
}
