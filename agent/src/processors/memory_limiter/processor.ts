import type { Signal } from '@rollpoint/proto';
import type { Consume, ExportMeta } from '@rollpoint/runtime';
import type { ComponentContext, Processor } from '../../component.js';
import type { MemoryLimiterConfig } from './config.js';

const MIB = 1024 * 1024;

/**
 * Refuses data while the agent's resident memory is above the soft limit (limit_mib -
 * spike_limit_mib), as the Collector's memory_limiter does. The refusal is retryable: OTLP senders
 * get UNAVAILABLE / 503 and try again, the syslog and trap receivers keep the data and pause TCP
 * senders, so memory falls instead of growing until the process is killed.
 */
export class MemoryLimiter<Req> implements Processor<Req> {
  private timer: NodeJS.Timeout | undefined;
  private refusing = false;

  constructor(
    private readonly config: MemoryLimiterConfig,
    private readonly signal: Signal<Req>,
    private readonly next: Consume<Req>,
    private readonly context: Pick<ComponentContext, 'id' | 'logger' | 'metrics'>,
    private readonly residentBytes: () => number = () => process.memoryUsage.rss(),
  ) {}

  private get softLimitBytes(): number {
    return (this.config.limit_mib - this.config.spike_limit_mib) * MIB;
  }

  /** Reads memory and switches between taking and refusing data. */
  check(): void {
    const used = this.residentBytes();
    const refusing = used > this.softLimitBytes;
    if (refusing !== this.refusing) {
      const usedMib = Math.round(used / MIB);
      if (refusing) this.context.logger.warn({ processor: this.context.id, usedMib, softLimitMib: this.softLimitBytes / MIB }, 'memory over the soft limit: refusing data');
      else this.context.logger.info({ processor: this.context.id, usedMib }, 'memory back under the soft limit: taking data again');
    }
    this.refusing = refusing;
  }

  consume = (request: Req, meta?: ExportMeta): Promise<void> => {
    if (this.refusing) {
      this.context.metrics.memoryRefusedRecords.inc({ processor: this.context.id, signal: this.signal.name }, this.signal.countRecords(request));
      return Promise.reject(new Error(`the agent is over its memory soft limit (${this.softLimitBytes / MIB} MiB); try again shortly`));
    }
    return this.next(request, meta);
  };

  async start(): Promise<void> {
    this.check();
    this.timer = setInterval(() => this.check(), this.config.check_interval);
    this.timer.unref();
  }

  async shutdown(): Promise<void> {
    clearInterval(this.timer);
  }
}
