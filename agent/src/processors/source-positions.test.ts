import { logs, type ExportLogsServiceRequest } from '@rollpoint/proto';
import type { ExportMeta } from '@rollpoint/runtime';
import { expect } from 'chai';
import { pino } from 'pino';
import type { ComponentContext } from '../component.js';
import { processorFactories } from '../components.js';
import { Watermark } from '../service/watermark.js';
import { createAgentMetrics } from '../telemetry/metrics.js';

// Every processor passes a request's source positions on with what it passes on: the disk queue
// stores them with the batch, which is what lets filelog and journald deliver exactly once.

const SETTINGS: Record<string, unknown> = {
  attributes: { actions: [{ key: 'env', value: 'prod', action: 'insert' }] },
  // A filter that keeps the record: a rewritten request, not the one given.
  filter: { logs: { exclude: { match_type: 'strict', bodies: ['not this one'] } } },
  batch: { send_batch_size: 1 },
};

const request = (): ExportLogsServiceRequest => ({ resourceLogs: [{ resource: { attributes: [] }, scopeLogs: [{ logRecords: [{ body: { stringValue: 'line' } }] }] }] });

describe('processors pass source positions on', function () {
  const context: ComponentContext = { id: 'p', logger: pino({ level: 'silent' }), metrics: createAgentMetrics(), agent: { id: 'test', dataDir: '/nonexistent' }, watermark: new Watermark() };

  for (const [type, factory] of processorFactories) {
    it(type, async function () {
      const seen: Array<ExportMeta | undefined> = [];
      const processor = factory.create(factory.configSchema.parse(SETTINGS[type] ?? {}), logs, async (_r: ExportLogsServiceRequest, meta?: ExportMeta) => void seen.push(meta), context);
      await processor.start();
      const positions = [{ source: 'filelog', seq: 41 }];
      await processor.consume(request(), { positions });
      await processor.shutdown();
      expect(seen.map((meta) => meta?.positions)).to.deep.equal([positions]);
    });
  }
});
