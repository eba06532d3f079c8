import { connect, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { logs, metrics, traces, type ExportTraceServiceRequest } from '@rollpoint/proto';
import { expect } from 'chai';
import Long from 'long';
import { rawExport, type RawAnswer } from '../testing/grpc.js';
import { METRIC_TABLES, metricsExport, POINTS_PER_EXPORT, storedMetricPoints, type StoredByExport } from '../testing/numbered-metrics.js';
import { freePort } from '../testing/ports.js';
import { metricValue, startAgentProcess, startBackendProcess, tempFolder, waitUntil, type AgentProcess, type BackendProcess } from '../testing/processes.js';
import { startLossyProxy } from '../testing/proxy.js';
import { sendUdp } from '../testing/syslog.js';

// Faults for real, with real processes on loopback: kill -9 of the agent, the backend away for a
// minute, an acknowledgement lost after the insert, a full queue. Each ends in exact counts from
// otel_logs, otel_traces and the five otel_metrics_* tables (a metrics Export fills all five).

const SPANS_PER_EXPORT = 50;
const QUEUE_BATCHES = 'rollpoint_agent_exporter_queue_batches{exporter="otlp"}';
/** One of the exporter's per-signal record counters. */
const exporterRecords = (counter: 'queued' | 'sent' | 'retried', signal: string): string => `rollpoint_agent_exporter_${counter}_records_total{exporter="otlp",signal="${signal}"}`;
const QUEUED_LOGS = exporterRecords('queued', 'logs');

/** Export number `k` of a stream: SPANS_PER_EXPORT spans named `<prefix>-<k>-<j>`, ids unique. */
function spanExport(prefix: string, k: number): Uint8Array {
  const now = Long.fromNumber(Date.now(), true).multiply(1_000_000);
  const request: ExportTraceServiceRequest = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'delivery-test' } }] },
        scopeSpans: [
          {
            spans: Array.from({ length: SPANS_PER_EXPORT }, (_, j) => {
              const id = Buffer.alloc(16);
              id.writeUInt32BE(k, 8);
              id.writeUInt32BE(j + 1, 12);
              return { traceId: id, spanId: id.subarray(8), name: `${prefix}-${k}-${j}`, startTimeUnixNano: now, endTimeUnixNano: now.add(1000) };
            }),
          },
        ],
      },
    ],
  };
  return traces.encode(request);
}

const syslogLine = (prefix: string, n: number): string => `<134>1 ${new Date().toISOString()} router-1 app - - - ${prefix}-${n}\n`;

/**
 * Writes numbered syslog lines over one TCP connection, `perTick` every `tickMs`, until stopped
 * or the connection fails; honours back-pressure. `written` counts lines handed to the socket.
 */
function syslogStream(port: number, prefix: string, perTick: number, tickMs: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  const state = { written: 0, stopped: false };
  const done = (async () => {
    await new Promise((resolve) => socket.once('connect', resolve));
    while (!state.stopped && !socket.destroyed) {
      let chunk = '';
      for (let i = 0; i < perTick; i++) chunk += syslogLine(prefix, state.written + i);
      state.written += perTick;
      if (!socket.write(chunk)) await new Promise((resolve) => (socket.once('drain', resolve), socket.once('close', resolve)));
      await sleep(tickMs);
    }
  })();
  return {
    state,
    socket,
    /** Stops writing; with `end`, closes the connection cleanly and waits until it is closed. */
    async stop(end: boolean): Promise<void> {
      state.stopped = true;
      await done;
      if (!end || socket.destroyed) {
        socket.destroy();
        return;
      }
      await new Promise<void>((resolve) => socket.end(() => resolve()));
    },
  };
}

/** Sends numbered exports of `signal` one after another until stopped; `acked` holds the numbers the agent acknowledged. */
function exportStream(port: number, signal: NumberedSignal, prefix: string, pauseMs: number) {
  const state = { sent: 0, acked: [] as number[], stopped: false };
  const done = (async () => {
    while (!state.stopped) {
      const k = state.sent++;
      const answer = await rawExport(port, signal.method, signal.build(prefix, k));
      if (answer.code === status.OK) state.acked.push(k);
      await sleep(pauseMs);
    }
  })();
  return {
    state,
    async stop(): Promise<void> {
      state.stopped = true;
      await done;
    },
  };
}

