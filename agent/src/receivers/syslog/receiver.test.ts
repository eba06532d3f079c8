import { createSocket, type Socket } from 'node:dgram';
import type { ExportLogsServiceRequest, LogRecord } from '@rollpoint/proto';
import { expect } from 'chai';
import type { Logger } from 'pino';
import type { ComponentContext } from '../../component.js';
import { Watermark } from '../../service/watermark.js';
import { createAgentMetrics } from '../../telemetry/metrics.js';
import { syslogConfigSchema } from './config.js';
import { SyslogReceiver } from './receiver.js';

const attribute = (record: LogRecord, key: string) => record.attributes?.find((a) => a.key === key)?.value;

async function waitUntil(done: () => boolean, what: string, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A UDP sender bound to `address` (any 127.x address is this host's loopback on Linux). */
async function sender(address: string): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  return socket;
}

const send = (socket: Socket, port: number, message: string | Buffer) =>
  new Promise<void>((resolve, reject) => socket.send(message, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));

describe('syslog receiver over UDP (the socket read by a worker thread)', function () {
  this.timeout(30000);
  let receiver: SyslogReceiver;
  let port = 0;
  const records: LogRecord[] = [];
  const logged: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const metrics = createAgentMetrics();
  const counted = async (outcome: string) =>
    (await metrics.syslogMessages.get()).values.find((v) => v.labels.transport === 'udp' && v.labels.outcome === outcome)?.value ?? 0;

  before(async function () {
    const log = (level: string) => (fields: Record<string, unknown>, message: string) => logged.push({ level, fields, message });
    const logger = { info: log('info'), warn: log('warn'), error: log('error'), debug: log('debug') } as unknown as Logger;
    const context: ComponentContext = { id: 'syslog', logger, metrics, agent: { id: 'test', dataDir: '/nonexistent' }, watermark: new Watermark() };
    const config = syslogConfigSchema.parse({ udp: { endpoint: '127.0.0.1:0', receive_buffer_size: 4 * 1024 * 1024 }, max_message_bytes: 480 });
    receiver = new SyslogReceiver(config, { logs: async (request: ExportLogsServiceRequest) => void records.push(...request.resourceLogs!.flatMap((rl) => rl.scopeLogs!.flatMap((sl) => sl.logRecords!))) }, context);
    await receiver.start();
    const listening = logged.find((l) => l.fields.transport === 'udp' && String(l.message).startsWith('syslog listening'));
    expect(listening, 'the listening log line').to.not.equal(undefined);
    port = listening!.fields.port as number;
    expect(listening!.fields.granted).to.be.a('number').above(0);
  });

  after(async function () {
    await receiver.shutdown();
  });

  it('takes datagrams from two peers, each with its own address, and cuts a long one', async function () {
    const [a, b] = await Promise.all([sender('127.0.0.1'), sender('127.0.0.2')]);
    try {
      await send(a, port, '<13>Nov 30 11:00:00 host-a app: from a');
      await send(b, port, '<13>Nov 30 11:00:00 host-b app: from b');
      await send(a, port, `<13>Nov 30 11:00:00 host-a app: long ${'x'.repeat(1000)}`);
      await waitUntil(() => records.length >= 3, 'three records');
      const byBody = (text: string) => records.find((r) => String(r.body?.stringValue).includes(text))!;
      expect(attribute(byBody('from a'), 'network.peer.address')?.stringValue).to.equal('127.0.0.1');
      expect(attribute(byBody('from b'), 'network.peer.address')?.stringValue).to.equal('127.0.0.2');
      expect(attribute(byBody('from b'), 'network.transport')?.stringValue).to.equal('udp');
      const long = byBody('long');
      expect(attribute(long, 'rollpoint.truncated')?.boolValue).to.equal(true);
      expect(Buffer.byteLength(String(long.body?.stringValue))).to.be.at.most(480);
      expect(await counted('truncated')).to.equal(1);
    } finally {
      a.close();
      b.close();
    }
  });

  it('receives a burst of 5000 datagrams completely, and counts them', async function () {
    records.length = 0;
    const before = await counted('received');
    const socket = await sender('127.0.0.1');
    try {
      const total = 5000;
      for (let i = 0; i < total; i += 500) {
        await Promise.all(Array.from({ length: 500 }, (_, k) => send(socket, port, `<13>Nov 30 11:00:00 host app: burst ${i + k}`)));
      }
      await waitUntil(() => records.length >= total, `all ${total} records (have ${records.length})`);
      const seen = new Set(records.map((r) => String(r.body?.stringValue).replace(/^.*burst /, '')));
      expect(seen.size).to.equal(total);
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect((await counted('received')) - before).to.equal(total);
      expect(await counted('dropped')).to.equal(0);
    } finally {
      socket.close();
    }
  });

  it('starts the worker again when it stops, on the same port, and says so', async function () {
    const worker = (receiver as unknown as { udpWorker: { terminate(): Promise<number> } }).udpWorker;
    await worker.terminate();
    records.length = 0;
    const socket = await sender('127.0.0.1');
    try {
      // Sent until the new worker listens (about a second), then one more that must arrive.
      await waitUntil(() => {
        void send(socket, port, '<13>Nov 30 11:00:00 host app: after restart');
        return records.length > 0;
      }, 'a record through the restarted worker');
      expect(logged.some((l) => l.level === 'error' && l.message === 'syslog UDP worker stopped; starting it again')).to.equal(true);
      expect((receiver as unknown as { udpWorker: unknown }).udpWorker).to.not.equal(worker);
    } finally {
      socket.close();
    }
  });
});
