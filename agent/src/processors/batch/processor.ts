import type { Signal } from '@rollpoint/proto';
import type { Consume, ExportMeta } from '@rollpoint/runtime';
import type { Processor } from '../../component.js';
import type { BatchConfig } from './config.js';

interface Waiting<Req> {
  request: Req;
  meta: ExportMeta | undefined;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Gathers requests into batches of `send_batch_size` records or `timeout`, whichever comes first.
 * Unlike the Collector's batch processor, a caller's promise settles only when its batch has been
 * sent, so a sender is acknowledged for data the next stage took, and told to retry otherwise.
 * A merged request carries the source positions of the requests in it, in order (the rest of their
 * meta, which says who sent each, does not fit a merged request and is left behind).
 */
export class BatchProcessor<Req> implements Processor<Req> {
  private waiting: Array<Waiting<Req>> = [];
  private waitingRecords = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private closing = false;

  constructor(
    private readonly config: BatchConfig,
    private readonly signal: Signal<Req>,
    private readonly next: Consume<Req>,
  ) {}

  consume = (request: Req, meta?: ExportMeta): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      this.waiting.push({ request, meta, resolve, reject });
      this.waitingRecords += this.signal.countRecords(request);
      if (this.closing || this.waitingRecords >= this.config.send_batch_size) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.config.timeout);
    });

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting;
    if (batch.length === 0) return;
    this.waiting = [];
    this.waitingRecords = 0;
    const positions = batch.flatMap((w) => w.meta?.positions ?? []);
    const sent = this.next(this.signal.merge(batch.map((w) => w.request)), positions.length > 0 ? { positions } : undefined).then(
      () => batch.forEach((w) => w.resolve()),
      (error: unknown) => batch.forEach((w) => w.reject(error)),
    );
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
  }

  async start(): Promise<void> {}

  /** Sends what is waiting (and from now on, all that arrives at once) and waits for every batch on its way. */
  async shutdown(): Promise<void> {
    this.closing = true;
    this.flush();
    await Promise.all(this.inFlight);
  }
}
