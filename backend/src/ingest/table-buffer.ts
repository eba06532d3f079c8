import { randomUUID } from 'node:crypto';
import { RetryLaterError, withRetries, type RetryOptions } from '@rollpoint/runtime';
import type { TableName } from '../schema/tables.js';
import type { InsertColumn, Store } from '../store/store.js';
import { storedBatchesQuery } from './batch-ledger.js';

export interface BufferSettings {
  /** An insert is written once the buffer holds this many rows… */
  maxRows: number;
  /** …or this long after its first rows arrived… */
  maxDelayMs: number;
  /** …or once nothing was added for this long (QUIET_MIN_INTERVAL_MS apart at most); 0: never early. */
  quietMs: number;
  /** Encoded rows held (buffered and being written) beyond which Exports are refused, to be retried. */
  maxBufferedBytes: number;
}

/** What a buffer reports of each insert it writes. */
export interface InsertObserver {
  inserted(table: TableName, rows: number, seconds: number): void;
  /** Batches that the ledger shows were stored before (a retry after a lost acknowledgement). */
  duplicates(table: TableName, batches: number): void;
  /** The rows were stored but their batch ids could not be written to the ledger. */
  ledgerFailed(table: TableName, error: Error): void;
}

/**
 * A buffer to which nothing was added for quietMs is written at once: its senders are waiting for
 * their answers and will send nothing more until they have them, so waiting out the timeout would
 * only slow them (8 senders of 500 spans each, measured, would be held to a fifth of what the engine
 * takes; an agent draining a backlog of small batches far more). Such early inserts start at most
 * every QUIET_MIN_INTERVAL_MS, so a trickle of Exports makes a few inserts a second, not one each;
 * a steady stream, never quiet that long, waits for send_batch_size or the timeout. A check that
 * runs late means the event loop was busy, when Exports may have arrived unseen: it is not taken
 * for quiet.
 */
const QUIET_MIN_INTERVAL_MS = 50;

/**
 * A failed insert, whatever the failure, is tried again, the same rows with the same deduplication
 * token, after 100 ms and after 400 ms more before its Exports are failed. An insert can fail after
 * some of its parts were written (a view's target refused its part, a server's answer was lost):
 * the repeat writes exactly what is missing (every target table keeps the deduplication window),
 * where the senders' retries, in other coalesced inserts, could not be told apart from new data by
 * those tables.
 */
const INSERT_RETRY: RetryOptions = {
  backoff: { initial_interval: 100, max_interval: 400, multiplier: 4, randomization_factor: 0 },
  maxAttempts: 3,
  retryable: () => true,
};

/** How soon a sender refused for a full buffer is asked to come back. */
const BUSY_RETRY_MS = 1000;

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
 * quietMs), one insert at a time of at most maxRows (rows arriving meanwhile go into the next).
 * Each Export's promise settles with the insert holding its rows, so a sender is acknowledged only
 * once they are stored, and a failed insert fails every Export in it (senders retry). Memory is
 * bounded by maxBufferedBytes: beyond it Exports are refused with RetryLaterError.
 *
 * Exactly once: before writing, the buffer asks the ledger which of its batch ids are stored
 * already and acknowledges those batches without storing them again; once an insert has stored its
 * rows, their batch ids are written to the ledger. A batch retried while its first attempt is still
 * buffered waits for that attempt instead of being added twice.
 */
export class TableBuffer {
  private pending: Pending[] = [];
  private pendingRows = 0;
  /** Encoded bytes buffered or being written. */
  private heldBytes = 0;
  private readonly byBatch = new Map<string, Promise<boolean>>();
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private quietTimer: NodeJS.Timeout | undefined;
  private quietCheckAt = 0;
  private lastAddAt = 0;
  private lastInsertAt = -Infinity;
  private due = false;

  constructor(
    private readonly store: Store,
    private readonly table: TableName,
    private readonly columns: readonly InsertColumn[],
    private readonly settings: BufferSettings,
    private readonly observer: InsertObserver,
  ) {}

  /**
   * Adds one Export's encoded rows; resolves once they are stored: true, or false when they had
   * been before. Refuses (RetryLaterError) while the buffer holds maxBufferedBytes.
   */
  add(rows: Uint8Array, count: number, batchId: string | undefined): Promise<boolean> {
    const earlier = batchId === undefined ? undefined : this.byBatch.get(batchId);
    if (earlier) return earlier.then(() => false);
    if (this.heldBytes > 0 && this.heldBytes + rows.length > this.settings.maxBufferedBytes) {
      return Promise.reject(new RetryLaterError(`the backend holds ${this.heldBytes} bytes of rows for ${this.table} waiting to be inserted; try again shortly`, BUSY_RETRY_MS));
    }
    const stored = new Promise<boolean>((resolve, reject) => {
      this.pending.push({ batchId, rows, count, resolve, reject });
    });
    this.heldBytes += rows.length;
    const release = () => {
      this.heldBytes -= rows.length;
      if (batchId !== undefined) this.byBatch.delete(batchId);
    };
    stored.then(release, release);
    if (batchId !== undefined) this.byBatch.set(batchId, stored);
    this.pendingRows += count;
    this.lastAddAt = performance.now();
    this.armTimers();
    this.kick();
    return stored;
  }

