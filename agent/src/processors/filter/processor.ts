import type { ExportLogsServiceRequest, LogRecord, Signal } from '@rollpoint/proto';
import type { Consume, ExportMeta } from '@rollpoint/runtime';
import type { ComponentContext, Processor } from '../../component.js';
import { compileIncludeExclude } from '../internal/match-properties.js';
import { rewriteRecords } from '../internal/records.js';
import type { FilterConfig } from './config.js';

/**
 * Drops log records as the Collector's filter processor does with its structured include/exclude
 * blocks: a record is kept when it matches `include` (if set) and not `exclude` (if set). Dropped
 * records are counted; a request left empty is taken without being passed on. Other signals pass.
 */
export class FilterProcessor<Req> implements Processor<Req> {
  private readonly keep: ReturnType<typeof compileIncludeExclude> | undefined;

  constructor(
    config: FilterConfig,
    private readonly signal: Signal<Req>,
    private readonly next: Consume<Req>,
    private readonly context: Pick<ComponentContext, 'id' | 'metrics'>,
  ) {
    const { include, exclude } = config.logs;
    this.keep = signal.name === 'logs' && (include || exclude) ? compileIncludeExclude(include, exclude) : undefined;
  }

  consume = (request: Req, meta?: ExportMeta): Promise<void> => {
    const keep = this.keep;
    if (!keep) return this.next(request, meta);
    const kept = rewriteRecords<ExportLogsServiceRequest, LogRecord>('logs', request as ExportLogsServiceRequest, (record, resource) => (keep(record, resource) ? record : undefined)) as Req;
    if (kept === request) return this.next(request, meta);
    const dropped = this.signal.countRecords(request) - this.signal.countRecords(kept);
    this.context.metrics.filterDroppedRecords.inc({ processor: this.context.id, signal: this.signal.name }, dropped);
    // A request left empty goes nowhere, nor do its source positions: after a crash before the
    // receiver saved its position, the records are read again and dropped again.
    return this.signal.countRecords(kept) > 0 ? this.next(kept, meta) : Promise.resolve();
  };

  async start(): Promise<void> {}
  async shutdown(): Promise<void> {}
}
