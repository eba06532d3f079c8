import { appendFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExportLogsServiceRequest } from '@rollpoint/proto';
import { RetryLaterError } from '@rollpoint/runtime';
import { expect } from 'chai';
import { pino } from 'pino';
import type { Component, ComponentContext } from '../../component.js';
import { DiskQueue } from '../../queue/disk-queue.js';
import { Watermark } from '../../service/watermark.js';
import { createAgentMetrics } from '../../telemetry/metrics.js';
import { filelogConfigSchema } from './config.js';
import { filelogReceiverFactory } from './factory.js';
import { readFingerprint } from './fingerprint.js';
import { OffsetStore } from './offset-store.js';

// The receiver in-process on real files in a temporary folder; what the pipeline is given is
// collected by the test's consumer. Rotation with logrotate, and kill -9, are in scripts/e2e/filelog.test.ts.

interface Delivered {
  body: string;
  attributes: Record<string, string>;
  scope: string;
}

async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('filelog receiver on real files', function () {
  let folder: string;
  let dataDir: string;
  let delivered: Delivered[];
  let running: Component[];
  /** Set by a test to hold or refuse what the pipeline is given. */
  let gate: (() => Promise<void>) | undefined;

  const consume = async (request: ExportLogsServiceRequest) => {
    await gate?.();
    for (const rl of request.resourceLogs!)
      for (const sl of rl.scopeLogs!)
        for (const record of sl.logRecords!)
          delivered.push({
            body: record.body!.stringValue!,
            attributes: Object.fromEntries(record.attributes!.map((a) => [a.key, a.value!.stringValue!])),
            scope: sl.scope!.name!,
          });
  };

  async function startReceiver(settings: Record<string, unknown>, queued?: ComponentContext['queued']): Promise<Component> {
    const context: ComponentContext = { id: 'filelog', logger: pino({ level: 'silent' }), metrics: createAgentMetrics(), agent: { id: 'test', dataDir }, watermark: new Watermark(), queued };
    const receiver = filelogReceiverFactory.create(filelogConfigSchema.parse({ poll_interval: '20ms', ...settings }), { logs: consume }, context);
    await receiver.start();
    running.push(receiver);
    return receiver;
  }
  /** The first poll is over once it stored the offsets. */
  const firstPollDone = () => eventually(() => existsSync(join(dataDir, 'filelog', 'filelog.json')), 'the first poll');
  const bodies = () => delivered.map((d) => d.body);
  const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line ${from + i}`);
  const append = (path: string, from: number, to: number) => appendFileSync(path, lines(from, to).map((l) => `${l}\n`).join(''));

  beforeEach(function () {
    folder = mkdtempSync(join(tmpdir(), 'rollpoint-filelog-'));
    dataDir = join(folder, 'data');
    delivered = [];
    running = [];
    gate = undefined;
  });
  afterEach(async function () {
    gate = undefined;
    for (const receiver of running) await receiver.shutdown();
    rmSync(folder, { recursive: true, force: true });
  });

  it('starts at the end of files found on its first run, then reads what is appended, with the file name and path', async function () {
    const path = join(folder, 'app.log');
    append(path, 0, 3);
    await startReceiver({ include: [join(folder, '*.log')], include_file_path: true });
    await firstPollDone();
    append(path, 3, 5);
    await eventually(() => delivered.length === 2, 'the appended lines');
    expect(delivered).to.deep.equal(lines(3, 5).map((body) => ({ body, attributes: { 'log.file.name': 'app.log', 'log.file.path': path }, scope: 'rollpoint/filelog' })));
  });

  it('follows a file renamed by rotation and the new one created, and one truncated in place (copytruncate), each line once', async function () {
    const path = join(folder, 'app.log');
    append(path, 0, 10);
    await startReceiver({ include: [join(folder, 'app.log*')], start_at: 'beginning' });
    await eventually(() => delivered.length === 10, 'the first lines');
    append(path, 10, 20);
    renameSync(path, `${path}.1`);
    writeFileSync(path, '');
    append(`${path}.1`, 20, 25); // the writer still has the old file open
    append(path, 25, 30);
    await eventually(() => delivered.length === 30, 'the lines around the rename');
    // copytruncate: copy, then truncate; lines appended to the copy's original before the copy are in it.
    writeFileSync(`${path}.2.gz`, readFileSync(`${path}.1`)); // compressed rotations are left alone
    rmSync(`${path}.1`);
    append(path, 30, 35);
    writeFileSync(`${path}.1`, readFileSync(path));
    truncateSync(path, 0);
    append(path, 35, 40);
    await eventually(() => delivered.length >= 40, 'the lines around the copytruncate');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect([...bodies()].sort()).to.deep.equal(lines(0, 40).sort());
  });

  it('groups a multiline stack trace into one record and flushes the last once the file stops growing', async function () {
    const path = join(folder, 'app.log');
    await startReceiver({ include: [path], start_at: 'beginning', multiline: { line_start_pattern: '^\\d{4}-' } });
    appendFileSync(path, '2026-12-01 ERROR boom\njava.lang.IllegalStateException: x\n\tat A.b(A.java:1)\n2026-12-01 INFO next\n\tat C.d(C.java:2)\n');
    await eventually(() => delivered.length === 2, 'both records');
    expect(bodies()).to.deep.equal(['2026-12-01 ERROR boom\njava.lang.IllegalStateException: x\n\tat A.b(A.java:1)', '2026-12-01 INFO next\n\tat C.d(C.java:2)']);
  });

  it('holds a line without its newline while the file may still grow (it is sent once it stopped)', async function () {
    const path = join(folder, 'app.log');
    appendFileSync(path, 'whole\nhalf a li');
    // One poll only: what it read is all there is to see.
    await startReceiver({ include: [path], start_at: 'beginning', poll_interval: '1h' });
    await firstPollDone();
    expect(bodies()).to.deep.equal(['whole']);
  });

  it('finishes a file deleted while it is being read', async function () {
    const path = join(folder, 'app.log');
    append(path, 0, 5);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let reading = false;
    gate = () => {
      reading = true;
      return held;
    };
    await startReceiver({ include: [path], start_at: 'beginning' });
    await eventually(() => reading, 'the first lines in the pipeline');
    append(path, 5, 10);
    unlinkSync(path);
    release();
    await eventually(() => delivered.length === 10, 'every line of the deleted file');
    expect(bodies()).to.deep.equal(lines(0, 10));
  });

  it('stores offsets only for what the pipeline took: after a restart nothing is lost or repeated', async function () {
    const path = join(folder, 'app.log');
    append(path, 0, 5);
    const first = await startReceiver({ include: [path] });
    await firstPollDone();
    append(path, 5, 10);
    await eventually(() => delivered.length === 5, 'the first lines');
    // The pipeline refuses from now on; the receiver is shut down with these lines undelivered.
    let refused = 0;
    gate = () => {
      refused++;
      return Promise.reject(new RetryLaterError('backend away', 10));
    };
    append(path, 10, 15);
    await eventually(() => refused > 0, 'the pipeline to refuse');
    await first.shutdown();
    running = running.filter((r) => r !== first);
    gate = undefined;
    append(path, 15, 20);
    await startReceiver({ include: [path] });
    await eventually(() => delivered.length >= 15, 'the lines after the restart');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(bodies()).to.deep.equal(lines(5, 20));
  });

  for (const queuedBeforeCrash of [true, false]) {
    it(`after a kill -9 with a batch on its way, ${queuedBeforeCrash ? 'goes on after it if the disk queue has it' : 'reads it again if the disk queue does not have it'}`, async function () {
      const path = join(folder, 'app.log');
      append(path, 0, 10);
      const handle = await open(path, 'r');
      const fingerprint = await readFingerprint(handle, 1000);
      await handle.close();
      // What a kill -9 leaves: lines 0-4 on their way (pending), and, if it came after the queue's write, in the queue.
      const position = new OffsetStore(join(dataDir, 'filelog', 'filelog.json'), 'filelog').begin([{ fingerprint, offset: 0, path }], fingerprint, lines(0, 5).join('\n').length + 1);
      const queue = (await DiskQueue.open({ directory: join(dataDir, 'queue'), maxBytes: 1 << 20, durability: 'none', syncIntervalMs: 1000, segmentBytes: 1 << 16, memoryBytes: 0 })).queue;
      if (queuedBeforeCrash) await queue.append({ signal: 'logs', records: 5, watermarkMs: 0, payload: new Uint8Array(1), positions: [position] });
      await startReceiver({ include: [path], start_at: 'beginning' }, ({ source, seq }) => (queue.queuedSeq(source) ?? 0) >= seq);
      await eventually(() => delivered.length >= (queuedBeforeCrash ? 5 : 10), 'the lines after the restart');
      await new Promise((resolve) => setTimeout(resolve, 100));
      await queue.close();
      expect(bodies()).to.deep.equal(lines(queuedBeforeCrash ? 5 : 0, 10));
    });
  }

  it('takes random bytes written in random pieces without losing or changing one (Latin-1: a byte a character)', async function () {
    const path = join(folder, 'noise.log');
    await startReceiver({ include: [path], start_at: 'beginning', encoding: 'latin1', max_log_size: 1 << 20 });
    // No carriage returns: a line's trailing CR is not part of its record.
    const noise = Buffer.from(randomBytes(200_000).map((byte) => (byte === 0x0d ? 0x0a : byte)));
    for (let at = 0; at < noise.length; ) {
      const piece = 1 + (noise[at]! * 37) % 5000;
      appendFileSync(path, noise.subarray(at, at + piece));
      at += piece;
    }
    const expected = noise.toString('latin1');
    const received = () => bodies().join('\n') + (expected.endsWith('\n') ? '\n' : '');
    await eventually(() => received().length >= expected.length, 'every byte');
    expect(received() === expected, 'the bytes as written').to.equal(true);
  });

  it('parses JSON lines into attributes (json_parser), keeping a line that is not JSON with the reason', async function () {
    const path = join(folder, 'app.json');
    await startReceiver({ include: [path], start_at: 'beginning', include_file_name: false, operators: [{ type: 'json_parser' }] });
    appendFileSync(path, '{"level":"error","user":"ann"}\nnot json\n');
    await eventually(() => delivered.length === 2, 'both lines');
    expect(delivered[0]!.attributes).to.deep.equal({ level: 'error', user: 'ann' });
    expect(delivered[1]!.body).to.equal('not json');
    expect(delivered[1]!.attributes['rollpoint.parse_error']).to.match(/^not JSON/);
  });

  it('starts, shuts down and starts again from its default configuration', async function () {
    const receiver = await startReceiver({ include: [join(folder, '*.log')] });
    await receiver.shutdown();
    running = [];
    await startReceiver({ include: [join(folder, '*.log')] });
  });
});