interface Stored {
  rows: number;
  distinct: number;
  /** 1 + the highest number stored. */
  next: number;
}

async function storedSyslog(backend: BackendProcess, prefix: string): Promise<Stored> {
  const [row] = await backend.sql(
    `SELECT count() AS rows, uniqExact(n) AS distinct, max(n) + 1 AS next FROM (SELECT toUInt64(extract(Body, '${prefix}-([0-9]+)')) AS n FROM otel_logs WHERE position(Body, '${prefix}-') > 0)`,
  );
  return { rows: Number(row!.rows), distinct: Number(row!.distinct), next: Number(row!.next) };
}

/** Spans stored per export number. */
async function storedSpans(backend: BackendProcess, prefix: string): Promise<StoredByExport> {
  const perExport = new Map<number, number>();
  const rows = await backend.sql(`SELECT toUInt32(extract(SpanName, '${prefix}-([0-9]+)-')) AS k, count() AS n FROM otel_traces WHERE startsWith(SpanName, '${prefix}-') GROUP BY k`);
  for (const row of rows) perExport.set(Number(row.k), Number(row.n));
  const [totals] = await backend.sql(`SELECT count() AS rows, uniqExact(SpanName) AS distinct FROM otel_traces WHERE startsWith(SpanName, '${prefix}-')`);
  return { rows: Number(totals!.rows), distinct: Number(totals!.distinct), perExport };
}

/** A signal sent as numbered Exports: how one is built, its records, and what the backend stored of them in which tables. */
interface NumberedSignal {
  name: 'traces' | 'metrics';
  method: string;
  build(prefix: string, k: number): Uint8Array;
  perExport: number;
  stored(backend: BackendProcess, prefix: string): Promise<StoredByExport>;
  tables: readonly string[];
}

const SPANS: NumberedSignal = { name: 'traces', method: traces.grpcMethod, build: spanExport, perExport: SPANS_PER_EXPORT, stored: storedSpans, tables: ['otel_traces'] };
const METRICS: NumberedSignal = { name: 'metrics', method: metrics.grpcMethod, build: metricsExport, perExport: POINTS_PER_EXPORT, stored: storedMetricPoints, tables: METRIC_TABLES };

/** Every export in `acked` is stored whole, and no record is stored twice. */
function expectStoredOnce(signal: NumberedSignal, stored: StoredByExport, acked: readonly number[]): void {
  expect(stored.rows, `no ${signal.name} record stored twice`).to.equal(stored.distinct);
  for (const k of acked) expect(stored.perExport.get(k), `acknowledged ${signal.name} export ${k}`).to.equal(signal.perExport);
}

/** Sends exports 0, 1, … (at most `limit`) until one is refused; returns how many were accepted, and the refusal. */
async function sendUntilRefused(port: number, method: string, build: (k: number) => Uint8Array, limit = 100): Promise<{ accepted: number; refusal?: RawAnswer }> {
  for (let k = 0; k < limit; k++) {
    const answer = await rawExport(port, method, build(k));
    if (answer.code !== status.OK) return { accepted: k, refusal: answer };
  }
  return { accepted: limit };
}

/** Waits until the agent's queue is empty and what `count` counts in the backend has stopped changing. */
async function drained(agent: AgentProcess, count: () => Promise<number>, timeoutMs = 120000): Promise<void> {
  let last = -1;
  await waitUntil(
    async () => {
      const now = await count();
      const settled = now === last && metricValue(await agent.metrics(), QUEUE_BATCHES) === 0;
      last = now;
      return settled;
    },
    'the queue to drain',
    timeoutMs,
    agent,
  );
}

