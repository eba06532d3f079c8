import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  applyRetention,
  ChdbStore,
  checkpointsConfigSchema,
  CheckpointEngine,
  ClickHouseStore,
  migrate,
  MIN_SERVER_VERSION,
  namedRows,
  readWholeAnswer,
  storeExport,
  type Statement,
  type Store,
} from '@rollpoint/backend';
import { steadyTraffic, storeDeviceEvent, storeTraffic, trafficRequest } from '@rollpoint/backend/testing/scenario-data';
import { traces, type ExportMetricsServiceRequest, type Metric } from '@rollpoint/proto';
import Long from 'long';
import { expect } from 'chai';
import { CLICKHOUSE_SERVER, OPENSSL, requireTools } from '../testing/debian-tools.js';
import { startDebianClickHouse, startEmbeddedEngineServer, TEST_PASSWORD, TEST_USER, type ClickHouseServer } from '../testing/clickhouse-servers.js';
import { rawExport } from '../testing/grpc.js';
import { BACKEND_MAIN, REPO_ROOT } from '../testing/paths.js';
import { freePort } from '../testing/ports.js';
import { createTestPki } from '../testing/tls.js';
import { startBackendProcess, tempFolder, waitUntil, writeConfig, type BackendProcess } from '../testing/processes.js';

// The server driver (@clickhouse/client over HTTP) against real servers on loopback: Debian's
// ClickHouse 18.16 for what an old server must be told, and ClickHouse 26 (chdb's engine behind
// ClickHouse's HTTP interface, see testing/clickhouse-http.ts) for the schema, ingest and the
// checkpoint SQL, which that old server cannot run.

const serverStorage = (server: { url: string }, extra: Record<string, unknown> = {}) => ({
  storage: {
    driver: 'clickhouse',
    clickhouse: { url: server.url, username: TEST_USER, password: TEST_PASSWORD, connect_retry: { initial_interval: '200ms', max_interval: '1s' }, ...extra },
  },
});

const serverStore = (server: { url: string }, onStatement?: (s: Statement) => void, password = TEST_PASSWORD) =>
  new ClickHouseStore({
    url: server.url,
    username: TEST_USER,
    password,
    database: 'default',
    requestTimeoutMs: 10000,
    compression: true,
    readOnlyMaxRows: 1000,
    readOnlyTimeoutMs: 10000,
    ...(onStatement ? { onStatement } : {}),
  });

