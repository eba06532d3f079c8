import { readFileSync } from 'node:fs';
import { isIPv6, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Worker } from 'node:worker_threads';
import { SCOPE_SYSLOG } from '@rollpoint/proto';
import { splitEndpoint } from '@rollpoint/runtime';
import type { Component, ComponentContext, ReceiverConsumers } from '../../component.js';
import { DeviceNames } from '../internal/device-names.js';
import { createReceiverBuffer, type LogBuffer } from '../internal/log-buffer.js';
import type { SyslogConfig } from './config.js';
import { BUILT_IN_EVENT_RULES, type EventRule } from './event-rules.js';
import { cutAtCharBoundary, SyslogFramer } from './framing.js';
import { parseSyslog, withoutTrailer } from './parse.js';
import { toLogRecord, type Received } from './to-otlp.js';
import type { UdpWorkerCommand, UdpWorkerData, UdpWorkerMessage } from './udp-worker.js';

type Transport = Received['transport'];

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');
const SHUTDOWN_GRACE_MS = 2000;
/** A failed UDP worker is started again after this long. */
const UDP_RESTART_MS = 1000;

/** "::ffff:10.0.0.1" (an IPv4 peer on a dual-stack socket) as "10.0.0.1". */
const peerAddress = (address: string | undefined): string => (address ?? 'unknown').replace(/^::ffff:(?=\d+\.)/, '');

const OUTCOMES = ['received', 'parsed', 'failed', 'truncated', 'invalid_utf8', 'dropped'] as const;
type Outcome = (typeof OUTCOMES)[number];
type Tally = Record<Outcome, number>;
const emptyTally = (): Tally => ({ received: 0, parsed: 0, failed: 0, truncated: 0, invalid_utf8: 0, dropped: 0 });

/** The syslog receiver: UDP, TCP and TLS listeners turning every message into an OTLP log record. */
export class SyslogReceiver implements Component {
  private readonly rules: readonly EventRule[];
  private readonly devices: DeviceNames;
  private buffer?: LogBuffer;
  private readonly servers: Server[] = [];
  private udpWorker?: Worker;
  private udpRestart?: NodeJS.Timeout;
  private closing = false;
  /** The UDP socket was bound once (a worker that fails after that is started again). */
  private udpListened = false;
  private readonly sockets = new Set<Socket>();
  private paused = false;
  /** Messages counted since the counters were last told (they are told once per turn of the event loop). */
  private readonly tally: Record<Transport | 'any', Tally> = { udp: emptyTally(), tcp: emptyTally(), tls: emptyTally(), any: emptyTally() };
  private tallyFlush: NodeJS.Immediate | undefined;

  constructor(
    private readonly config: SyslogConfig,
    private readonly consumers: ReceiverConsumers,
    private readonly context: ComponentContext,
  ) {
    this.rules = [...config.event_rules, ...BUILT_IN_EVENT_RULES];
    this.devices = context.agent.devices ?? new DeviceNames(undefined);
  }

  private count(transport: Transport | 'any', outcome: Outcome, n = 1): void {
    this.tally[transport][outcome] += n;
    this.tallyFlush ??= setImmediate(() => this.flushTally());
  }

  private flushTally(): void {
    this.tallyFlush = undefined;
    for (const [transport, tally] of Object.entries(this.tally)) {
      for (const outcome of OUTCOMES) {
        if (tally[outcome] === 0) continue;
        this.context.metrics.syslogMessages.inc({ receiver: this.context.id, transport, outcome }, tally[outcome]);
        tally[outcome] = 0;
      }
    }
  }

  private countConnection(transport: Transport, outcome: string): void {
    this.context.metrics.syslogConnections.inc({ receiver: this.context.id, transport, outcome });
  }

  async start(): Promise<void> {
    const consume = this.consumers.logs;
    if (!consume) throw new Error(`${this.context.id}: the syslog receiver is in no logs pipeline`);
    this.buffer = createReceiverBuffer(this.context, {
      consume,
      scopeName: SCOPE_SYSLOG,
      what: 'syslog messages (TCP senders are paused when the buffer fills)',
      maxPending: this.config.max_pending_messages,
      onPressure: (paused) => this.setPaused(paused),
      // Records given up on are no longer told apart by transport.
      countDropped: (records) => this.count('any', 'dropped', records),
    });
    if (this.config.udp) await this.startUdp(this.config.udp);
    if (this.config.tcp) await this.listen('tcp', this.config.tcp, createTcpServer());
    if (this.config.tls) {
      const tls = this.config.tls;
      const server = createTlsServer({
        cert: readFileSync(tls.cert_file),
        key: readFileSync(tls.key_file),
        ...(tls.ca_file ? { ca: readFileSync(tls.ca_file) } : {}),
        requestCert: tls.client_auth !== 'none',
        rejectUnauthorized: tls.client_auth === 'require',
      });
      server.on('tlsClientError', (err) => {
        this.countConnection('tls', 'tls_failed');
        this.context.logger.warn({ receiver: this.context.id, err: err.message }, 'TLS handshake failed');
      });
      await this.listen('tls', tls, server, 'secureConnection');
    }
  }

