import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { SignalName } from '@rollpoint/proto';
import { expect } from 'chai';
import { DiskQueue, QueueFullError, type DiskQueueOptions, type Durability } from './disk-queue.js';

const payloadOf = (n: number, size = 100): Uint8Array => Buffer.alloc(size, n % 251);
const SIGNALS: readonly SignalName[] = ['traces', 'logs', 'metrics'];

describe('disk queue', () => {
  let directory: string;
  const options = (extra: Partial<DiskQueueOptions> = {}): DiskQueueOptions => ({
    directory,
    maxBytes: 10 * 1024 * 1024,
    durability: 'fsync',
    syncIntervalMs: 50,
    segmentBytes: 1024,
    memoryBytes: 1024 * 1024,
    ...extra,
  });
  const segments = () => readdirSync(directory).filter((name) => name.endsWith('.seg'));

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'rollpoint-queue-'));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  async function fill(queue: DiskQueue, count: number, size = 100): Promise<void> {
    await Promise.all(Array.from({ length: count }, (_, n) => queue.append({ signal: SIGNALS[n % SIGNALS.length]!, records: n + 1, watermarkMs: 1000 + n, payload: payloadOf(n, size) })));
  }

  for (const durability of ['fsync', 'batch', 'none'] as Durability[]) {
    it(`gives back, after a reopen, every batch not acknowledged, in order, with the same ids (${durability})`, async () => {
      const first = (await DiskQueue.open(options({ durability }))).queue;
      await fill(first, 30);
      const ids: string[] = [];
      for (let n = 0; n < 10; n++) {
        const batch = (await first.next())!;
        ids.push(batch.id);
        first.ack(batch);
      }
      const unacked = [];
      for (let n = 10; n < 30; n++) unacked.push((await first.next())!);
      await first.close();

      const { queue, recovered } = await DiskQueue.open(options({ durability }));
      expect(recovered).to.deep.equal({ batches: 20, records: unacked.reduce((sum, b) => sum + b.records, 0), tornRecords: 0, tornBytes: 0 });
      for (const [n, before] of unacked.entries()) {
        const batch = (await queue.next())!;
        expect(batch).to.include({ id: before.id, signal: before.signal, records: before.records, watermarkMs: 1010 + n });
        expect(Buffer.from(await queue.payload(batch)).equals(Buffer.from(payloadOf(10 + n)))).to.equal(true);
        expect(ids).not.to.include(batch.id);
      }
      await queue.close();
    });
  }

  it('writes each signal with the code the files on disk already hold: traces 0, logs 1, metrics 2', async () => {
    const { queue } = await DiskQueue.open(options());
    for (const signal of SIGNALS) await queue.append({ signal, records: 1, watermarkMs: 0, payload: payloadOf(1) });
    await queue.close();
    const bytes = readFileSync(join(directory, segments()[0]!));
    const codes: number[] = [];
    // Each record: magic (4), body length (4), CRC (4), then the body: version (1), signal (1), …
    for (let at = 0; at < bytes.length; at += 12 + bytes.readUInt32BE(at + 4)) codes.push(bytes[at + 13]!);
    expect(codes).to.deep.equal([0, 1, 2]);
  });

  it('deletes a segment once all its batches are acknowledged, and counts the bytes it takes', async () => {
    const { queue } = await DiskQueue.open(options());
    await fill(queue, 40);
    expect(segments().length).to.be.greaterThan(3);
    const onDisk = segments().reduce((sum, name) => sum + statSync(join(directory, name)).size, 0);
    expect(queue.bytes).to.equal(onDisk);
    for (let n = 0; n < 40; n++) queue.ack((await queue.next())!);
    expect(queue.depth).to.equal(0);
    expect(segments()).to.have.length(1); // the segment being written to
    expect(queue.bytes).to.equal(statSync(join(directory, segments()[0]!)).size);
    await queue.close();
  });

  it('reads payloads back from disk when they are over its memory share', async () => {
    const { queue } = await DiskQueue.open(options({ memoryBytes: 0 }));
    await fill(queue, 5, 3000);
    for (let n = 0; n < 5; n++) {
      const batch = (await queue.next())!;
      expect(Buffer.from(await queue.payload(batch)).equals(Buffer.from(payloadOf(n, 3000)))).to.equal(true);
    }
    await queue.close();
  });

  it('skips and counts a torn record at the tail, keeping every whole one before it', async () => {
    const first = (await DiskQueue.open(options({ segmentBytes: 1024 * 1024 }))).queue;
    await fill(first, 5);
    await first.close();
    const [segment] = segments();
    const path = join(directory, segment!);
    // A crash in the middle of writing a sixth record: its first 60 bytes made it to disk.
    const second = (await DiskQueue.open(options({ segmentBytes: 1024 * 1024 }))).queue;
    await fill(second, 1);
    await second.close();
    const torn = join(directory, segments()[1]!);
    truncateSync(torn, 60);
    // And garbage after the five whole records of the first segment.
    appendFileSync(path, Buffer.from('RPQ1 not a record'));

    const { queue, recovered } = await DiskQueue.open(options());
    expect(recovered.batches).to.equal(5);
    expect(recovered.tornRecords).to.equal(2);
    expect(recovered.tornBytes).to.equal(60 + 17);
    for (let n = 0; n < 5; n++) expect((await queue.next())!.watermarkMs).to.equal(1000 + n);
    await queue.close();
  });

  it('refuses a batch that would take it over its size, and takes again once some are acknowledged', async () => {
    const { queue } = await DiskQueue.open(options({ maxBytes: 1000 }));
    await fill(queue, 6);
    let refused: unknown;
    await queue.append({ signal: 'logs', records: 1, watermarkMs: 0, payload: payloadOf(1) }).catch((err: unknown) => (refused = err));
    expect(refused).to.be.instanceOf(QueueFullError);
    for (let n = 0; n < 6; n++) queue.ack((await queue.next())!);
    await queue.append({ signal: 'logs', records: 1, watermarkMs: 0, payload: payloadOf(1) });
    expect(queue.depth).to.equal(1);
    await queue.close();
  });

  it('takes the parts of one request all or none', async () => {
    const { queue } = await DiskQueue.open(options({ maxBytes: 1000 }));
    await fill(queue, 4);
    const part = (n: number) => ({ signal: 'logs' as const, records: 1, watermarkMs: 0, payload: payloadOf(n) });
    let refused: unknown;
    // Room for one more record, not for three: none is queued.
    await queue.appendAll([part(1), part(2), part(3)]).catch((err: unknown) => (refused = err));
    expect(refused).to.be.instanceOf(QueueFullError);
    expect(queue.depth).to.equal(4);
    for (let n = 0; n < 4; n++) queue.ack((await queue.next())!);
    expect(await queue.appendAll([part(1), part(2), part(3)])).to.have.length(3);
    expect(queue.depth).to.equal(3);
    await queue.close();
  });

  it('refuses a folder another live process holds, and takes over one a killed process left', async () => {
    const { queue } = await DiskQueue.open(options());
    await queue.close();
    // pid 1 is alive on any machine, and is not this test.
    appendFileSync(join(directory, 'queue.lock'), '1');
    let refused: Error | undefined;
    await DiskQueue.open(options()).catch((err: Error) => (refused = err));
    expect(refused?.message).to.match(/in use by process 1/);
    // A pid no process has: the lock of an agent killed with -9.
    rmSync(join(directory, 'queue.lock'));
    appendFileSync(join(directory, 'queue.lock'), '4194303');
    await (await DiskQueue.open(options())).queue.close();
  });

  it('fails only the batches a failed write concerns, goes on in a new segment, and counts the bytes on disk', async function () {
    const { queue } = await DiskQueue.open(options({ segmentBytes: 1024 * 1024 }));
    await fill(queue, 3);
    // The file under the queue goes away, as with an I/O error: the next write fails.
    await (queue as unknown as { writer: { close(): Promise<void> } }).writer.close();
    let failure: unknown;
    await queue.append({ signal: 'logs', records: 1, watermarkMs: 0, payload: payloadOf(9) }).catch((err: unknown) => (failure = err));
    expect(failure).to.be.instanceOf(Error);
    await fill(queue, 2);
    expect(queue.depth).to.equal(5);
    const onDisk = segments().reduce((sum, name) => sum + statSync(join(directory, name)).size, 0);
    expect(queue.bytes).to.equal(onDisk);
    await queue.close();
    const reopened = await DiskQueue.open(options());
    expect(reopened.recovered).to.include({ batches: 5, tornRecords: 0 });
    await reopened.queue.close();
  });

  describe('source positions', () => {
    const batchAt = (source: string, seq: number, size = 100) => ({ signal: 'logs' as const, records: 1, watermarkMs: 0, payload: payloadOf(seq, size), positions: [{ source, seq }] });

    it('knows the highest seq per source it wrote, after a reopen too, acknowledged or not', async () => {
      const { queue } = await DiskQueue.open(options({ segmentBytes: 1024 * 1024 }));
      expect(queue.queuedSeq('filelog')).to.equal(undefined);
      for (let seq = 1; seq <= 3; seq++) await queue.append(batchAt('filelog', seq));
      await queue.append({ ...batchAt('journald', 7), positions: [{ source: 'journald', seq: 7 }, { source: 'filelog/other', seq: 2 }] });
      await queue.append({ signal: 'logs', records: 1, watermarkMs: 0, payload: payloadOf(0) });
      queue.ack((await queue.next())!);
      expect([queue.queuedSeq('filelog'), queue.queuedSeq('journald'), queue.queuedSeq('filelog/other')]).to.deep.equal([3, 7, 2]);
      await queue.close();
      const reopened = (await DiskQueue.open(options())).queue;
      expect([reopened.queuedSeq('filelog'), reopened.queuedSeq('journald'), reopened.queuedSeq('filelog/other')]).to.deep.equal([3, 7, 2]);
      // The batches themselves are unchanged by the positions they carry.
      const first = (await reopened.next())!;
      expect(Buffer.from(await reopened.payload(first)).equals(Buffer.from(payloadOf(2)))).to.equal(true);
      await reopened.close();
    });

    it('keeps the answer once the segments holding it are acknowledged and deleted (the sidecar file)', async () => {
      const { queue } = await DiskQueue.open(options({ segmentBytes: 400 }));
      for (let seq = 1; seq <= 10; seq++) await queue.append(batchAt('filelog', seq));
      for (let n = 0; n < 10; n++) queue.ack((await queue.next())!);
      // Batches of another source, one per segment, so that every segment with filelog's goes.
      for (let seq = 1; seq <= 2; seq++) await queue.append(batchAt('journald', seq, 300));
      await queue.close();
      const left = segments().map((name) => readFileSync(join(directory, name)).toString('latin1'));
      expect(left.some((bytes) => bytes.includes('filelog'))).to.equal(false);
      const reopened = (await DiskQueue.open(options({ segmentBytes: 400 }))).queue;
      expect([reopened.queuedSeq('filelog'), reopened.queuedSeq('journald')]).to.deep.equal([10, 2]);
      await reopened.close();
    });

    it('deletes acknowledged segments at open only after saving their positions', async () => {
      const { queue } = await DiskQueue.open(options({ segmentBytes: 1024 * 1024 }));
      for (let seq = 1; seq <= 3; seq++) await queue.append(batchAt('journald', seq));
      for (let n = 0; n < 3; n++) queue.ack((await queue.next())!);
      await queue.close();
      expect(readdirSync(directory)).not.to.include('positions.json');
      // The fully acknowledged segment goes at this open...
      await (await DiskQueue.open(options())).queue.close();
      expect(segments().map((name) => statSync(join(directory, name)).size)).to.deep.equal([0]);
      // ...and the next one still knows what it held.
      const again = (await DiskQueue.open(options())).queue;
      expect(again.queuedSeq('journald')).to.equal(3);
      await again.close();
    });

    it('does not count the position of a torn record: its batch is not in the queue', async () => {
      const { queue } = await DiskQueue.open(options({ segmentBytes: 1024 * 1024 }));
      await queue.append(batchAt('filelog', 1));
      await queue.append(batchAt('filelog', 2, 3000));
      await queue.close();
      const [segment] = segments();
      truncateSync(join(directory, segment!), statSync(join(directory, segment!)).size - 100);
      const reopened = await DiskQueue.open(options());
      expect(reopened.recovered).to.include({ batches: 1, tornRecords: 1 });
      expect(reopened.queue.queuedSeq('filelog')).to.equal(1);
      await reopened.queue.close();
    });

    it('still reads the version-1 records an older agent left', async () => {
      // One record as version 1 wrote it: no positions between the record count and the payload.
      const id = Buffer.from('0f9a2c4e-version-1', 'latin1');
      const payload = Buffer.from('an older agent\'s batch');
      const body = Buffer.alloc(3 + id.length + 12);
      let at = body.writeUInt8(1, 0);
      at = body.writeUInt8(1, at); // logs
      at = body.writeUInt8(id.length, at);
      at += id.copy(body, at);
      at = body.writeDoubleBE(1234, at);
      body.writeUInt32BE(3, at);
      const head = Buffer.alloc(12);
      head.write('RPQ1', 0, 'latin1');
      head.writeUInt32BE(body.length + payload.length, 4);
      head.writeUInt32BE(crc32(payload, crc32(body)), 8);
      appendFileSync(join(directory, `${'1'.padStart(20, '0')}.seg`), Buffer.concat([head, body, payload]));

      const { queue, recovered } = await DiskQueue.open(options());
      expect(recovered).to.include({ batches: 1, records: 3, tornRecords: 0 });
      const batch = (await queue.next())!;
      expect(batch).to.include({ id: id.toString('latin1'), signal: 'logs', records: 3, watermarkMs: 1234 });
      expect(Buffer.from(await queue.payload(batch)).toString()).to.equal("an older agent's batch");
      expect(queue.queuedSeq('filelog')).to.equal(undefined);
      await queue.close();
    });
  });

  it('names the oldest watermark of what is not yet delivered', async () => {
    const { queue } = await DiskQueue.open(options());
    expect(queue.oldestWatermarkMs()).to.equal(undefined);
    await fill(queue, 3);
    const first = (await queue.next())!;
    expect(queue.oldestWatermarkMs()).to.equal(1000);
    queue.ack(first);
    expect(queue.oldestWatermarkMs()).to.equal(1001);
    await queue.close();
  });
});