describe("server driver against Debian's ClickHouse 18.16", function () {
  this.timeout(120000);
  let server: ClickHouseServer;
  before(async function () {
    requireTools(this, CLICKHOUSE_SERVER);
    server = await startDebianClickHouse();
  });
  after(async () => {
    await server?.stop();
  });

  it('round-trips inserts and selects through the driver on a table the old server supports', async function () {
    const store = serverStore(server);
    try {
      await store.command('CREATE TABLE round_trip (id UInt32, name String, at DateTime, big UInt64) ENGINE = MergeTree ORDER BY id');
      const rows = [
        { id: 1, name: 'plain', at: '2026-11-30T05:00:00Z', big: '18446744073709551615' },
        { id: 2, name: "quote ' and \\ backslash, ünïcode", at: '2026-11-30T06:00:01+01:00', big: '1' },
      ];
      // No deduplication token: 18.16 predates insert_deduplication_token.
      await store.insert('round_trip' as never, rows);
      const result = await store.query({ sql: 'SELECT id, name, toString(at) AS at_text, big FROM round_trip ORDER BY id', params: {} });
      expect(result).to.deep.equal([
        { id: 1, name: 'plain', at_text: '2026-11-30 05:00:00', big: '18446744073709551615' },
        { id: 2, name: "quote ' and \\ backslash, ünïcode", at_text: '2026-11-30 05:00:01', big: '1' },
      ]);
      // Analysts' statements need what 18.16 lacks (formatQuery, the default_format setting,
      // JSONCompactEachRowWithNamesAndTypes): the server's own refusal comes back with its code.
      // They are tested on ClickHouse 26 below and in sql-api.test.ts.
      const analyst = await store.queryReadOnly('SELECT 1').catch((e: Error & { code?: number }) => e);
      expect(analyst).to.have.property('code', 115);
      expect((analyst as Error).message).to.include('Unknown setting');
    } finally {
      await store.command('DROP TABLE IF EXISTS round_trip');
      await store.close();
    }
  });

  const refusedAtStart = async (extra: Record<string, unknown>): Promise<string> => {
    const backend = await startBackendProcess({ waitReady: false, extra: serverStorage(server, extra) });
    expect(await backend.exited).to.equal(1);
    return backend.output();
  };

  it(`refuses the server at start, naming its version and ${MIN_SERVER_VERSION}`, async function () {
    const output = await refusedAtStart({});
    expect(output).to.include(`ClickHouse at ${server.url} is version 18.16.1; rollpoint needs ${MIN_SERVER_VERSION} or newer`);
  });

  it('a wrong password stops the start with a message saying what to check', async function () {
    const output = await refusedAtStart({ password: 'not-the-password' });
    expect(output).to.include(`refused user '${TEST_USER}' (wrong password or unknown user): check storage.clickhouse.username and password`);
    expect(output).to.include('Wrong password');
  });

  it('an unknown database stops the start with a message saying how to create it', async function () {
    const output = await refusedAtStart({ database: 'no_such_db' });
    expect(output).to.include("database 'no_such_db' does not exist on ClickHouse");
    expect(output).to.include('CREATE DATABASE no_such_db');
  });
});

const MINUTE = 60_000;
// A fixed hour two hours ago, so both drivers get the same statements, parameters included.
const T = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
const at = (minutes: number, seconds = 0): number => T + minutes * MINUTE + seconds * 1000;
const steady = steadyTraffic;

/** The SQL blocks of docs/QUERIES.md. */
function analystQueries(): string[] {
  const page = readFileSync(join(REPO_ROOT, 'docs/QUERIES.md'), 'utf8');
  return [...page.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
}

/** One data point of each kind, at `ms`: what the five metrics tables store on either driver. */
function metricsRequest(ms: number): ExportMetricsServiceRequest {
  const count = (n: number) => Long.fromNumber(n, true);
  const point = { timeUnixNano: count(ms).multiply(1_000_000), attributes: [{ key: 'device', value: { stringValue: 'sda1' } }] };
  const exemplars = [{ asInt: Long.fromNumber(3), traceId: Buffer.alloc(16, 0xab), spanId: Buffer.alloc(8, 0xcd) }];
  const metrics: Metric[] = [
    { name: 'system.filesystem.utilization', unit: '1', gauge: { dataPoints: [{ ...point, asDouble: 0.97, exemplars }] } },
    { name: 'system.disk.io', unit: 'By', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ ...point, asInt: Long.fromNumber(4096) }] } },
    { name: 'http.server.duration', histogram: { aggregationTemporality: 1, dataPoints: [{ ...point, count: count(3), sum: 0.6, bucketCounts: [count(1), count(2)], explicitBounds: [0.25] }] } },
    { name: 'rpc.latency', exponentialHistogram: { aggregationTemporality: 2, dataPoints: [{ ...point, count: count(2), sum: 1.5, scale: 1, positive: { offset: -1, bucketCounts: [count(2)] } }] } },
    { name: 'gc.pause', summary: { dataPoints: [{ ...point, count: count(2), sum: 0.3, quantileValues: [{ quantile: 0.5, value: 0.1 }] }] } },
  ];
  return { resourceMetrics: [{ resource: { attributes: [{ key: 'host.name', value: { stringValue: 'db-1' } }] }, scopeMetrics: [{ metrics }] }] };
}