describe('delivery under faults: nothing acknowledged is lost, nothing is stored twice', function () {
  this.timeout(300000);
  const folders: string[] = [];
  const ownedFolder = (name: string): string => {
    const folder = tempFolder(name);
    folders.push(folder);
    return folder;
  };
  after(() => {
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  it('kill -9 of the agent mid-stream (TCP syslog, OTLP spans and metrics), then a restart: everything acknowledged is stored once', async function () {
    const backend = await startBackendProcess();
    let agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort, dataDir: ownedFolder('kill-agent'), syslog: {}, metrics: true, batch: { timeout: '50ms' } });
    try {
      const syslog = syslogStream(agent.syslog!.tcp, 'killsys', 50, 5);
      const spans = exportStream(agent.grpcPort, SPANS, 'killspan', 5);
      const points = exportStream(agent.grpcPort, METRICS, 'killmetric', 5);
      // Mid-stream: thousands of messages and dozens of exports acknowledged, more on the way.
      await waitUntil(
        async () => metricValue(await agent.metrics(), QUEUED_LOGS) >= 3000 && spans.state.acked.length >= 30 && points.state.acked.length >= 30,
        'the streams to be under way',
        60000,
        agent,
      );
      const acknowledgedLines = metricValue(await agent.metrics(), QUEUED_LOGS);
      agent.child.kill('SIGKILL');
      await agent.exited;
      const ackedSpans = [...spans.state.acked];
      const ackedPoints = [...points.state.acked];
      await Promise.all([syslog.stop(false), spans.stop(), points.stop()]);

      agent = await agent.restart();
      await drained(
        agent,
        async () => (await storedSyslog(backend, 'killsys')).rows + (await storedSpans(backend, 'killspan')).rows + (await storedMetricPoints(backend, 'killmetric')).rows,
      );

      const lines = await storedSyslog(backend, 'killsys');
      expect(lines.rows, 'no syslog line stored twice').to.equal(lines.distinct);
      expect(lines.rows, 'every line acknowledged before the kill is stored').to.be.at.least(acknowledgedLines);
      // One connection, in order: what is stored is the stream up to some line, with no gap.
      expect(lines.next).to.equal(lines.rows);
      expect(lines.rows).to.be.at.most(syslog.state.written);

      expectStoredOnce(SPANS, await storedSpans(backend, 'killspan'), ackedSpans);
      // Each metrics Export acknowledged before the kill: all its points, in all five tables, once.
      expectStoredOnce(METRICS, await storedMetricPoints(backend, 'killmetric'), ackedPoints);
    } finally {
      await agent.stop('SIGKILL');
      await backend.stop();
    }
  });

  it('the backend away for 60 s under load: the queue holds everything, drains after, and stores it once', async function () {
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    const dataDir = ownedFolder('outage-backend');
    let backend = await startBackendProcess({ grpcPort, httpPort, dataDir });
    const agent = await startAgentProcess({
      backendGrpcPort: grpcPort,
      syslog: {},
      metrics: true,
      batch: { timeout: '100ms' },
      exporter: { timeout: '3s', retry_on_failure: { initial_interval: '200ms', max_interval: '2s' } },
    });
    try {
      const syslog = syslogStream(agent.syslog!.tcp, 'outsys', 20, 20);
      const spans = exportStream(agent.grpcPort, SPANS, 'outspan', 100);
      // One metrics Export a second: each costs the drain an insert in five tables.
      const points = exportStream(agent.grpcPort, METRICS, 'outmetric', 1000);
      await sleep(3000);
      await backend.stop();
      let deepest = 0;
      for (const deadline = Date.now() + 60000; Date.now() < deadline; await sleep(2000)) {
        deepest = Math.max(deepest, metricValue(await agent.metrics(), QUEUE_BATCHES));
      }
      const during = await agent.metrics();
      backend = await startBackendProcess({ grpcPort, httpPort, dataDir });
      await sleep(3000);
      await Promise.all([syslog.stop(true), spans.stop(), points.stop()]);
      await drained(agent, async () => (await storedSyslog(backend, 'outsys')).rows + (await storedSpans(backend, 'outspan')).rows + (await storedMetricPoints(backend, 'outmetric')).rows);

      // Every line and every export the agent took while the backend was away is stored, once.
      const lines = await storedSyslog(backend, 'outsys');
      expect(lines).to.deep.equal({ rows: syslog.state.written, distinct: syslog.state.written, next: syslog.state.written });
      expect(spans.state.acked.length).to.equal(spans.state.sent);
      const stored = await storedSpans(backend, 'outspan');
      expect(stored.rows).to.equal(spans.state.sent * SPANS_PER_EXPORT);
      expect(stored.distinct).to.equal(stored.rows);
      expect(points.state.acked.length).to.equal(points.state.sent);
      const storedPoints = await storedMetricPoints(backend, 'outmetric');
      expect(storedPoints.rows).to.equal(points.state.sent * POINTS_PER_EXPORT);
      expectStoredOnce(METRICS, storedPoints, points.state.acked);

      // The counters tell it: a queue that grew, retries, and all of it sent in the end.
      expect(deepest).to.be.greaterThan(10);
      expect(['logs', 'traces', 'metrics'].reduce((n, signal) => n + metricValue(during, exporterRecords('retried', signal)), 0)).to.be.greaterThan(0);
      const after = await agent.metrics();
      expect(metricValue(after, QUEUE_BATCHES)).to.equal(0);
      for (const signal of ['logs', 'metrics']) expect(metricValue(after, exporterRecords('sent', signal)), signal).to.equal(metricValue(after, exporterRecords('queued', signal)));
      expect(metricValue(after, exporterRecords('sent', 'metrics'))).to.equal(points.state.sent * POINTS_PER_EXPORT);
    } finally {
      await agent.stop();
      await backend.stop();
    }
  });

  for (const signal of [SPANS, METRICS]) {
    it(`an acknowledgement lost after the insert (${signal.name}): the retried batch is stored once (the ledger of batch ids knows it)`, async function () {
      const backend = await startBackendProcess();
      const proxy = await startLossyProxy(backend.grpcPort);
      const agent = await startAgentProcess({
        backendGrpcPort: proxy.port,
        metrics: true,
        batch: { timeout: '20ms' },
        exporter: { timeout: '20s', heartbeat_interval: '1h', retry_on_failure: { initial_interval: '100ms', max_interval: '500ms' } },
      });
      try {
        const okCalls = async () => metricValue(await backend.metrics(), `rollpoint_backend_grpc_requests_total{method="${signal.method}",code="OK"}`);
        const before = await okCalls();
        // A first batch opens the agent's connection through the proxy; then answers are swallowed.
        expect((await rawExport(agent.grpcPort, signal.method, signal.build('lostackwarm', 0))).code).to.equal(status.OK);
        await waitUntil(async () => (await okCalls()) === before + 1 && metricValue(await agent.metrics(), QUEUE_BATCHES) === 0, 'the first batch to go through');
        proxy.swallowing = true;
        expect((await rawExport(agent.grpcPort, signal.method, signal.build('lostack', 0))).code).to.equal(status.OK);
        // The backend stores the batch (a metrics batch in each of its tables) and answers; the answer is lost on the way back.
        await waitUntil(async () => (await signal.stored(backend, 'lostack')).rows === signal.perExport, 'the first attempt to be stored');
        await waitUntil(async () => (await okCalls()) === before + 2, 'the backend to have answered');
        proxy.cut();
        proxy.swallowing = false;

        await waitUntil(async () => metricValue(await agent.metrics(), QUEUE_BATCHES) === 0, 'the agent to resend the batch and be acknowledged', 30000, agent);
        expect(await okCalls()).to.equal(before + 3);
        expect(metricValue(await agent.metrics(), exporterRecords('retried', signal.name))).to.equal(signal.perExport);
        const stored = await signal.stored(backend, 'lostack');
        expect({ rows: stored.rows, distinct: stored.distinct }).to.deep.equal({ rows: signal.perExport, distinct: signal.perExport });
        const text = await backend.metrics();
        for (const table of signal.tables) expect(metricValue(text, `rollpoint_backend_duplicate_batches_total{table="${table}"}`), table).to.equal(1);
      } finally {
        await agent.stop();
        await proxy.close();
        await backend.stop();
      }
    });

    it(`one batch retried inside two different coalesced inserts is stored once (${signal.name})`, async function () {
      // A long timeout and no early insert when quiet: the Exports sent together share an insert (one per table).
      const backend = await startBackendProcess({ extra: { storage: { insert_batch: { timeout: '300ms', quiet_period: 0 } } } });
      try {
        const inserts = async () => {
          const text = await backend.metrics();
          return signal.tables.map((table) => metricValue(text, `rollpoint_backend_inserts_total{table="${table}"}`));
        };
        const exportBatch = (prefix: string, batchId: string) => rawExport(backend.grpcPort, signal.method, signal.build(prefix, 1), { 'rollpoint-batch-id': batchId });
        const first = await Promise.all([exportBatch('twice', 'retried-batch'), exportBatch('beside-first', 'other-1')]);
        expect(await inserts()).to.deep.equal(signal.tables.map(() => 1));
        const second = await Promise.all([exportBatch('twice', 'retried-batch'), exportBatch('beside-second', 'other-2')]);
        expect(await inserts()).to.deep.equal(signal.tables.map(() => 2));
        expect([...first, ...second].map((answer) => answer.code)).to.deep.equal([status.OK, status.OK, status.OK, status.OK]);
        for (const prefix of ['twice', 'beside-first', 'beside-second']) {
          const stored = await signal.stored(backend, prefix);
          expect({ prefix, rows: stored.rows, distinct: stored.distinct }).to.deep.equal({ prefix, rows: signal.perExport, distinct: signal.perExport });
        }
        const text = await backend.metrics();
        for (const table of signal.tables) expect(metricValue(text, `rollpoint_backend_duplicate_batches_total{table="${table}"}`), table).to.equal(1);
      } finally {
        await backend.stop();
      }
    });
  }

  it('a request over a quarter of the queue is queued in parts, so one never waits for a queue that always holds others', async function () {
    const backendPort = await freePort();
    const agent = await startAgentProcess({ backendGrpcPort: backendPort, batch: { timeout: '20ms' }, exporter: { sending_queue: { max_size_mib: 2 } } });
    let backend: BackendProcess | undefined;
    try {
      // About 1.2 MiB of log records in one Export, with the backend away: more than the queue could take beside other batches.
      const records = Array.from({ length: 4000 }, (_, n) => ({ body: { stringValue: `bigreq-${n}-${'y'.repeat(300)}` } }));
      const answer = await rawExport(agent.grpcPort, logs.grpcMethod, logs.encode({ resourceLogs: [{ scopeLogs: [{ logRecords: records }] }] }));
      expect(answer.code, answer.details).to.equal(status.OK);
      expect(metricValue(await agent.metrics(), QUEUE_BATCHES)).to.be.at.least(4);
      backend = await startBackendProcess({ grpcPort: backendPort });
      const b = backend;
      const stored = async () => Number((await b.sql("SELECT count() AS n FROM otel_logs WHERE startsWith(Body, 'bigreq-')"))[0]!.n);
      await drained(agent, stored);
      const [counts] = await b.sql("SELECT count() AS n, uniqExact(Body) AS distinct FROM otel_logs WHERE startsWith(Body, 'bigreq-')");
      expect({ rows: Number(counts!.n), distinct: Number(counts!.distinct) }).to.deep.equal({ rows: 4000, distinct: 4000 });
    } finally {
      await agent.stop();
      await backend?.stop();
    }
  });

  it('a full queue: TCP senders are slowed, UDP drops are counted, OTLP senders are told when to retry; memory stays bounded', async function () {
    const backendPort = await freePort();
    const limitMib = 300;
    const agent = await startAgentProcess({
      backendGrpcPort: backendPort,
      syslog: { settings: { max_pending_messages: 2000 } },
      metrics: true,
      batch: { timeout: '50ms' },
      memoryLimiter: { limit_mib: limitMib, spike_limit_mib: 60, check_interval: '100ms' },
      exporter: { sending_queue: { max_size_mib: 2 }, retry_on_failure: { initial_interval: '200ms', max_interval: '1s' } },
    });
    let backend: BackendProcess | undefined;
    try {
      // OTLP: exports of 64 KiB until the queue is full.
      const big = (k: number) => logs.encode({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: `fullq-otlp-${k}-${'x'.repeat(65536)}` } }] }] }] });
      const { accepted: acceptedExports, refusal } = await sendUntilRefused(agent.grpcPort, logs.grpcMethod, big);
      expect(refusal?.code, refusal?.details).to.equal(status.RESOURCE_EXHAUSTED);
      expect(refusal?.details).to.include('the disk queue is full');
      expect(refusal?.retryDelayMs).to.equal(2000);
      // The queue is the exporter's, shared by the signals: smaller metrics Exports fill what is left, then are refused alike.
      const metricsFill = await sendUntilRefused(agent.grpcPort, METRICS.method, (k) => METRICS.build('fullqmetric', k));
      expect({ code: metricsFill.refusal?.code, retryDelayMs: metricsFill.refusal?.retryDelayMs }).to.deep.equal({ code: status.RESOURCE_EXHAUSTED, retryDelayMs: 2000 });
      const http = await fetch(`http://127.0.0.1:${agent.httpPort}/v1/logs`, { method: 'POST', body: big(999), headers: { 'content-type': 'application/x-protobuf' } });
      expect(http.status).to.equal(429);
      expect(http.headers.get('retry-after')).to.equal('2');

      // TCP: the agent stops reading once its buffer is full; the sender's writes back up.
      const syslog = syslogStream(agent.syslog!.tcp, 'fullqtcp', 500, 1);
      await sleep(3000);
      const received = async () => metricValue(await agent.metrics(), `rollpoint_agent_receiver_syslog_messages_total{receiver="syslog",transport="tcp",outcome="received"}`);
      const receivedThen = await received();
      await sleep(1000);
      expect(await received(), 'no more read while the queue is full').to.equal(receivedThen);
      expect(syslog.state.written).to.be.greaterThan(receivedThen);

      // UDP: with the buffer full, datagrams are dropped, and counted.
      await sendUdp(agent.syslog!.udp, Array.from({ length: 200 }, (_, n) => syslogLine('fullqudp', n)));
      const droppedUdp = 'rollpoint_agent_receiver_syslog_messages_total{receiver="syslog",transport="udp",outcome="dropped"}';
      await waitUntil(async () => metricValue(await agent.metrics(), droppedUdp) === 200, 'the UDP drops to be counted', 10000, agent);

      const residentBytes = metricValue(await agent.metrics(), 'rollpoint_agent_process_resident_memory_bytes');
      expect(residentBytes / 1024 / 1024, 'agent RSS (MiB) under the hard limit').to.be.below(limitMib);
      // The figure, for the benchmark notes.
      process.stdout.write(`      agent RSS with the queue full: ${(residentBytes / 1024 / 1024).toFixed(0)} MiB (limit ${limitMib} MiB)\n`);

      // The backend arrives: everything taken drains, and nothing the TCP sender wrote is lost.
      backend = await startBackendProcess({ grpcPort: backendPort });
      const b = backend;
      await syslog.stop(true);
      // Everything written is waited for: the syslog receiver may be between retries with the queue empty.
      await waitUntil(async () => (await storedSyslog(b, 'fullqtcp')).rows >= syslog.state.written, 'every line written to be stored', 120000, agent);
      await drained(agent, async () => (await storedSyslog(b, 'fullqtcp')).rows);
      expect(await storedSyslog(b, 'fullqtcp')).to.deep.equal({ rows: syslog.state.written, distinct: syslog.state.written, next: syslog.state.written });
      const [otlp] = await b.sql("SELECT count() AS n FROM otel_logs WHERE startsWith(Body, 'fullq-otlp-')");
      expect(Number(otlp!.n)).to.equal(acceptedExports);
      const [udp] = await b.sql("SELECT count() AS n FROM otel_logs WHERE position(Body, 'fullqudp-') > 0");
      expect(Number(udp!.n)).to.equal(0);
      const storedPoints = await storedMetricPoints(b, 'fullqmetric');
      expect(storedPoints.rows, 'the accepted metrics Exports, not the refused one').to.equal(metricsFill.accepted * POINTS_PER_EXPORT);
      expectStoredOnce(METRICS, storedPoints, Array.from({ length: metricsFill.accepted }, (_, k) => k));
    } finally {
      await agent.stop();
      await backend?.stop();
    }
  });
});