  /** Handles one message as received: decode, parse, map, buffer, count. */
  private receive(bytes: Buffer, truncated: boolean, peer: string, transport: Transport): void {
    this.count(transport, 'received');
    let text: string;
    let invalidUtf8: Uint8Array | undefined;
    try {
      text = fatalUtf8.decode(bytes);
    } catch {
      text = lenientUtf8.decode(bytes);
      invalidUtf8 = Buffer.from(bytes);
      this.count(transport, 'invalid_utf8');
    }
    // Senders end messages with LF (inside octet-counted frames too, as rsyslog does) or NUL.
    text = withoutTrailer(text);
    const receivedAtMs = Date.now();
    const parsed = parseSyslog(text, { timezone: this.config.timezone, receivedAtMs });
    this.count(transport, parsed.ok ? 'parsed' : 'failed');
    if (truncated) this.count(transport, 'truncated');
    const received: Received = { text, truncated, peerAddress: peer, transport, receivedAtMs, ...(invalidUtf8 ? { invalidUtf8 } : {}) };
    const { hostName, record } = toLogRecord(received, parsed, this.rules);
    if (!this.buffer!.add(this.devices.syslogDevice(peer, hostName), record, transport === 'udp')) this.count(transport, 'dropped');
  }

  private async startUdp(settings: { endpoint: string; receive_buffer_size: number }): Promise<void> {
    const { host, port } = splitEndpoint(settings.endpoint);
    const data: UdpWorkerData = { type: isIPv6(host) ? 'udp6' : 'udp4', host, port, receiveBufferSize: settings.receive_buffer_size };
    const listening = await this.startUdpWorker(data);
    // A restarted worker binds the port the first one got (the endpoint may have asked for any).
    data.port = listening.port;
    const { granted } = listening;
    if (listening.setError) {
      // Refused outright on some systems; the kernel's default still works, and what it is is told below.
      this.context.logger.warn({ receiver: this.context.id, err: listening.setError }, 'could not set the UDP receive buffer size');
    }
    this.context.metrics.udpReceiveBufferBytes.set({ receiver: this.context.id }, granted);
    const told = { receiver: this.context.id, transport: 'udp', port: listening.port, receiveBufferSize: settings.receive_buffer_size, granted };
    // Linux books twice what it is asked for and reports that; less than asked means rmem_max capped it.
    if (granted < settings.receive_buffer_size) {
      this.context.logger.warn(told, 'syslog listening; the kernel granted a smaller UDP receive buffer than udp.receive_buffer_size (raise net.core.rmem_max)');
    } else {
      this.context.logger.info(told, 'syslog listening');
    }
  }

