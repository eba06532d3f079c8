import type { Signal } from '@rollpoint/proto';
import type { Consume, ExportMeta } from '@rollpoint/runtime';
import type { Processor } from '../../component.js';
import { compileIncludeExclude, type MatchedRecord } from '../internal/match-properties.js';
import { isRecordSignal, rewriteRecords, type RecordSignal } from '../internal/records.js';
import { applyActions } from './actions.js';
import type { AttributesConfig } from './config.js';

/**
 * Inserts, updates, deletes, hashes and extracts attributes of log records and spans, as the
 * Collector's attributes processor does: every record that include/exclude selects gets the actions
 * in order, on a copy (the records given are shared with other pipelines and stay as they were).
 */
export class AttributesProcessor<Req> implements Processor<Req> {
  private readonly selects: ReturnType<typeof compileIncludeExclude>;
  private readonly signal: RecordSignal;

  constructor(
    private readonly config: AttributesConfig,
    signal: Signal<Req>,
    private readonly next: Consume<Req>,
  ) {
    // The configuration check keeps it out of metrics pipelines (see the factory's signals).
    if (!isRecordSignal(signal.name)) throw new Error('the attributes processor acts on logs and traces only');
    if (signal.name === 'traces' && (config.include?.logsOnly || config.exclude?.logsOnly)) {
      throw new Error('log_bodies, log_severity_texts and log_severity_number match log records only; this attributes processor is in a traces pipeline');
    }
    this.signal = signal.name;
    this.selects = compileIncludeExclude(config.include, config.exclude);
  }

  consume = (request: Req, meta?: ExportMeta): Promise<void> =>
    this.next(
      rewriteRecords<Req, MatchedRecord>(this.signal, request, (record, resource) =>
        this.selects(record, resource) ? { ...record, attributes: applyActions(this.config.actions, record.attributes ?? []) } : record,
      ),
      meta,
    );

  async start(): Promise<void> {}
  async shutdown(): Promise<void> {}
}
