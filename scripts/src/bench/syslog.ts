import { rmSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { BUILT_IN_EVENT_RULES, parseSyslog, toLogRecord } from '@rollpoint/agent';
import { ChdbStore, coalescedInserts, encodeExport, migrate } from '@rollpoint/backend';
import { encodeLogsRequest, logs, type ExportLogsServiceRequest } from '@rollpoint/proto';
import { connect } from 'node:net';
import { join } from 'node:path';
import { startAgentProcess, startBackendProcess, tempFolder, waitUntil } from '../testing/processes.js';
import { startRsyslogReceiver } from '../testing/rsyslog.js';
import { measureCpu, residentMiB } from './cpu.js';
import { bytesPerRow } from './disk.js';
import { atRate, lineCount, zeroLossRate } from './udp.js';

// Syslog throughput: rollpoint's agent (parsing every message into OTLP, shipping it to the backend,
// which stores it in ClickHouse) beside rsyslog (imtcp/imudp writing each message to a file), fed
// the same messages from the same load generator in the same run.

export const TCP_MESSAGES = 200_000;
const TCP_CONNECTIONS = 4;
export const UDP_RATES = [10_000, 20_000, 40_000, 60_000, 80_000];
export const UDP_SECONDS = 2;
/** The steady load under which memory is read: this many messages a second over TCP, for RSS_SECONDS. */
export const RSS_RATE = 10_000;
export const RSS_SECONDS = 4;

/** An nginx access line through a BSD syslog header, about 150 bytes, all different. */
const line = (i: number): string =>
  `<190>Nov 30 12:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')} web-${i % 20} nginx[${1000 + (i % 7)}]: 10.0.${i % 250}.${i % 200} - - "GET /api/items/${i} HTTP/1.1" 200 ${512 + (i % 1000)} "-" "curl/8.5.0"`;

export interface SystemResult {
  tcpMessagesPerSecond: number;
  /** CPU seconds used per 100,000 TCP messages, per process. */
  cpuPer100k: Record<string, number>;
  /** TCP messages per CPU-second, per process (the inverse of cpuPer100k). */
  messagesPerCpuSecond: Record<string, number>;
  /**
   * Peak resident memory (MiB, VmHWM) per process after RSS_SECONDS of RSS_RATE messages a second
   * over TCP, the first thing it is sent after start.
   */
  peakRssMiB: Record<string, number>;
  /** The highest UDP rate tried that lost nothing (0: even the lowest lost some). */
  udpZeroLossRate: number;
}

interface Target {
  /** Messages the system has taken in (stored, or written to its file). */
  count(): Promise<number>;
  tcpPort: number;
  udpPort: number;
  pids: Record<string, number>;
}

/** Writes `lines` over `connections` TCP connections at once, as fast as the receiver reads. */
async function sendTcp(port: number, lines: string[], connections: number): Promise<void> {
  const share = Math.ceil(lines.length / connections);
  await Promise.all(
    Array.from({ length: connections }, (_, c) =>
      new Promise<void>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.end(lines.slice(c * share, (c + 1) * share).map((l) => `${l}\n`).join('')));
        socket.on('close', () => resolve());
        socket.on('error', reject);
      }),
    ),
  );
}

/** Writes `total` lines made by `make` over one TCP connection at `rate` per second. */
async function sendTcpAt(port: number, rate: number, total: number, make: (i: number) => string): Promise<void> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  await atRate(rate, total, (first, n) => new Promise<void>((resolve) => socket.write(Array.from({ length: n }, (_, k) => `${make(first + k)}\n`).join(''), () => resolve())));
  await new Promise<void>((resolve) => socket.end(resolve));
}

async function measure(target: Target): Promise<SystemResult> {
  const names = Object.keys(target.pids);
  const pids = Object.values(target.pids);
  // Memory first, so that the peak is that of the steady load and not of the burst below.
  const steady = RSS_RATE * RSS_SECONDS;
  const before = await target.count();
  await sendTcpAt(target.tcpPort, RSS_RATE, steady, (i) => line(TCP_MESSAGES + UDP_RATES.reduce((a, b) => a + b, 0) * UDP_SECONDS + i));
  await waitUntil(async () => (await target.count()) >= before + steady, 'the steady TCP load', 120000);
  const peakRssMiB = Object.fromEntries(names.map((name, i) => [name, residentMiB(pids[i]!, 'VmHWM')]));

  const lines = Array.from({ length: TCP_MESSAGES }, (_, i) => line(i));
  const base = await target.count();
  const started = performance.now();
  const { cpu } = await measureCpu(pids, async () => {
    await sendTcp(target.tcpPort, lines, TCP_CONNECTIONS);
    await waitUntil(async () => (await target.count()) >= base + TCP_MESSAGES, 'every TCP message', 300000);
  });
  const seconds = (performance.now() - started) / 1000;
  const udpZeroLossRate = await zeroLossRate(UDP_RATES, UDP_SECONDS, target.udpPort, target.count, (i) => line(TCP_MESSAGES + i));
  return {
    tcpMessagesPerSecond: Math.round(TCP_MESSAGES / seconds),
    cpuPer100k: Object.fromEntries(names.map((name, i) => [name, (cpu[i]! / TCP_MESSAGES) * 100_000])),
    messagesPerCpuSecond: Object.fromEntries(names.map((name, i) => [name, Math.round(TCP_MESSAGES / cpu[i]!)])),
    peakRssMiB,
    udpZeroLossRate,
  };
}

