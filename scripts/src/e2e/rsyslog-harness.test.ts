import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { freePort } from '../testing/ports.js';
import { tempFolder, waitUntil } from '../testing/processes.js';
import { LOGGER, OPENSSL, requireTools, RSYSLOG_TLS, RSYSLOGD } from '../testing/debian-tools.js';
import { startRsyslogForwarder, startRsyslogReceiver, type RsyslogInstance } from '../testing/rsyslog.js';
import { createTestPki, type TestPki } from '../testing/tls.js';

// Proves the rsyslog harness itself, without rollpoint: real rsyslogd forwarders into small Node servers,
// and a real rsyslogd receiver fed by logger(1).

const run = promisify(execFile);

interface CaptureServer {
  port: number;
  /** Everything received so far, all connections in order. */
  received(): Buffer;
  /** Per TLS connection: whether the client certificate checked out, and its CN. */
  peers: Array<{ authorized: boolean; commonName: string | undefined }>;
  close(): Promise<void>;
}

/** A TCP or TLS server on 127.0.0.1 that keeps every byte it gets; TLS requires a client certificate from the test CA. */
async function startCaptureServer(kind: 'tcp' | 'tls', pki?: TestPki, port = 0): Promise<CaptureServer> {
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  const peers: CaptureServer['peers'] = [];
  const onSocket = (socket: Socket) => {
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  };
  let server: Server;
  if (kind === 'tls') {
    server = createTlsServer(
      { key: readFileSync(pki!.serverKeyFile), cert: readFileSync(pki!.serverCertFile), ca: readFileSync(pki!.caFile), requestCert: true, rejectUnauthorized: true },
      (socket: TLSSocket) => {
        peers.push({ authorized: socket.authorized, commonName: socket.getPeerCertificate().subject?.CN as string | undefined });
        onSocket(socket);
      },
    );
  } else {
    server = createTcpServer(onSocket);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    received: () => Buffer.concat(chunks),
    peers,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Splits RFC 6587 octet-counted data ("<len> <frame>"...); fails on anything else. */
function octetCountedFrames(data: Buffer): string[] {
  const frames: string[] = [];
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    const length = Number(data.subarray(offset, space).toString('ascii'));
    expect(space, `a frame length at byte ${offset}`).to.be.greaterThan(offset);
    expect(Number.isInteger(length) && length > 0, `frame length "${data.subarray(offset, space)}"`).to.equal(true);
    expect(data[space + 1], 'a frame starts with "<"').to.equal(0x3c);
    frames.push(data.subarray(space + 1, space + 1 + length).toString('utf8'));
    offset = space + 1 + length;
  }
  expect(offset, 'the data ends on a frame boundary').to.equal(data.length);
  return frames;
}

/** Polls `check` for up to 15 s; a failure shows what rsyslogd printed. */
async function waitFor(check: () => boolean, what: string, rsyslog: RsyslogInstance): Promise<void> {
  try {
    await waitUntil(async () => check(), what, 15000);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- rsyslogd output ---\n${rsyslog.output()}`, { cause: error });
  }
}

/** Three RFC 5424 lines rsyslog forwards unchanged with RSYSLOG_SyslogProtocol23Format. */
const testLines = (label: string): string[] =>
  [1, 2, 3].map((n) => `<13>1 2024-05-01T10:00:0${n}.123Z harness-host rollpoint-harness ${n} ID${n} - ${label} line ${n} ${Math.random().toString(36).slice(2)}`);

describe('rsyslog test harness (real rsyslogd, no rollpoint code)', function () {
  let folder: string | undefined;
  let pki: TestPki;
  const cleanups: Array<() => Promise<void>> = [];
  /** Stops `instance` after this test. */
  const own = <T extends RsyslogInstance>(instance: T): T => {
    cleanups.push(() => instance.stop());
    return instance;
  };

  before(async function () {
    requireTools(this, RSYSLOGD, RSYSLOG_TLS, OPENSSL, LOGGER);
    folder = tempFolder('rsyslog-harness');
    pki = await createTestPki(folder);
  });

  afterEach(async function () {
    while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
  });

  after(function () {
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('forwards over TCP with octet-counted framing (RFC 6587)', async function () {
    this.timeout(20000);
    const server = await startCaptureServer('tcp');
    cleanups.push(() => server.close());
    const rsyslog = own(await startRsyslogForwarder({ target: { host: '127.0.0.1', port: server.port }, protocol: 'tcp', framing: 'octet-counted' }));
    const lines = testLines('tcp-octet');
    await rsyslog.send(lines);
    await waitFor(() => lines.every((line) => server.received().includes(line)), 'the 3 lines at the server', rsyslog);
    const data = server.received();
    expect(data.toString()).to.match(/^\d+ </);
    // rsyslog counts the template's trailing LF into the frame.
    expect(octetCountedFrames(data)).to.include.members(lines.map((line) => `${line}\n`));
  });

  it('forwards over TCP with traditional LF framing', async function () {
    this.timeout(20000);
    const server = await startCaptureServer('tcp');
    cleanups.push(() => server.close());
    const rsyslog = own(await startRsyslogForwarder({ target: { host: '127.0.0.1', port: server.port }, protocol: 'tcp', framing: 'traditional' }));
    const lines = testLines('tcp-lf');
    await rsyslog.send(lines);
    await waitFor(() => lines.every((line) => server.received().includes(`${line}\n`)), 'the 3 lines at the server', rsyslog);
    const text = server.received().toString();
    expect(text.endsWith('\n')).to.equal(true);
    expect(text.split('\n')).to.include.members(lines);
  });

  it('forwards over TLS (RFC 5425: octet-counted) presenting the client certificate', async function () {
    this.timeout(20000);
    const server = await startCaptureServer('tls', pki);
    cleanups.push(() => server.close());
    const tls = { caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile };
    const rsyslog = own(await startRsyslogForwarder({ target: { host: '127.0.0.1', port: server.port }, protocol: 'tls', tls }));
    const lines = testLines('tls');
    await rsyslog.send(lines);
    await waitFor(() => lines.every((line) => server.received().includes(line)), 'the 3 lines at the TLS server', rsyslog);
    expect(server.received().toString()).to.match(/^\d+ </);
    expect(octetCountedFrames(server.received())).to.include.members(lines.map((line) => `${line}\n`));
    expect(server.peers[0]).to.deep.equal({ authorized: true, commonName: 'rollpoint-test-client' });
  });

  it('keeps messages sent before the target listens and delivers them once it does', async function () {
    this.timeout(20000);
    const port = await freePort();
    const rsyslog = own(await startRsyslogForwarder({ target: { host: '127.0.0.1', port }, protocol: 'tcp', framing: 'octet-counted' }));
    const lines = testLines('retry');
    await rsyslog.send(lines);
    await waitFor(() => rsyslog.output().includes('cannot connect'), 'rsyslogd to find the target down', rsyslog);
    const server = await startCaptureServer('tcp', undefined, port);
    cleanups.push(() => server.close());
    await waitFor(() => lines.every((line) => server.received().includes(line)), 'the 3 lines at the late server', rsyslog);
    // Frames may repeat after the failed attempts (at-least-once), but every one is whole.
    expect(new Set(octetCountedFrames(server.received()))).to.include.keys(...lines.map((line) => `${line}\n`));
  });

  for (const protocol of ['udp', 'tcp'] as const) {
    it(`receives from logger over ${protocol.toUpperCase()} into a file`, async function () {
      this.timeout(20000);
      const file = join(folder!, `received-${protocol}.log`);
      const receiver = own(await startRsyslogReceiver({ protocol, file }));
      const messages = [1, 2, 3].map((n) => `logger ${protocol} message ${n} ${Math.random().toString(36).slice(2)}`);
      for (const message of messages) {
        await run('logger', ['-n', '127.0.0.1', '-P', String(receiver.port), protocol === 'udp' ? '-d' : '-T', '-t', 'rollpoint-harness', '--', message], { timeout: 5000 });
      }
      const content = () => (existsSync(file) ? readFileSync(file, 'utf8') : '');
      // omfile writes asynchronously and flushes at least every second.
      await waitFor(() => messages.every((message) => content().includes(message)), `the logger messages in ${file}`, receiver);
      expect(content().split('\n')).to.include.members(messages);
    });
  }
});