const STORED_METRICS_SQL = `SELECT * FROM (SELECT MetricName AS name, toString(TimeUnix) AS time, Value AS value, toString(Exemplars.TraceId) AS detail FROM otel_metrics_gauge
  UNION ALL SELECT MetricName, toString(TimeUnix), Value, toString(IsMonotonic) FROM otel_metrics_sum
  UNION ALL SELECT MetricName, toString(TimeUnix), Sum, toString(BucketCounts) FROM otel_metrics_histogram
  UNION ALL SELECT MetricName, toString(TimeUnix), Sum, toString(PositiveBucketCounts) FROM otel_metrics_exponential_histogram
  UNION ALL SELECT MetricName, toString(TimeUnix), Sum, toString(ValueAtQuantiles.Value) FROM otel_metrics_summary)
  ORDER BY name`;

/** The same operations on either driver: schema, ingest, the checkpoint SQL. */
async function operations(store: Store) {
  await migrate(store, { ttlDays: 30 });
  const retained = await applyRetention(store, { logs: 14 * 86400, traces: 36 * 3600, metrics: 30 * 86400, checkpoints: 0 }, { ttlDays: 30 });
  await storeExport(store, { signal: 'metrics', request: metricsRequest(at(50)) });
  const metrics = await store.query({ sql: STORED_METRICS_SQL, params: {} });
  await storeTraffic(store, steady('checkout', '1.4.2', at(0), at(45, 2)));
  await storeTraffic(store, steady('checkout', '1.4.3', at(45, 2), at(55), { errorRate: (t) => (t >= at(46) ? 0.3 : 0.004) }));
  await storeDeviceEvent(store, 'edge-1', at(40, 10), '%SYS-5-CONFIG_I: Configured from console by admin on vty0', 'config_change');
  await storeDeviceEvent(store, 'edge-2', at(45, 30), '%SYS-5-CONFIG_I: Configured from console by admin on vty0', 'config_change');
  const engine = new CheckpointEngine(store, checkpointsConfigSchema.parse({}));
  const until = at(55) / 1000;
  const incidents = await engine.incidents('default', T / 1000, until, until);
  const checkpoint = await engine.checkpoint('default', until);
  const changes = await engine.changes('default', T / 1000, until, 100);
  // The incident with its suspects: the evidence statement (spans, call graph, device names).
  const detail = incidents[0] && (await engine.resolve(incidents[0]));
  // Every query of docs/QUERIES.md, as an analyst runs it.
  const analyst = [];
  for (const sql of analystQueries()) analyst.push(await readWholeAnswer(await store.queryReadOnly(sql)));
  return { retained, metrics, incidents, checkpoint, changes, detail, analyst };
}

