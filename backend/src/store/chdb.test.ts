import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import Long from 'long';
import { storeExport, type SignalRequest } from '../ingest/store-export.js';
import { SourceWatermarks } from '../ingest/watermarks.js';
import { oldestRowsQuery, tableSizesQuery } from '../schema/introspection.js';
import { migrate, SCHEMA_VERSION } from '../schema/migrations.js';
import { ChdbStore } from './chdb.js';
import { readWholeAnswer } from './read-only-answer.js';
import { RefusedStatementError } from './read-only-statement.js';
import { isoFromMs, queryDecoded } from './row-decoder.js';
import { READONLY_ERROR_CODE, StoreError } from './store.js';

// The embedded engine for real (libchdb binds one data folder per process: one store for this file).

describe('chdb store and schema', function () {
  let store: ChdbStore;
  const path = mkdtempSync(join(tmpdir(), 'rollpoint-store-'));
  const now = Long.fromNumber(Date.now(), true).multiply(1_000_000);

  before(function () {
    store = new ChdbStore({ path, readOnlyMaxRows: 5, readOnlyTimeoutMs: 10000 });
  });
  after(async function () {
    await store.close();
    rmSync(path, { recursive: true, force: true });
  });

  it('creates the schema once: a second migration run applies nothing', async function () {
    const all = Array.from({ length: SCHEMA_VERSION }, (_, n) => n + 1);
    expect(await migrate(store, { ttlDays: 7 })).to.deep.equal(all);
    expect(await migrate(store, { ttlDays: 7 })).to.deep.equal([]);
    const rows = await store.query({ sql: 'SELECT count() AS migrations FROM rollpoint_schema_migrations', params: {} });
    expect(rows).to.deep.equal([{ migrations: String(SCHEMA_VERSION) }]);
  });

  it('has the Collector exporter’s column names and types, TTL and day partitions', async function () {
    const rows = await store.query({
      sql: "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {t:String} AND default_kind = '' ORDER BY position",
      params: { t: 'otel_traces' },
    });
    expect(rows.slice(0, 4)).to.deep.equal([
      { name: 'Timestamp', type: 'DateTime64(9)' },
      { name: 'TraceId', type: 'String' },
      { name: 'SpanId', type: 'String' },
      { name: 'ParentSpanId', type: 'String' },
    ]);
    expect(rows).to.deep.include({ name: 'Duration', type: 'UInt64' });
    expect(rows).to.deep.include({ name: 'Events.Attributes', type: 'Array(Map(LowCardinality(String), String))' });
    const tables = await store.query({
      sql: "SELECT name, partition_key, sorting_key FROM system.tables WHERE database = currentDatabase() AND name IN ('otel_logs', 'otel_traces') ORDER BY name",
      params: {},
    });
    expect(tables).to.deep.equal([
      { name: 'otel_logs', partition_key: 'toDate(TimestampTime)', sorting_key: 'ServiceName, TimestampTime, Timestamp' },
      { name: 'otel_traces', partition_key: 'toDate(Timestamp)', sorting_key: 'ServiceName, SpanName, toDateTime(Timestamp)' },
    ]);
    const [ddl] = await store.query<{ create_table_query: string }>({ sql: "SELECT create_table_query FROM system.tables WHERE name = 'otel_logs' AND database = currentDatabase()", params: {} });
    expect(ddl!.create_table_query).to.include('TTL TimestampTime + toIntervalDay(7)');
  });

  it('stores mapped rows exactly, nanoseconds and 64-bit values included', async function () {
    const traceId = new Uint8Array(16).fill(0xab);
    await storeExport(store, {
      signal: 'traces',
      request: {
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'store-test' } }] },
            scopeSpans: [{ spans: [{ traceId, spanId: new Uint8Array(8).fill(1), name: 'exact', startTimeUnixNano: now.add(1), endTimeUnixNano: now.add(1_000_000_002), status: { code: 2 } }] }],
          },
        ],
      },
    });
    const rows = await store.query({
      sql: "SELECT toUnixTimestamp64Nano(Timestamp) AS nanos, Duration, StatusCode, ServiceName, TraceId FROM otel_traces WHERE SpanName = 'exact'",
      params: {},
    });
    expect(rows).to.deep.equal([{ nanos: now.add(1).toString(), Duration: '1000000001', StatusCode: 'Error', ServiceName: 'store-test', TraceId: 'ab'.repeat(16) }]);
    const lookup = await store.query({ sql: 'SELECT count() AS spans FROM otel_traces_trace_id_ts WHERE TraceId = {id:String}', params: { id: 'ab'.repeat(16) } });
    expect(lookup).to.deep.equal([{ spans: '1' }]);
  });

  it('gives a log record without times the time it was received', async function () {
    await storeExport(store, { signal: 'logs', request: { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'timeless' } }] }] }] } }, { receivedAtNanos: BigInt(now.toString()) });
    const rows = await store.query({ sql: "SELECT toUnixTimestamp64Nano(Timestamp) AS nanos FROM otel_logs WHERE Body = 'timeless'", params: {} });
    expect(rows).to.deep.equal([{ nanos: now.toString() }]);
  });

  it('counts rows and bytes on disk per table without scanning them, and finds each table’s oldest row', async function () {
    const sizes = await store.query<{ name: string; rows: string; bytes_on_disk: string }>(tableSizesQuery({ ttlDays: 7 }));
    expect(Object.fromEntries(sizes.map((row) => [row.name, row.rows]))).to.deep.include({ otel_traces: '1', otel_logs: '1' });
    expect(Number(sizes.find((row) => row.name === 'otel_logs')?.bytes_on_disk)).to.be.above(0);
    const oldest = new Map((await store.query<{ name: string; oldest: string | null }>(oldestRowsQuery())).map((row) => [row.name, row.oldest]));
    const [log] = await store.query<{ oldest: string }>({ sql: 'SELECT toString(toUnixTimestamp(min(TimestampTime))) AS oldest FROM otel_logs', params: {} });
    expect(String(oldest.get('otel_logs'))).to.equal(log!.oldest);
    expect(oldest.get('incidents')).to.equal(null);
    // The tables storage.retention does not age out are there too.
    expect(Number(sizes.find((row) => row.name === 'rollpoint_schema_migrations')?.rows)).to.equal(SCHEMA_VERSION);
    expect(oldest.get('rollpoint_schema_migrations')).not.to.equal(null);
    expect([...oldest.keys()]).to.include.members(['audit_log', 'backups', 'ingested_batches', 'learned_devices', 'config_commits', 'source_watermarks']);
    // On a cluster: the parts of the shards' local tables on every replica, named as the tables read.
    const clustered = tableSizesQuery({ ttlDays: 7, cluster: 'rollpoint', database: 'telemetry' });
    const [parsed] = await store.query<{ sql: string }>({ sql: 'SELECT formatQuery({statement:String}) AS sql', params: { statement: clustered.sql } });
    expect(parsed!.sql).to.include("clusterAllReplicas('rollpoint', system.parts)");
    expect(clustered.params).to.deep.include({ database: 'telemetry' });
    expect(clustered.params.stored).to.include('otel_logs_local').and.include('window_health');
  });

  it('keeps the latest watermark of each source, and never moves it back', async function () {
    const watermarks = new SourceWatermarks(store);
    await watermarks.start();
    const t = Date.parse('2026-11-30T10:00:00Z');
    watermarks.observe({ agentId: 'edge-agent', watermarkMs: t, batchId: 'x' }, undefined, t + 5000);
    watermarks.observe({ agentId: 'edge-agent', watermarkMs: t - 1000 }, undefined, t + 6000);
    // A direct sender: the latest event time it sent, never ahead of the clock.
    watermarks.observe({ sender: 'billing', peer: 'ipv4:127.0.0.1:4242' }, t + 60_000, t + 7000);
    watermarks.observe({ peer: '127.0.0.1:5353' }, t - 30_000, t + 8000);
    await watermarks.close();
    const rows = await store.query({ sql: 'SELECT source, kind, toString(watermark) AS watermark_text, toString(last_seen) AS last_seen_text FROM source_watermarks FINAL ORDER BY source', params: {} });
    expect(rows).to.deep.equal([
      { source: '127.0.0.1', kind: 'sender', watermark_text: '2026-11-30 09:59:30.000', last_seen_text: '2026-11-30 10:00:08.000' },
      { source: 'billing', kind: 'sender', watermark_text: '2026-11-30 10:00:07.000', last_seen_text: '2026-11-30 10:00:07.000' },
      { source: 'edge-agent', kind: 'agent', watermark_text: '2026-11-30 10:00:00.000', last_seen_text: '2026-11-30 10:00:06.000' },
    ]);
    const reopened = new SourceWatermarks(store);
    await reopened.start();
    reopened.observe({ agentId: 'edge-agent', watermarkMs: t - 9000 }, undefined, t + 9000);
    expect(reopened.snapshot().get('edge-agent')).to.deep.equal({ kind: 'agent', watermarkMs: t, lastSeenMs: t + 9000 });
    await reopened.close();
  });

  it('stores a batch retried with its deduplication token once, in the tables and in what views feed from them', async function () {
    // Two days, so the insert makes a block per partition; the token must cover both.
    const day = Long.fromNumber(86_400_000, true).multiply(1_000_000);
    const traceId = new Uint8Array(16).fill(0xcd);
    const span = (name: string, start: Long) => ({ traceId, spanId: new Uint8Array(8).fill(2), name, startTimeUnixNano: start, endTimeUnixNano: start.add(5) });
    const request: SignalRequest = { signal: 'traces', request: { resourceSpans: [{ scopeSpans: [{ spans: [span('retried', now), span('retried', now.subtract(day))] }] }] } };
    for (let attempt = 0; attempt < 3; attempt++) await storeExport(store, request, { deduplicationToken: 'batch-1' });
    await storeExport(store, request, { deduplicationToken: 'batch-2' });
    const count = async (sql: string) => store.query({ sql, params: { id: 'cd'.repeat(16) } });
    expect(await count("SELECT count() AS spans FROM otel_traces WHERE SpanName = 'retried'")).to.deep.equal([{ spans: '4' }]);
    expect(await count('SELECT count() AS spans FROM otel_traces_trace_id_ts WHERE TraceId = {id:String}')).to.deep.equal([{ spans: '2' }]);
  });

  it('answers rows by column name, whatever their order, and refuses an answer whose names are ambiguous or missing', async function () {
    const select = (columns: string) => store.query({ sql: `SELECT ${columns} FROM system.one`, params: {} });
    expect(await select("toUInt64(7) AS big, 'x' AS name")).to.deep.equal(await select("'x' AS name, toUInt64(7) AS big"));
    expect(await select("toUInt64(7) AS big, 'x' AS name")).to.deep.equal([{ big: '7', name: 'x' }]);
    const twice = await select('dummy, dummy').catch((e: unknown) => e);
    expect(twice).to.be.instanceOf(StoreError).and.have.property('message').that.includes('two columns named dummy');
    const decoded = await queryDecoded(store, { sql: "SELECT '1700000000000' AS time_ms", params: {}, decoder: { time: isoFromMs('time_ms') } });
    expect(decoded).to.deep.equal([{ time: '2023-11-14T22:13:20.000Z' }]);
    const renamed = await queryDecoded(store, { sql: "SELECT '1700000000000' AS ms", params: {}, decoder: { time: isoFromMs('time_ms') } }).catch((e: unknown) => e);
    expect((renamed as StoreError).message).to.include('no column time_ms');
  });

  it('answers a query rightly after one of its own failed part-way (what libchdb leaves behind is not read as the answer)', async function () {
    const failing = { sql: 'SELECT number, throwIf(number = 150000) AS boom FROM numbers(300000) SETTINGS max_block_size = 1000', params: {} };
    const failure = await store.query(failing).catch((err: unknown) => err);
    expect(failure).to.be.instanceOf(StoreError).and.have.property('code', 395);
    expect(await store.query({ sql: 'SELECT 7 AS seven', params: {} })).to.deep.equal([{ seven: 7 }]);
  });

  it('runs analysts’ statements read-only, bounded, with errors carrying ClickHouse’s code', async function () {
    expect((await readWholeAnswer(await store.queryReadOnly('SELECT 1 + 1 AS two'))).rows).to.deep.equal([[2]]);
    const refused = await store.queryReadOnly("INSERT INTO otel_logs (Body) VALUES ('no')").catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(StoreError).and.have.property('code', READONLY_ERROR_CODE);
    const tooMany = await store.queryReadOnly('SELECT number FROM system.numbers LIMIT 100').then(readWholeAnswer).catch((e: unknown) => e);
    expect((tooMany as StoreError).message).to.match(/Limit for result exceeded, max rows/);
    const format = await store.queryReadOnly('SELECT 1 FORMAT CSV').catch((e: unknown) => e);
    expect(format).to.be.instanceOf(RefusedStatementError).and.have.property('reason', 'own_format');
  });
});