export async function measureRollpoint(): Promise<SystemResult> {
  const backend = await startBackendProcess({ ttlDays: 0 });
  const agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort, syslog: {} });
  try {
    const count = async () => Number((await backend.sql('SELECT count() AS n FROM otel_logs'))[0]!.n);
    return await measure({ count, tcpPort: agent.syslog!.tcp, udpPort: agent.syslog!.udp, pids: { agent: agent.child.pid!, backend: backend.child.pid! } });
  } finally {
    await agent.stop();
    await backend.stop();
  }
}

export async function measureRsyslog(): Promise<SystemResult> {
  const folder = tempFolder('bench-rsyslog');
  const file = join(folder, 'messages.log');
  // One rsyslogd per transport (imtcp and imudp each in their own daemon), each writing its own file.
  const tcp = await startRsyslogReceiver({ protocol: 'tcp', file });
  const udp = await startRsyslogReceiver({ protocol: 'udp', file: `${file}.udp` });
  try {
    const count = async () => lineCount(file) + lineCount(`${file}.udp`);
    return await measure({ count, tcpPort: tcp.port, udpPort: udp.port, pids: { rsyslogd: tcp.pid } });
  } finally {
    await tcp.stop();
    await udp.stop();
    rmSync(folder, { recursive: true, force: true });
  }
}

export interface StageCosts {
  /** Microseconds per message in each stage, in pipeline order. */
  [stage: string]: number;
}

/** What the agent makes of syslog lines received over TCP: one Export request. */
function logsRequest(texts: readonly string[], receivedAtMs: number): ExportLogsServiceRequest {
  const records = texts.map(
    (text) =>
      toLogRecord(
        { text, truncated: false, peerAddress: '127.0.0.1', transport: 'tcp', receivedAtMs },
        parseSyslog(text, { timezone: 'UTC', receivedAtMs }),
        BUILT_IN_EVENT_RULES,
      ).record,
  );
  return { resourceLogs: [{ resource: { attributes: [{ key: 'host.name', value: { stringValue: 'web-1' } }] }, scopeLogs: [{ logRecords: records }] }] };
}

/** Batches of 8192 lines stored after the timed rounds, for the disk figure. */
const DISK_BATCHES = 24;

/**
 * Where the time goes: the stages one message passes through, timed in this process on 8192
 * messages (the agent's batch), after a warm-up round; `encoders` times the agent's protobuf
 * encoder beside protobufjs's on the same request (µs per message).
 */
export async function measureSyslogStages(): Promise<{ costs: StageCosts; encoders: { protobufjs: number; direct: number }; bytesPerLogRecord: number }> {
  const count = 8192;
  const texts = Array.from({ length: count }, (_, i) => line(i));
  const perMessage = (ms: number) => (ms * 1000) / count;
  const timed = <T>(work: () => T): [T, number] => {
    const started = performance.now();
    const result = work();
    return [result, performance.now() - started];
  };
  const folder = tempFolder('bench-stages');
  const store = new ChdbStore({ path: folder, readOnlyMaxRows: 10, readOnlyTimeoutMs: 1000 });
  try {
    await migrate(store, { ttlDays: 0 });
    let costs: StageCosts = {};
    let encoders = { protobufjs: 0, direct: 0 };
    for (let round = 0; round < 2; round++) {
      const receivedAtMs = Date.now();
      const [request, parse] = timed(() => logsRequest(texts, receivedAtMs));
      const [, protobufjsEncode] = timed(() => logs.encode(request));
      const [bytes, encode] = timed(() => encodeLogsRequest(request));
      const [zipped, gzip] = timed(() => gzipSync(bytes));
      const [, gunzip] = timed(() => gunzipSync(zipped));
      const receivedAtNanos = BigInt(receivedAtMs) * 1_000_000n;
      const [encoded, toRows] = timed(() => encodeExport({ signal: 'logs', bytes, receivedAtNanos }));
      const started = performance.now();
      for (const insert of coalescedInserts([encoded], `stages-${receivedAtMs}`)) await store.insertRowBinary(insert);
      const insert = performance.now() - started;
      costs = {
        'agent: parse + build OTLP record': perMessage(parse),
        'agent: protobuf encode (direct)': perMessage(encode),
        'agent: gzip': perMessage(gzip),
        'backend: gunzip': perMessage(gunzip),
        'backend: OTLP bytes → RowBinary row, one pass': perMessage(toRows),
        'backend: RowBinary insert into ClickHouse': perMessage(insert),
      };
      encoders = { protobufjs: perMessage(protobufjsEncode), direct: perMessage(encode) };
    }
    // More of the same lines, untimed, so the disk per record is that of a sizeable merged part.
    for (let batch = 1; batch <= DISK_BATCHES; batch++) {
      const receivedAtMs = Date.now();
      const request = logsRequest(texts.map((_, i) => line(batch * count + i)), receivedAtMs);
      const encoded = encodeExport({ signal: 'logs', bytes: logs.encode(request), receivedAtNanos: BigInt(receivedAtMs) * 1_000_000n });
      for (const insert of coalescedInserts([encoded], `disk-${batch}`)) await store.insertRowBinary(insert);
    }
    const disk = await bytesPerRow(store, ['otel_logs']);
    return { costs, encoders, bytesPerLogRecord: disk.otel_logs ?? 0 };
  } finally {
    await store.close();
    rmSync(folder, { recursive: true, force: true });
  }
}
