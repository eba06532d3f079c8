import { logs, metrics, setAttribute, type ExportLogsServiceRequest, type ExportMetricsServiceRequest } from '@rollpoint/proto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { DiskQueue } from '../queue/disk-queue.js';
import { fanOut, queuedIn } from './pipelines.js';

describe('pipelines: one receiver feeding several', function () {
  it('gives each pipeline resources of its own over the same records, and is done when all are', async function () {
    const record = { body: { stringValue: 'link down' } };
    const request: ExportLogsServiceRequest = {
      resourceLogs: [{ resource: { attributes: [{ key: 'host.name', value: { stringValue: 'edge-1' } }] }, scopeLogs: [{ scope: { name: 'rollpoint/syslog' }, logRecords: [record] }] }],
    };
    const seen: ExportLogsServiceRequest[] = [];
    // Each pipeline stamps its resources in place, as the resource processor does.
    const pipeline = (name: string) => async (r: ExportLogsServiceRequest) => {
      for (const resource of logs.resources(r)) {
        setAttribute(resource.attributes!, 'pipeline', { stringValue: name }, true);
        setAttribute(resource.attributes!, 'host.name', { stringValue: `${name}-host` }, true);
      }
      await new Promise((resolve) => setTimeout(resolve, name === 'a' ? 20 : 1));
      seen.push(r);
    };
    const metas: unknown[] = [];
    const positions = [{ source: 'filelog', seq: 4 }];
    await fanOut(logs, [pipeline('a'), pipeline('b'), async (_r, meta) => void metas.push(meta)])(request, { positions });
    expect(metas).to.deep.equal([{ positions }], 'the source positions reach every pipeline');
    expect(seen).to.have.length(2);
    const stamps = seen.map((r) => r.resourceLogs![0]!.resource!.attributes!.map((kv) => `${kv.key}=${kv.value!.stringValue}`));
    expect(stamps).to.have.deep.members([
      ['host.name=a-host', 'pipeline=a'],
      ['host.name=b-host', 'pipeline=b'],
    ]);
    for (const r of seen) expect(r.resourceLogs![0]!.scopeLogs![0]!.logRecords![0]).to.equal(record);
  });

  it('fans metrics out the same way: own resources, shared metrics', async function () {
    const metric = { name: 'system.cpu.utilization', gauge: { dataPoints: [{ asDouble: 0.5 }] } };
    const request: ExportMetricsServiceRequest = { resourceMetrics: [{ resource: { attributes: [] }, scopeMetrics: [{ metrics: [metric] }] }] };
    const seen: ExportMetricsServiceRequest[] = [];
    const pipeline = (name: string) => async (r: ExportMetricsServiceRequest) => {
      for (const resource of metrics.resources(r)) setAttribute(resource.attributes!, 'pipeline', { stringValue: name }, true);
      seen.push(r);
    };
    await fanOut(metrics, [pipeline('a'), pipeline('b')])(request);
    expect(seen.map((r) => r.resourceMetrics![0]!.resource!.attributes![0]!.value!.stringValue)).to.have.members(['a', 'b']);
    for (const r of seen) expect(r.resourceMetrics![0]!.scopeMetrics![0]!.metrics![0]).to.equal(metric);
  });

  it('passes the request itself to a single pipeline', function () {
    const only = async () => undefined;
    expect(fanOut(logs, [only])).to.equal(only);
  });
});

describe('pipelines: whether the batch of a receiver is queued', function () {
  let folder: string;
  beforeEach(() => (folder = mkdtempSync(join(tmpdir(), 'rollpoint-queued-'))));
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  const openQueue = async (name: string) =>
    (await DiskQueue.open({ directory: join(folder, name), maxBytes: 1 << 20, durability: 'none', syncIntervalMs: 1000, segmentBytes: 1 << 16, memoryBytes: 0 })).queue;
  const queueBatch = (queue: DiskQueue, source: string, seq: number) => queue.append({ signal: 'logs', records: 1, watermarkMs: 0, payload: new Uint8Array(1), positions: [{ source, seq }] });

  it('asks every disk queue the receiver feeds: queued only once all of them hold the batch', async function () {
    const [a, b] = [await openQueue('a'), await openQueue('b')];
    await queueBatch(a, 'filelog', 3);
    const queued = queuedIn([a, b].map((queue) => ({ queuedSeq: (source: string) => queue.queuedSeq(source) })));
    expect(queued({ source: 'filelog', seq: 3 }), 'a queue that never saw the source').to.equal(false);
    await queueBatch(b, 'filelog', 2);
    expect(queued({ source: 'filelog', seq: 3 }), 'a queue behind').to.equal(false);
    expect(queued({ source: 'filelog', seq: 2 })).to.equal(true);
    await queueBatch(b, 'filelog', 3);
    expect(queued({ source: 'filelog', seq: 3 })).to.equal(true);
    expect(queued({ source: 'filelog', seq: 4 })).to.equal(false);
    expect(queued({ source: 'journald', seq: 1 })).to.equal(false);
    await Promise.all([a.close(), b.close()]);
  });

  it('has no answer for a receiver feeding no disk queue', function () {
    expect(queuedIn([{}])({ source: 'filelog', seq: 1 })).to.equal(undefined);
  });
});
