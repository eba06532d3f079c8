import type { ComponentContext } from '../../component.js';
import type { ExportLogsServiceRequest, KeyValue, LogRecord, ResourceLogs } from '@rollpoint/proto';
import { withRetries, type BackoffSettings, type Consume } from '@rollpoint/runtime';

// Where receivers that produce log records one by one (syslog, SNMP traps) put them. It gathers
// them into OTLP requests, one ResourceLogs per device, keeps a few requests in flight so the
// batch processor downstream can fill its batches, and retries a request the pipeline refused
// (the backend is away) until it is taken: records a TCP sender delivered are not dropped while the
// agent runs. When more than `maxPending` records wait, stream senders are paused (`onPressure`)
// and datagrams are refused, to be counted as dropped by the caller.

export interface LogBufferOptions {
  consume: Consume<ExportLogsServiceRequest>;
  /** The instrumentation scope of the records, e.g. "rollpoint/syslog". */
  scopeName: string;
  maxPending: number;
  /** Records per request. */
  maxBatch: number;
  /** Requests in flight at once. */
  maxInFlight: number;
  /** Called with true when senders should pause, false when they may go on. */
  onPressure(paused: boolean): void;
  /** A request given up on (refused for good, or still refused at shutdown): its records are lost and must be counted. */
  onGiveUp(records: number, error: Error): void;
  /** A request refused and about to be retried. */
  onRetry(error: Error, delayMs: number): void;
}

interface Entry {
  hostName: string;
  record: LogRecord;
  /** When the receiver took it (Unix ms), for the agent's watermark. */
  receivedMs: number;
}

// A refused request is retried after 100 ms, doubling up to 5 s, or when the pipeline asks (RetryLaterError):
// every receiver's retry of what its pipeline refused.
export const PIPELINE_RETRY_BACKOFF: BackoffSettings = { initial_interval: 100, max_interval: 5000, multiplier: 2, randomization_factor: 0 };
// Enough records per request, and requests in flight, to fill the batch processor's batches.
const RECEIVER_MAX_BATCH = 2048;
const RECEIVER_MAX_IN_FLIGHT = 8;

export function toRequest(entries: readonly Pick<Entry, 'hostName' | 'record'>[], scopeName: string): ExportLogsServiceRequest {
  const byHost = new Map<string, LogRecord[]>();
  for (const { hostName, record } of entries) {
    const records = byHost.get(hostName);
    if (records) records.push(record);
    else byHost.set(hostName, [record]);
  }
  const resourceLogs: ResourceLogs[] = [...byHost].map(([hostName, logRecords]) => ({
    // "": no host known here; the resource processor gives it the agent's.
    resource: { attributes: (hostName ? [{ key: 'host.name', value: { stringValue: hostName } }] : []) as KeyValue[] },
    scopeLogs: [{ scope: { name: scopeName }, logRecords }],
  }));
  return { resourceLogs };
}

export class LogBuffer {
  private pending: Entry[] = [];
  private inFlight = 0;
  private paused = false;
  /** Aborted by close(): retries end, each after one last attempt. */
  private readonly closing = new AbortController();
  private readonly waiters = new Set<() => void>();
  /** The receive time of the first record of each batch being sent (or waiting to be retried). */
  private readonly sending = new Set<{ receivedMs: number }>();
  private pumpScheduled: NodeJS.Immediate | undefined;

  constructor(private readonly options: LogBufferOptions) {}

  /** Takes a record; false when `dropIfFull` and the buffer is full (the caller counts the drop). */
  add(hostName: string, record: LogRecord, dropIfFull: boolean): boolean {
    if (dropIfFull && this.pending.length >= this.options.maxPending) return false;
    this.pending.push({ hostName, record, receivedMs: Date.now() });
    if (!this.paused && this.pending.length >= this.options.maxPending) {
      this.paused = true;
      this.options.onPressure(true);
    }
    // Sent once this turn of the event loop is over: the records read in it (a TCP chunk, a run of
    // datagrams) go in one request rather than the first alone.
    this.pumpScheduled ??= setImmediate(() => {
      this.pumpScheduled = undefined;
      this.pump();
    });
    return true;
  }

  /** Receive time of the oldest record not yet taken by the pipeline (the agent's watermark waits for it). */
  readonly oldestHeld = (): number | undefined => {
    let oldest = this.pending[0]?.receivedMs;
    for (const batch of this.sending) oldest = Math.min(oldest ?? batch.receivedMs, batch.receivedMs);
    return oldest;
  };

  /** Sends what waits; a refused request is given up on only now. Resolves when nothing is left. */
  async close(): Promise<void> {
    this.closing.abort();
    clearImmediate(this.pumpScheduled);
    this.pumpScheduled = undefined;
    this.pump();
    while (this.inFlight > 0 || this.pending.length > 0) await new Promise<void>((resolve) => this.waiters.add(resolve));
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.pending.length > 0) {
      const batch = this.pending.splice(0, this.options.maxBatch);
      if (this.paused && this.pending.length < this.options.maxPending / 2) {
        this.paused = false;
        this.options.onPressure(false);
      }
      this.inFlight++;
      const held = { receivedMs: batch[0]!.receivedMs };
      this.sending.add(held);
      void this.send(batch).finally(() => {
        this.sending.delete(held);
        this.inFlight--;
        this.pump();
        for (const wake of this.waiters) wake();
        this.waiters.clear();
      });
    }
  }

  private async send(batch: Entry[]): Promise<void> {
    const request = toRequest(batch, this.options.scopeName);
    // A PermanentError (refused for what it is, not for the backend's state) is not retried:
    // retrying would only block the rest.
    await withRetries(() => this.options.consume(request), {
      backoff: PIPELINE_RETRY_BACKOFF,
      signal: this.closing.signal,
      finalAttemptOnAbort: true,
      onRetry: (error, delayMs) => this.options.onRetry(error, delayMs),
    }).catch((error: Error) => this.options.onGiveUp(batch.length, error));
  }
}

/** A log buffer for a receiver: its retries and give-ups logged, its losses counted by `countDropped`. */
export function createReceiverBuffer(
  context: Pick<ComponentContext, 'id' | 'logger' | 'watermark'>,
  options: Pick<LogBufferOptions, 'consume' | 'scopeName' | 'maxPending' | 'onPressure'> & { what: string; countDropped(records: number): void },
): LogBuffer {
  const { id, logger } = context;
  const buffer = new LogBuffer({
    ...options,
    maxBatch: RECEIVER_MAX_BATCH,
    maxInFlight: RECEIVER_MAX_IN_FLIGHT,
    onGiveUp: (records, err) => {
      options.countDropped(records);
      logger.error({ receiver: id, records, err: err.message }, `gave up on ${options.what}`);
    },
    onRetry: (err, delayMs) => logger.warn({ receiver: id, err: err.message, delayMs }, `pipeline refused ${options.what}; retrying`),
  });
  context.watermark.track(buffer.oldestHeld);
  return buffer;
}