describe('server driver against ClickHouse 26 (the embedded engine behind the HTTP interface)', function () {
  this.timeout(180000);

  it('both drivers receive identical statements for the same operations, and give the same answers', async function () {
    const folder = tempFolder('same-sql');
    const embeddedStatements: Statement[] = [];
    const embedded = new ChdbStore({ path: join(folder, 'embedded'), readOnlyMaxRows: 1000, readOnlyTimeoutMs: 10000, onStatement: (s) => embeddedStatements.push(s) });
    const embeddedAnswers = await operations(embedded).finally(() => embedded.close());

    const wireLog = join(folder, 'wire.jsonl');
    const server = await startEmbeddedEngineServer({ statementLog: wireLog });
    const serverStatements: Statement[] = [];
    const remote = serverStore(server, (s) => serverStatements.push(s));
    try {
      const serverAnswers = await operations(remote);
      expect(serverStatements).to.have.length.above(30);
      expect(serverStatements).to.deep.equal(embeddedStatements);
      expect(serverAnswers).to.deep.equal(embeddedAnswers);
      const time = new Date(at(50)).toISOString().replace('T', ' ').replace('Z', '000000');
      expect(embeddedAnswers.metrics).to.deep.equal([
        { name: 'gc.pause', time, value: 0.3, detail: '[0.1]' },
        { name: 'http.server.duration', time, value: 0.6, detail: '[1,2]' },
        { name: 'rpc.latency', time, value: 1.5, detail: '[2]' },
        { name: 'system.disk.io', time, value: 4096, detail: 'true' },
        { name: 'system.filesystem.utilization', time, value: 0.97, detail: `['${'ab'.repeat(16)}']` },
      ]);
      expect(embeddedAnswers.retained).to.have.length(3 + 5 + 8);
      expect(embeddedAnswers.incidents).to.have.length(1);
      expect(embeddedAnswers.checkpoint.time).to.equal(new Date(at(45)).toISOString());
      expect(embeddedAnswers.detail!.suspects.map((s) => s.entity)).to.deep.equal(['checkout', 'edge-2']);
      expect(embeddedAnswers.detail!.suspects[0]!.evidenceLines.length).to.be.above(1);
      // The analysts' queries found the data: versions, devices, changes.
      expect(embeddedAnswers.analyst).to.have.length(analystQueries().length).and.to.have.length.above(8);
      const column = (answer: number, name: string) => namedRows(embeddedAnswers.analyst[answer]!).map((row) => row[name]);
      expect(column(0, 'version')).to.include.members(['1.4.2', '1.4.3']);
      expect(column(2, 'device')).to.include('edge-1');
      expect(column(5, 'kind')).to.include.members(['deploy', 'config_change']);

      // What reached the wire is what the driver reported (the client library appends the FORMAT of
      // rollpoint's own queries; an analyst's statement goes as written, in the default format).
      const wire = readFileSync(wireLog, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { sql: string });
      expect(wire.map((w) => w.sql.replace(/ \nFORMAT JSONCompact(EachRow)?$/, ''))).to.deep.equal(serverStatements.map((s) => s.sql.trim()));
    } finally {
      await remote.close();
      await server.stop();
    }
  });

  it('create_schema false: a database without the schema is refused; the printed schema, applied by the operator, is accepted', async function () {
    const server = await startEmbeddedEngineServer();
    const store = serverStore(server);
    try {
      const refused = await startBackendProcess({ waitReady: false, extra: serverStorage(server, { create_schema: false }) });
      expect(await refused.exited).to.equal(1);
      expect(refused.output()).to.include('storage.clickhouse.create_schema is false, so apply the DDL yourself: rollpoint-backend schema --print');

      const script = execFileSync(process.execPath, [BACKEND_MAIN, 'schema', '--print'], { encoding: 'utf8' });
      for (const statement of script.split(/;\n(?:\n|$)/).filter((s) => s.trim() !== '')) await store.command(statement);
      const backend = await startBackendProcess({ extra: serverStorage(server, { create_schema: false }) });
      await backend.stop();
      expect(backend.output()).not.to.include('schema migrations applied');
    } finally {
      await store.close();
      await server.stop();
    }
  });

  it('storage.retention: applied to the existing tables when the backend starts again with another, rows with a wrong clock kept, rows past retention gone', async function () {
    const server = await startEmbeddedEngineServer();
    const store = serverStore(server);
    const engineOf = async (table: string) =>
      String((await store.query<{ engine_full: string }>({ sql: 'SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = {table:String}', params: { table } }))[0]?.engine_full);
    const bodies = async () => (await store.query<{ Body: string }>({ sql: 'SELECT Body FROM otel_logs ORDER BY Body', params: {} })).map((row) => row.Body);
    try {
      const first = await startBackendProcess({ extra: serverStorage(server, {}) });
      await first.stop();
      expect(await engineOf('otel_logs')).to.include('StoredTime - toIntervalDay(30)');
      await store.command("INSERT INTO otel_logs (Timestamp, Body) VALUES (toDateTime64('1970-01-01 00:00:05', 9), 'clock in 1970')");
      await store.command("INSERT INTO otel_logs (Timestamp, Body) VALUES (now64(9) - INTERVAL 3 DAY, 'three days old')");
      await store.command("INSERT INTO otel_logs (Timestamp, StoredTime, Body) VALUES (now64(9) - INTERVAL 3 DAY, now() - INTERVAL 3 DAY, 'stored three days ago')");

      const second = await startBackendProcess({ extra: { storage: { ...serverStorage(server).storage, retention: { logs: '2d', checkpoints: 0 } } } });
      await second.stop();
      expect(await engineOf('otel_logs')).to.include('StoredTime - toIntervalDay(2)').and.match(/\+ toIntervalDay\(2\) SETTINGS/);
      expect(await engineOf('otel_metrics_gauge')).to.include('StoredTime - toIntervalDay(30)');
      expect(await engineOf('checkpoints')).not.to.include(' TTL ');
      await store.command('ALTER TABLE otel_logs MATERIALIZE TTL SETTINGS mutations_sync = 2');
      await store.command('OPTIMIZE TABLE otel_logs FINAL');
      // 'three days old' arrived a day past the retention: its event time is implausible, its 2 days count from now.
      expect(await bodies()).to.deep.equal(['clock in 1970', 'three days old']);

      // create_schema false: the backend alters nothing, and says which statements would bring the tables to storage.retention.
      const owned = await startBackendProcess({ extra: { storage: { ...serverStorage(server, { create_schema: false }).storage, retention: { logs: '5d', checkpoints: 0 } } } });
      await owned.stop();
      expect(owned.output()).to.include('tables keep another retention than storage.retention').and.include('toIntervalDay(5)');
      expect(await engineOf('otel_logs')).to.include('toIntervalDay(2)');
    } finally {
      await store.close();
      await server.stop();
    }
  });

  it('schema --print follows the configuration it is given: a cluster gets ON CLUSTER DDL, TTL its days and retention', function () {
    const folder = tempFolder('schema-print');
    try {
      const config = writeConfig(folder, 'backend.yaml', { storage: { driver: 'clickhouse', clickhouse: { cluster: 'analytics' }, ttl_days: 9, retention: { logs: '3d', checkpoints: 0 } } });
      const script = execFileSync(process.execPath, [BACKEND_MAIN, 'schema', '--print', '--config', config], { encoding: 'utf8' });
      expect(script).to.include("CREATE TABLE IF NOT EXISTS default.otel_logs ON CLUSTER analytics AS default.otel_logs_local\nENGINE = Distributed(analytics, 'default', otel_logs_local").and.include('toIntervalDay(9)');
      for (const table of ['otel_metrics_gauge', 'otel_metrics_sum', 'otel_metrics_histogram', 'otel_metrics_exponential_histogram', 'otel_metrics_summary']) {
        expect(script).to.include(`CREATE TABLE IF NOT EXISTS default.${table}_local ON CLUSTER analytics (`);
        expect(script).to.include(`ENGINE = Distributed(analytics, 'default', ${table}_local, cityHash64(ResourceAttributes, MetricName, Attributes))`);
      }
      expect(script).to.include('TTL toDateTime(TimeUnix) + toIntervalDay(9)');
      // Then each table's retention, on the shards' local tables.
      expect(script).to.include('ALTER TABLE default.otel_logs_local ON CLUSTER analytics MODIFY TTL if(TimestampTime < StoredTime - toIntervalDay(3) OR ')
        .and.include('ALTER TABLE default.otel_metrics_sum_local ON CLUSTER analytics MODIFY TTL if(toDateTime(TimeUnix) < StoredTime - toIntervalDay(9) OR ')
        .and.include('ALTER TABLE default.incidents ON CLUSTER analytics REMOVE TTL;');
      expect(execFileSync(process.execPath, [BACKEND_MAIN, 'schema', '--print'], { encoding: 'utf8' })).not.to.include('ON CLUSTER');
      // The configuration given before the command is the command's too.
      expect(execFileSync(process.execPath, [BACKEND_MAIN, '--config', config, 'schema', '--print'], { encoding: 'utf8' })).to.equal(script);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('over HTTPS: the server is trusted with tls.ca_file, and refused with a message naming it without', async function () {
    requireTools(this, OPENSSL);
    const folder = tempFolder('clickhouse-tls');
    const pki = await createTestPki(folder);
    const server = await startEmbeddedEngineServer({ tls: { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile } });
    try {
      const untrusting = await startBackendProcess({ waitReady: false, extra: serverStorage(server) });
      expect(await untrusting.exited).to.equal(1);
      expect(untrusting.output()).to.include(`TLS to ClickHouse at ${server.url} failed`).and.include('set storage.clickhouse.tls.ca_file');
      const trusting = await startBackendProcess({ extra: serverStorage(server, { tls: { ca_file: pki.caFile } }) });
      await trusting.stop();
      expect(trusting.output()).not.to.include('"level":50');
    } finally {
      await server.stop();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('SIGTERM while the backend waits for an unreachable server ends it at once, cleanly', async function () {
    const backend = await startBackendProcess({ waitReady: false, extra: serverStorage({ url: `http://127.0.0.1:${await freePort()}` }) });
    await waitUntil(async () => backend.output().includes('ClickHouse unreachable; retrying'), 'a connection attempt', 30000, backend);
    expect(await backend.stop('SIGTERM')).to.equal(0);
  });

  it('a backend on the server driver waits for an unreachable server, stores OTLP, and a lost server fails exports with UNAVAILABLE without losing acknowledged data', async function () {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // Recomputing every 200 ms, so the loop meets the lost server too.
    const backend: BackendProcess = await startBackendProcess({ waitReady: false, extra: { ...serverStorage({ url }), checkpoints: { recompute_interval: '200ms' } } });
    let server: (ClickHouseServer & { dataDir: string }) | undefined;
    try {
      // Not reachable: not ready, the API says so, and the log shows the retries.
      await waitUntil(async () => (backend.output().match(/ClickHouse unreachable; retrying/g) ?? []).length >= 2, 'two connection attempts', 30000, backend);
      expect((await fetch(`${backend.url}/readyz`)).status).to.equal(503);
      expect((await fetch(`${backend.url}/api/v1/incidents`)).status).to.equal(503);
      // /metrics answers meanwhile: what does not come from the store is there.
      expect(await backend.metrics()).to.include('rollpoint_backend_grpc_requests_total');

      const dataDir = tempFolder('clickhouse-data');
      server = await startEmbeddedEngineServer({ port, dataDir });
      await waitUntil(async () => (await fetch(`${backend.url}/readyz`)).ok, 'the backend to be ready', 30000, backend);

      const exportSpans = (n: number) => rawExport(backend.grpcPort, traces.grpcMethod, traces.encode(trafficRequest(steady(`svc-${n}`, '1.0.0', at(0), at(10)))), { 'rollpoint-batch-id': `batch-${n}` });
      const sent = await exportSpans(1);
      expect(sent.code).to.equal(grpc.status.OK);

      // The server dies: exports fail with UNAVAILABLE, which senders retry from their queues.
      await server.stop('SIGKILL');
      const refused = await exportSpans(2);
      expect(refused.code).to.equal(grpc.status.UNAVAILABLE);
      expect(await backend.metrics()).to.include('rollpoint_backend_ingested_records_total{signal="traces"');
      await waitUntil(async () => backend.output().includes('recomputing incidents and checkpoints failed'), 'a recompute to fail', 10000, backend);

      // Back with the same data: the retry is stored, the first batch is still there, once each.
      server = await startEmbeddedEngineServer({ port, dataDir });
      expect((await exportSpans(2)).code).to.equal(grpc.status.OK);
      const rows = await backend.sql('SELECT ServiceName AS service, count() AS spans FROM otel_traces GROUP BY service ORDER BY service');
      expect(rows).to.deep.equal([
        { service: 'svc-1', spans: '1200' },
        { service: 'svc-2', spans: '1200' },
      ]);
    } finally {
      await backend.stop();
      await server?.stop();
    }
  });
});
