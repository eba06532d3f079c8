import { rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { metricValue, startAgentProcess, startBackendProcess, tempFolder, waitUntil, type AgentProcess, type BackendProcess } from '../testing/processes.js';
import { marker, sendTcp, sendUdp, storedLog } from '../testing/syslog.js';

const MAX_BYTES = 1024;

const syslogCount = (text: string, transport: string, outcome: string) =>
  metricValue(text, `rollpoint_agent_receiver_syslog_messages_total{receiver="syslog",transport="${transport}",outcome="${outcome}"}`);
const connectionCount = (text: string, outcome: string) =>
  metricValue(text, `rollpoint_agent_receiver_syslog_connections_total{receiver="syslog",transport="tcp",outcome="${outcome}"}`);

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  });
}

const closed = (socket: Socket): Promise<void> => new Promise((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));

describe('syslog limits and bad input', function () {
  let backend: BackendProcess;
  let agent: AgentProcess;

  before(async function () {
    backend = await startBackendProcess();
    agent = await startAgentProcess({
      backendGrpcPort: backend.grpcPort,
      batch: { timeout: '20ms' },
      syslog: { settings: { max_message_bytes: MAX_BYTES, tcp: { idle_timeout: '1500ms', max_connections: 4 } } },
    });
  });

  after(async function () {
    await agent?.stop();
    await backend?.stop();
  });

  it('cuts a message over max_message_bytes, flags it, and the stream goes on (LF, octet-counted, UDP)', async function () {
    const [lf, counted, udp, after] = [marker('long-lf'), marker('long-counted'), marker('long-udp'), marker('after-long')];
    const long = (mark: string) => `<13>Nov 30 11:00:00 host app: ${mark} ${'x'.repeat(5000)}`;
    const countedMessage = long(counted);
    await sendTcp(agent.syslog!.tcp, `${long(lf)}\n${Buffer.byteLength(countedMessage)} ${countedMessage}<13>Nov 30 11:00:01 host app: ${after}\n`);
    await sendUdp(agent.syslog!.udp, [long(udp)]);
    for (const mark of [lf, counted, udp]) {
      const row = await storedLog(backend, mark);
      expect(Buffer.byteLength(row.Body), mark).to.be.at.most(MAX_BYTES);
      expect(row.LogAttributes['rollpoint.truncated'], mark).to.equal('true');
      expect(row.LogAttributes.appname).to.equal('app');
    }
    const next = await storedLog(backend, after);
    expect(next.LogAttributes.message).to.equal(after);
    expect(next.LogAttributes['rollpoint.truncated']).to.equal(undefined);
    const metrics = await agent.metrics();
    expect(syslogCount(metrics, 'tcp', 'truncated')).to.be.at.least(2);
    expect(syslogCount(metrics, 'udp', 'truncated')).to.be.at.least(1);
  });

  it('keeps invalid UTF-8 readable in Body and exact in rollpoint.raw', async function () {
    const mark = marker('latin1');
    const raw = Buffer.concat([Buffer.from(`<13>Nov 30 11:00:00 host app: ${mark} caf`), Buffer.from([0xe9, 0xff]), Buffer.from(' au lait')]);
    await sendUdp(agent.syslog!.udp, [raw]);
    const row = await storedLog(backend, mark);
    expect(row.Body).to.equal(`<13>Nov 30 11:00:00 host app: ${mark} caf\ufffd\ufffd au lait`);
    expect(Buffer.from(row.LogAttributes['rollpoint.raw']!, 'base64').equals(raw)).to.equal(true);
  });

  it('keeps an unparseable message with its raw text and rollpoint.parse_error', async function () {
    const mark = marker('bad-pri');
    // From an address of its own: 127.0.0.1 has sent this file's other messages as "host", a name the
    // agent learned for it and would give this one, which has none.
    await sendTcp(agent.syslog!.tcp, `<999>${mark}\n`, '127.0.0.9');
    const row = await storedLog(backend, mark);
    expect(row.Body).to.equal(`<999>${mark}`);
    expect(row.LogAttributes['rollpoint.parse_error']).to.equal('PRI 999 is over 191');
    expect(row.ResourceAttributes['host.name']).to.equal('127.0.0.9');
    expect(syslogCount(await agent.metrics(), 'tcp', 'failed')).to.be.at.least(1);
  });

  it('does not let a client that sends garbage or stalls hold up the others', async function () {
    const stalled = await open(agent.syslog!.tcp);
    stalled.write('<13>Nov 30 11:00:00 host app: never finished'); // no LF: waits for the rest
    const garbage = await open(agent.syslog!.tcp);
    garbage.write(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
    const mark = marker('meanwhile');
    await sendTcp(agent.syslog!.tcp, `<13>Nov 30 11:00:00 host app: ${mark}\n`);
    await storedLog(backend, mark);
    garbage.destroy();
    stalled.destroy();
  });

  it('closes a connection idle for idle_timeout, and counts it', async function () {
    const before = connectionCount(await agent.metrics(), 'idle_closed');
    const idle = await open(agent.syslog!.tcp);
    const started = Date.now();
    await closed(idle);
    expect(Date.now() - started).to.be.at.least(1000);
    expect(connectionCount(await agent.metrics(), 'idle_closed')).to.equal(before + 1);
  });

  it('refuses connections over max_connections, and counts them', async function () {
    const before = connectionCount(await agent.metrics(), 'refused');
    const sockets = await Promise.all(Array.from({ length: 4 }, () => open(agent.syslog!.tcp)));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const extra = await open(agent.syslog!.tcp);
    await closed(extra);
    await waitUntil(async () => connectionCount(await agent.metrics(), 'refused') === before + 1, 'the refusal to be counted', 5000);
    sockets.forEach((s) => s.destroy());
  });
});

describe('syslog delivery while the backend is away', function () {
  let backend: BackendProcess;
  let agent: AgentProcess;
  const dataDir = join(tempFolder('outage'), 'data');

  before(async function () {
    backend = await startBackendProcess({ dataDir });
    agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort, batch: { timeout: '20ms' }, syslog: { settings: { max_pending_messages: 100 } } });
  });

  after(async function () {
    await agent?.stop();
    await backend?.stop();
    rmSync(dirname(dataDir), { recursive: true, force: true });
  });

  it('keeps TCP messages (pausing the sender) and drops only UDP ones over the limit, counted', async function () {
    const { grpcPort, httpPort } = backend;
    await backend.stop();
    const run = marker('outage');
    const tcpLines = Array.from({ length: 300 }, (_, i) => `<13>Nov 30 11:00:00 host app: ${run} tcp ${i}\n`).join('');
    const sending = sendTcp(agent.syslog!.tcp, tcpLines);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const receivedBefore = syslogCount(await agent.metrics(), 'udp', 'received');
    // More datagrams than the receiver's requests in flight and max_pending_messages (100) can hold
    // while the pipeline takes its time (batch timeout, fsync): the rest cannot wait.
    const datagrams = 2000;
    await sendUdp(agent.syslog!.udp, Array.from({ length: datagrams }, (_, i) => `<13>Nov 30 11:00:00 host app: ${run} udp ${i}`));
    await waitUntil(async () => syslogCount(await agent.metrics(), 'udp', 'received') === receivedBefore + datagrams, `all ${datagrams} datagrams to be received`, 10000);
    const dropped = syslogCount(await agent.metrics(), 'udp', 'dropped');
    expect(dropped).to.be.at.least(1);

    backend = await startBackendProcess({ dataDir, grpcPort, httpPort });
    await sending;
    const count = async (transport: string) =>
      Number((await backend.sql(`SELECT count() AS n FROM otel_logs WHERE position(Body, '${run} ${transport} ') > 0`))[0]!.n);
    await waitUntil(async () => (await count('tcp')) === 300, 'all 300 TCP messages', 60000);
    await waitUntil(async () => (await count('udp')) === datagrams - dropped, 'the UDP messages not dropped', 30000);
    expect(syslogCount(await agent.metrics(), 'udp', 'dropped')).to.equal(dropped);
  });
});