  /**
   * Starts the thread that owns the UDP socket and hands datagrams over in batches; resolves once
   * it listens. A worker that fails later is logged and started again.
   */
  private startUdpWorker(data: UdpWorkerData): Promise<Extract<UdpWorkerMessage, { kind: 'listening' }>> {
    const worker = new Worker(new URL('./udp-worker.js', import.meta.url), {
      workerData: data,
      // It only copies datagrams: a small heap keeps the thread's memory small.
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 },
      stdout: false,
      stderr: false,
    });
    this.udpWorker = worker;
    const max = this.config.max_message_bytes;
    // Senders are few and each sends many datagrams: the last one's address is reused as it is.
    let lastRemote = '';
    let lastPeer = '';
    return new Promise((resolve, reject) => {
      let listening = false;
      worker.on('message', (message: UdpWorkerMessage) => {
        switch (message.kind) {
          case 'batch': {
            const { ends, peerIndex, peers } = message;
            const all = Buffer.from(message.bytes);
            for (let i = 0, start = 0; i < ends.length; start = ends[i]!, i++) {
              const remote = peers[peerIndex[i]!]!;
              if (remote !== lastRemote) {
                lastRemote = remote;
                lastPeer = peerAddress(remote);
              }
              const datagram = all.subarray(start, ends[i]!);
              const truncated = datagram.length > max;
              this.receive(truncated ? cutAtCharBoundary(datagram, max) : datagram, truncated, lastPeer, 'udp');
            }
            if (message.dropped > 0) {
              this.count('udp', 'received', message.dropped);
              this.count('udp', 'dropped', message.dropped);
            }
            worker.postMessage({ kind: 'ack' } satisfies UdpWorkerCommand);
            break;
          }
          case 'listening':
            listening = true;
            this.udpListened = true;
            resolve(message);
            break;
          case 'bind-error':
            reject(new Error(message.message));
            break;
          case 'error':
            this.context.logger.error({ receiver: this.context.id, err: message.message }, 'syslog UDP socket error');
            break;
        }
      });
      worker.on('error', (err) => {
        this.context.logger.error({ receiver: this.context.id, err: err.message }, 'syslog UDP worker failed');
        if (!listening) reject(err);
      });
      worker.on('exit', (code) => {
        if (!listening) reject(new Error('the syslog UDP worker stopped before it listened'));
        // Only a worker that listened once is started again: failing to bind at start fails start().
        if (this.udpWorker !== worker || this.closing || !this.udpListened) return;
        this.udpWorker = undefined;
        this.context.logger.error({ receiver: this.context.id, code }, 'syslog UDP worker stopped; starting it again');
        this.udpRestart = setTimeout(() => {
          this.udpRestart = undefined;
          if (this.closing) return;
          this.startUdpWorker(data).catch((err: Error) => {
            this.context.logger.error({ receiver: this.context.id, err: err.message }, 'could not start the syslog UDP worker again');
            // Tried again by the exit handler of the worker that just failed.
          });
        }, UDP_RESTART_MS);
      });
    });
  }

  private async listen(transport: 'tcp' | 'tls', settings: { endpoint: string; max_connections: number; idle_timeout: number }, server: Server, event = 'connection'): Promise<void> {
    server.maxConnections = settings.max_connections;
    server.on('drop', () => this.countConnection(transport, 'refused'));
    server.on(event, (socket: Socket) => this.accept(socket, transport, settings.idle_timeout));
    server.on('error', (err) => this.context.logger.error({ receiver: this.context.id, err: err.message }, `syslog ${transport} server error`));
    const { host, port } = splitEndpoint(settings.endpoint);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.servers.push(server);
    this.context.logger.info({ receiver: this.context.id, transport, port: (server.address() as { port: number }).port }, 'syslog listening');
  }

  private accept(socket: Socket, transport: 'tcp' | 'tls', idleTimeoutMs: number): void {
    this.countConnection(transport, 'accepted');
    this.sockets.add(socket);
    if (this.paused) socket.pause();
    const peer = peerAddress(socket.remoteAddress);
    const framer = new SyslogFramer(this.config.max_message_bytes);
    const receiveAll = (frames: ReturnType<SyslogFramer['push']>) => {
      for (const frame of frames) this.receive(frame.bytes, frame.truncated, peer, transport);
    };
    socket.setTimeout(idleTimeoutMs, () => {
      this.countConnection(transport, 'idle_closed');
      socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => receiveAll(framer.push(chunk)));
    socket.on('end', () => socket.end());
    socket.on('close', () => {
      receiveAll(framer.end());
      this.sockets.delete(socket);
    });
    socket.on('error', (err) => this.context.logger.debug({ receiver: this.context.id, peer, err: err.message }, 'syslog connection error'));
  }

  /** Back-pressure: stream senders stop being read while the pipeline is full. */
  private setPaused(paused: boolean): void {
    this.paused = paused;
    for (const socket of this.sockets) {
      if (paused) socket.pause();
      else socket.resume();
    }
  }

  /** Asks the UDP worker to hand over what it holds and stop; ends it if it does not in time. */
  private async closeUdpWorker(): Promise<void> {
    const worker = this.udpWorker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ kind: 'close' } satisfies UdpWorkerCommand);
    const timer = setTimeout(() => void worker.terminate(), SHUTDOWN_GRACE_MS);
    await exited;
    clearTimeout(timer);
    this.udpWorker = undefined;
  }

  async shutdown(): Promise<void> {
    for (const server of this.servers) server.close();
    this.closing = true;
    clearTimeout(this.udpRestart);
    const udpClosed = this.closeUdpWorker();
    // Let senders finish what is on the wire, then cut what is still open.
    this.setPaused(false);
    for (const socket of this.sockets) socket.end();
    const deadline = Date.now() + SHUTDOWN_GRACE_MS;
    while (this.sockets.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    for (const socket of this.sockets) socket.destroy();
    await udpClosed;
    await this.buffer?.close();
    clearImmediate(this.tallyFlush);
    this.flushTally();
  }
}
