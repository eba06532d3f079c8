import { logs, type ExportLogsServiceRequest } from '@rollpoint/proto';
import type { ExportMeta } from '@rollpoint/runtime';
import { expect } from 'chai';
import { BatchProcessor } from './processor.js';

const request = (...bodies: string[]): ExportLogsServiceRequest => ({
  resourceLogs: [{ scopeLogs: [{ logRecords: bodies.map((b) => ({ body: { stringValue: b } })) }] }],
});
const bodies = (r: ExportLogsServiceRequest) => r.resourceLogs!.flatMap((rl) => rl.scopeLogs!.flatMap((sl) => sl.logRecords!.map((l) => l.body!.stringValue)));

function recorder(fail = false) {
  const sent: ExportLogsServiceRequest[] = [];
  return { sent, next: async (r: ExportLogsServiceRequest) => { sent.push(r); if (fail) throw new Error('backend down'); } };
}

describe('batch processor', function () {
  it('sends as soon as send_batch_size records wait, as one merged request', async function () {
    const { sent, next } = recorder();
    const batch = new BatchProcessor({ send_batch_size: 3, timeout: 60000 }, logs, next);
    await Promise.all([batch.consume(request('a', 'b')), batch.consume(request('c'))]);
    expect(sent.map(bodies)).to.deep.equal([['a', 'b', 'c']]);
  });

  it('passes on the source positions of the requests it merged, in order, and none for requests without', async function () {
    const metas: Array<ExportMeta | undefined> = [];
    const batch = new BatchProcessor({ send_batch_size: 4, timeout: 60000 }, logs, async (_r, meta) => void metas.push(meta));
    await Promise.all([
      batch.consume(request('a'), { positions: [{ source: 'filelog', seq: 7 }] }),
      batch.consume(request('b'), { sender: 'app' }),
      batch.consume(request('c'), { positions: [{ source: 'journald', seq: 3 }, { source: 'filelog/b', seq: 1 }] }),
      batch.consume(request('d'), { positions: [{ source: 'filelog', seq: 8 }] }),
    ]);
    await Promise.all([batch.consume(request('e')), batch.consume(request('f')), batch.consume(request('g')), batch.consume(request('h'))]);
    expect(metas).to.deep.equal([
      {
        positions: [
          { source: 'filelog', seq: 7 },
          { source: 'journald', seq: 3 },
          { source: 'filelog/b', seq: 1 },
          { source: 'filelog', seq: 8 },
        ],
      },
      undefined,
    ]);
  });

  it('sends a partial batch when the timeout passes', async function () {
    const { sent, next } = recorder();
    const batch = new BatchProcessor({ send_batch_size: 1000, timeout: 20 }, logs, next);
    const started = Date.now();
    await batch.consume(request('lonely'));
    expect(Date.now() - started).to.be.at.least(15);
    expect(sent.map(bodies)).to.deep.equal([['lonely']]);
  });

  it('fails every caller of a batch the next stage refused, so each sender retries', async function () {
    const { next } = recorder(true);
    const batch = new BatchProcessor({ send_batch_size: 2, timeout: 60000 }, logs, next);
    const results = await Promise.allSettled([batch.consume(request('x')), batch.consume(request('y'))]);
    expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'rejected']);
  });

  it('flushes what waits on shutdown, and sends what comes later at once', async function () {
    const { sent, next } = recorder();
    const batch = new BatchProcessor({ send_batch_size: 1000, timeout: 60000 }, logs, next);
    const waiting = batch.consume(request('pending'));
    await batch.shutdown();
    await waiting;
    await batch.consume(request('late'));
    expect(sent.map(bodies)).to.deep.equal([['pending'], ['late']]);
  });
});