  /** The timeout from the buffer's first rows, and the quiet check. */
  private armTimers(): void {
    this.timer ??= setTimeout(() => {
      this.due = true;
      this.kick();
    }, this.settings.maxDelayMs);
    if (this.settings.quietMs > 0) this.checkQuietIn(this.settings.quietMs);
  }

  private checkQuietIn(ms: number): void {
    if (this.quietTimer) return;
    this.quietCheckAt = performance.now() + ms;
    this.quietTimer = setTimeout(() => this.whenQuiet(), ms);
  }

  /** Writes the buffer if nothing was added for quietMs, else looks again when that will be so. */
  private whenQuiet(): void {
    this.quietTimer = undefined;
    if (this.pending.length === 0) return;
    const now = performance.now();
    const { quietMs } = this.settings;
    const late = now - this.quietCheckAt > quietMs;
    const quietFor = now - this.lastAddAt;
    const sinceInsert = now - this.lastInsertAt;
    if (late || quietFor < quietMs) this.checkQuietIn(late ? quietMs : quietMs - quietFor);
    else if (sinceInsert < QUIET_MIN_INTERVAL_MS) this.checkQuietIn(QUIET_MIN_INTERVAL_MS - sinceInsert);
    else {
      this.due = true;
      this.kick();
    }
  }

  /** Writes whatever is buffered now and waits until it is stored (or failed). */
  async flush(): Promise<void> {
    while (this.pending.length > 0 || this.writing) {
      if (this.pending.length > 0) this.due = true;
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
    // At most maxRows an insert (one Export at least): the rest waits for the next.
    let take = 0;
    let rows = 0;
    while (take < this.pending.length && (take === 0 || rows + this.pending[take]!.count <= this.settings.maxRows)) rows += this.pending[take++]!.count;
    const batch = this.pending.splice(0, take);
    this.pendingRows -= rows;
    if (this.pending.length > 0) this.due = true;
    this.lastInsertAt = performance.now();
    this.writing = this.write(batch).finally(() => {
      this.writing = undefined;
      if (this.pending.length > 0) this.armTimers();
      this.kick();
    });
  }

  private async write(batch: Pending[]): Promise<void> {
    try {
      const toStore = await this.withoutStoredBatches(batch);
      const rows = toStore.reduce((n, p) => n + p.count, 0);
      const token = randomUUID();
      const started = process.hrtime.bigint();
      await withRetries(() => this.store.insertRowBinary({ table: this.table, columns: this.columns, chunks: toStore.map((p) => p.rows), rows, deduplicationToken: token }), INSERT_RETRY);
      if (rows > 0) this.observer.inserted(this.table, rows, Number(process.hrtime.bigint() - started) / 1e9);
      await this.record(toStore, token);
      const written = new Set(toStore);
      for (const p of batch) p.resolve(written.has(p));
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      for (const p of batch) p.reject(error);
    }
  }

  /**
   * Writes the stored Exports' batch ids to the ledger, after their rows: a crash in between leaves
   * a batch stored and not recorded, so a retry of it would be stored again (at least once), where
   * the other order could record a batch whose rows were never stored. The rows are stored either
   * way, so a ledger that cannot be written is reported, and the senders answered.
   */
  private async record(stored: Pending[], token: string): Promise<void> {
    const ledger = stored.flatMap((p) => (p.batchId === undefined ? [] : [{ batch_id: p.batchId }]));
    if (ledger.length === 0) return;
    try {
      await withRetries(() => this.store.insert('ingested_batches', ledger, `${token}-ledger`), INSERT_RETRY);
    } catch (err) {
      this.observer.ledgerFailed(this.table, err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** The batch's Exports whose batch ids the ledger does not hold. */
  private async withoutStoredBatches(batch: Pending[]): Promise<Pending[]> {
    const ids = batch.flatMap((p) => (p.batchId === undefined ? [] : [p.batchId]));
    if (ids.length === 0) return batch;
    const rows = await this.store.query<{ batch_id: string }>(storedBatchesQuery(ids));
    if (rows.length === 0) return batch;
    const stored = new Set(rows.map((row) => row.batch_id));
    this.observer.duplicates(this.table, stored.size);
    return batch.filter((p) => p.batchId === undefined || !stored.has(p.batchId));
  }
}
