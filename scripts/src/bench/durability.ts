// The agent's disk queue: what each durability mode costs, alone and end to end, and how long a
// 1 GiB backlog (left by an outage) takes to reach the store once the backend is back.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { DiskQueue, type Durability } from '@rollpoint/agent';
import { logs, SCOPE_SYSLOG, type LogRecord } from '@rollpoint/proto';
import Long from 'long';
import { rawExport } from '../testing/grpc.js';
import { freePort } from '../testing/ports.js';
import { startAgentProcess, startBackendProcess, tempFolder, waitUntil } from '../testing/processes.js';

export const DURABILITY_MODES: readonly Durability[] = ['fsync', 'batch', 'none'];
const MIB = 1024 * 1024;

/** A batch of `count` syslog-like log records (about 300 bytes each, encoded), numbered from `first`. */
function logBatch(first: number, count: number): Uint8Array {
  const now = Long.fromNumber(Date.now(), true).multiply(1_000_000);
  const logRecords: LogRecord[] = Array.from({ length: count }, (_, i) => ({
    timeUnixNano: now,
    observedTimeUnixNano: now,
    severityNumber: 9,
    severityText: 'INFO',
    body: { stringValue: `<134>Nov 30 12:00:00 edge-1 sshd[4242]: Accepted publickey for deploy from 10.0.${(first + i) % 256}.7 port 51234 ssh2 #${first + i}` },
    attributes: [
      { key: 'appname', value: { stringValue: 'sshd' } },
      { key: 'hostname', value: { stringValue: 'edge-1' } },
      { key: 'proc_id', value: { stringValue: '4242' } },
      { key: 'facility', value: { intValue: Long.fromNumber(16) } },
    ],
  }));
  return logs.encode({ resourceLogs: [{ resource: { attributes: [{ key: 'host.name', value: { stringValue: 'edge-1' } }] }, scopeLogs: [{ scope: { name: SCOPE_SYSLOG }, logRecords }] }] });
}

export interface QueueAlone {
  mode: Durability;
  /** Appends of one batch at a time (each waits for the last). */
  serialBatchesPerSecond: number;
  /** 16 appends at a time: concurrent appends share a write and an fsync. */
  concurrentBatchesPerSecond: number;
  mibPerSecond: number;
}

const QUEUE_BATCHES = 400;
const RECORDS_PER_BATCH = 512;

/** The disk queue in this process: appends of 512-record batches (about 150 KiB). */
export async function measureQueueAlone(mode: Durability): Promise<QueueAlone> {
  const payload = logBatch(0, RECORDS_PER_BATCH);
  const time = async (concurrency: number): Promise<number> => {
    const directory = tempFolder('bench-queue');
    const { queue } = await DiskQueue.open({ directory, maxBytes: 4096 * MIB, durability: mode, syncIntervalMs: 1000, segmentBytes: 64 * MIB, memoryBytes: 0 });
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next++ < QUEUE_BATCHES) await queue.append({ signal: 'logs', records: RECORDS_PER_BATCH, watermarkMs: Date.now(), payload });
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const elapsed = performance.now() - started;
    await queue.close();
    rmSync(directory, { recursive: true, force: true });
    return elapsed;
  };
  const serialMs = await time(1);
  const concurrentMs = await time(16);
  return {
    mode,
    serialBatchesPerSecond: Math.round((QUEUE_BATCHES / serialMs) * 1000),
    concurrentBatchesPerSecond: Math.round((QUEUE_BATCHES / concurrentMs) * 1000),
    mibPerSecond: (QUEUE_BATCHES * payload.length) / MIB / (concurrentMs / 1000),
  };
}

export interface EndToEnd {
  mode: Durability;
  /** Records acknowledged by the agent per second with the backend away (only the queue in the way). */
  acceptedPerSecond: number;
  /** Records stored per second, agent → backend → store, the backend up. */
  storedPerSecond: number;
}

const E2E_EXPORTS = 200;
const E2E_RECORDS = 500;
const E2E_IN_FLIGHT = 16;

async function sendAll(port: number, first: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < E2E_EXPORTS) {
      const k = next++;
      const answer = await rawExport(port, logs.grpcMethod, logBatch(first + k * E2E_RECORDS, E2E_RECORDS));
      if (answer.code !== status.OK) throw new Error(`export failed: ${answer.details}`);
    }
  };
  await Promise.all(Array.from({ length: E2E_IN_FLIGHT }, worker));
  return performance.now() - started;
}

/** 100,000 log records through a real agent in `mode`: first with no backend, then with one. */
export async function measureEndToEnd(mode: Durability): Promise<EndToEnd> {
  const total = E2E_EXPORTS * E2E_RECORDS;
  const exporter = { sending_queue: { durability: mode, max_size_mib: 4096 }, retry_on_failure: { initial_interval: '100ms', max_interval: '500ms' } };
  const away = await startAgentProcess({ backendGrpcPort: await freePort(), exporter });
  let acceptedMs: number;
  try {
    acceptedMs = await sendAll(away.grpcPort, 0);
  } finally {
    await away.stop('SIGKILL');
  }
  const backend = await startBackendProcess();
  const agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort, exporter });
  try {
    const started = performance.now();
    await sendAll(agent.grpcPort, 0);
    await waitUntil(async () => Number((await backend.sql('SELECT count() AS n FROM otel_logs'))[0]!.n) >= total, 'every record to be stored', 300000);
    const storedMs = performance.now() - started;
    return { mode, acceptedPerSecond: Math.round((total / acceptedMs) * 1000), storedPerSecond: Math.round((total / storedMs) * 1000) };
  } finally {
    await agent.stop();
    await backend.stop();
  }
}

export interface Recovery {
  backlogMib: number;
  batches: number;
  records: number;
  /** From the agent's start (backend up) until the backend holds every record. */
  seconds: number;
}

/**
 * Leaves `backlogMib` of log batches (2048 records each) in an agent's queue folder, as an outage
 * would, then starts the backend and the agent on it and times the drain.
 */
export async function measureRecovery(backlogMib: number): Promise<Recovery> {
  const dataDir = tempFolder('bench-backlog');
  const perBatch = 2048;
  try {
    const { queue } = await DiskQueue.open({ directory: join(dataDir, 'queue', 'otlp'), maxBytes: 2 * backlogMib * MIB, durability: 'none', syncIntervalMs: 1000, segmentBytes: 64 * MIB, memoryBytes: 0 });
    let batches = 0;
    while (queue.bytes < backlogMib * MIB) {
      await queue.append({ signal: 'logs', records: perBatch, watermarkMs: Date.now(), payload: logBatch(batches * perBatch, perBatch) });
      batches++;
    }
    await queue.close();
    const records = batches * perBatch;
    const backend = await startBackendProcess();
    const started = performance.now();
    const agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort, dataDir });
    try {
      await waitUntil(async () => Number((await backend.sql('SELECT count() AS n FROM otel_logs'))[0]!.n) >= records, 'the backlog to be stored', 3600000);
      return { backlogMib, batches, records, seconds: (performance.now() - started) / 1000 };
    } finally {
      await agent.stop();
      await backend.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
