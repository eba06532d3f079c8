import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import { type AuditEntry, recordAuditEntries, type TimedAuditEntry } from './audit-log.js';

// How the API's entries reach audit_log. A write that was done is recorded at once, in an INSERT of
// its own: nothing of it waits in memory to be lost, and a backup taken after it holds it (the
// write itself cost an insert already). Refusals cost their sender nothing, so they go in small
// batches; and a refusal for a missing or unknown token (401), which anyone can cause, is recorded
// up to a cap a minute, past which it is counted, not stored.

/** Refusals held before a batch goes at once. */
const MAX_BATCH_ROWS = 100;

/** Longest a refusal waits for its batch. */
const FLUSH_INTERVAL_MS = 1000;

/** 401 entries recorded per minute of the clock; past it they only count. */
export const UNAUTHORIZED_ENTRIES_PER_MINUTE = 60;

export interface AuditTrailOptions {
  store: Store;
  logger: Logger;
  /** Called for each 401 entry past the minute's cap (rollpoint_backend_audit_unrecorded_total). */
  onUnrecorded: () => void;
  flushIntervalMs?: number;
  /** The clock, in ms. */
  now?: () => number;
}

export class AuditTrail {
  private batch: TimedAuditEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inserting = new Set<Promise<void>>();
  private minute = -1;
  private unauthorizedInMinute = 0;

  constructor(private readonly options: AuditTrailOptions) {}

  /** Records a write that was done at once; holds a refusal for the next batch, or counts it (a 401 past the minute's cap). */
  record(entry: AuditEntry): void {
    const now = this.options.now?.() ?? Date.now();
    if (entry.status < 400) {
      this.insert([{ ...entry, time: new Date(now) }]);
      return;
    }
    if (entry.status === 401 && !this.admitUnauthorized(now)) {
      this.options.onUnrecorded();
      return;
    }
    this.batch.push({ ...entry, time: new Date(now) });
    if (this.batch.length >= MAX_BATCH_ROWS) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.flushIntervalMs ?? FLUSH_INTERVAL_MS);
  }

  /** Records what is held and waits for every batch under way. */
  async close(): Promise<void> {
    this.flush();
    await Promise.all(this.inserting);
  }

  private admitUnauthorized(now: number): boolean {
    const minute = Math.floor(now / 60000);
    if (minute !== this.minute) {
      this.minute = minute;
      this.unauthorizedInMinute = 0;
    }
    return ++this.unauthorizedInMinute <= UNAUTHORIZED_ENTRIES_PER_MINUTE;
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.batch.length === 0) return;
    const entries = this.batch;
    this.batch = [];
    this.insert(entries);
  }

  private insert(entries: TimedAuditEntry[]): void {
    const insert = recordAuditEntries(this.options.store, entries)
      .catch((err: Error) => this.options.logger.error({ err: err.message, entries: entries.length }, 'recording audit entries failed; they are lost'))
      .finally(() => this.inserting.delete(insert));
    this.inserting.add(insert);
  }
}
