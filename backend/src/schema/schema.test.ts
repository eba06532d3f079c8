import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ChdbStore } from '../store/chdb.js';
import { checkSchemaVersion, SCHEMA_VERSION, schemaScript } from './migrations.js';
import type { Retention } from './retention.js';

// The printed schema (`rollpoint-backend schema --print`), for one node and for a cluster, checked
// on the real engine: a cluster's statements are parsed by ClickHouse 26 (a cluster needs Keeper
// and remote servers, which the embedded engine has not), a node's are run.

const RETENTION: Retention = { logs: 14 * 86400, traces: 7 * 86400, metrics: 90 * 86400, checkpoints: 0 };

const statementsOf = (script: string): string[] => script.split(/;\n(?:\n|$)/).map((s) => s.trim()).filter((s) => s !== '');

describe('schema script', function () {
  this.timeout(60000);
  let store: ChdbStore;
  const path = mkdtempSync(join(tmpdir(), 'rollpoint-schema-'));

  before(function () {
    store = new ChdbStore({ path, readOnlyMaxRows: 5, readOnlyTimeoutMs: 10000 });
  });
  after(async function () {
    await store.close();
    rmSync(path, { recursive: true, force: true });
  });

  it('with create_schema false, an empty database is refused with the command that fixes it', async function () {
    const refused = await checkSchemaVersion(store).catch((e: Error) => e);
    expect(refused).to.be.instanceOf(Error);
    expect((refused as Error).message).to.include(`schema version 0, this backend needs ${SCHEMA_VERSION}`).and.include('rollpoint-backend schema --print');
  });

  it('for one node runs as printed and records every migration, so the backend accepts the database', async function () {
    for (const statement of statementsOf(schemaScript({ ttlDays: 30 }, RETENTION))) await store.command(statement);
    await checkSchemaVersion(store);
    const rows = await store.query({ sql: 'SELECT count() AS tables FROM system.tables WHERE database = currentDatabase() AND name IN (\'otel_logs\', \'checkpoints\', \'changes\')', params: {} });
    expect(rows).to.deep.equal([{ tables: '3' }]);
    const metrics = await store.query({ sql: "SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() AND startsWith(name, 'otel_metrics_') ORDER BY name", params: {} });
    expect(metrics.map((row) => row.name)).to.deep.equal(['otel_metrics_exponential_histogram', 'otel_metrics_gauge', 'otel_metrics_histogram', 'otel_metrics_sum', 'otel_metrics_summary']);
    // The retention printed after the migrations: 90 days from the event time, or from the stored time where that is implausible.
    for (const { engine_full } of metrics) {
      expect(engine_full).to.include('StoredTime, toDateTime(TimeUnix)) + toIntervalDay(90)').and.include('non_replicated_deduplication_window = 10000');
    }
    const [checkpoints] = await store.query<{ engine_full: string }>({ sql: "SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = 'checkpoints'", params: {} });
    expect(checkpoints!.engine_full).not.to.include('TTL');
  });

  it('for a cluster: every statement parses, runs ON CLUSTER, and only Replicated and Distributed engines', async function () {
    const statements = statementsOf(schemaScript({ ttlDays: 30, cluster: 'rollpoint', database: 'telemetry' }, RETENTION));
    for (const statement of statements) {
      await store.query({ sql: 'SELECT formatQuery({statement:String})', params: { statement } });
      if (!statement.startsWith('INSERT')) expect(statement).to.match(/^\S+( OR REPLACE)? (TABLE|MATERIALIZED VIEW|VIEW) (IF NOT EXISTS )?telemetry\.\w+ ON CLUSTER rollpoint /);
    }
    const engines = statements.flatMap((s) => [...s.matchAll(/ENGINE = (\w+)/g)].map((m) => m[1]!));
    expect(new Set(engines)).to.deep.equal(new Set(['ReplicatedMergeTree', 'ReplicatedAggregatingMergeTree', 'ReplicatedReplacingMergeTree', 'Distributed']));
  });

  it('for a cluster: sharded tables keep their names as Distributed tables, views read and write the shards’ local tables', function () {
    const script = schemaScript({ ttlDays: 30, cluster: 'rollpoint', database: 'telemetry' }, RETENTION);
    const metricsTables = ['otel_metrics_gauge', 'otel_metrics_sum', 'otel_metrics_histogram', 'otel_metrics_exponential_histogram', 'otel_metrics_summary'];
    for (const table of ['otel_logs', 'otel_traces', 'otel_traces_trace_id_ts', 'entity_windows', 'metric_windows', 'service_versions', 'change_events', ...metricsTables]) {
      expect(script).to.include(`CREATE TABLE IF NOT EXISTS telemetry.${table}_local ON CLUSTER rollpoint (`);
      expect(script).to.include(`'/clickhouse/tables/{shard}/{database}/${table}_local', '{replica}'`);
      expect(script).to.match(new RegExp(`CREATE TABLE IF NOT EXISTS telemetry\\.${table} ON CLUSTER rollpoint AS telemetry\\.${table}_local\\nENGINE = Distributed\\(rollpoint, 'telemetry', ${table}_local, cityHash64\\(`));
    }
    // A metric series stays on one shard; each metrics table keeps the deduplication window itself.
    for (const table of metricsTables) {
      expect(script).to.include(`ENGINE = Distributed(rollpoint, 'telemetry', ${table}_local, cityHash64(ResourceAttributes, MetricName, Attributes))`);
      expect(script).to.match(new RegExp(`'/clickhouse/tables/\\{shard\\}/\\{database\\}/${table}_local', '\\{replica\\}'\\)\\n[^;]*TTL toDateTime\\(TimeUnix\\) \\+ toIntervalDay\\(30\\)\\nSETTINGS [^;]*replicated_deduplication_window = 10000;`));
    }
    // The backend's own tables: one copy on every node, so DELETE and FINAL stay local.
    for (const table of ['window_health', 'incidents', 'checkpoints', 'source_watermarks', 'rollpoint_schema_migrations']) {
      expect(script).to.include(`'/clickhouse/tables/all/{database}/${table}', '{shard}-{replica}'`);
    }
    const views = [...script.matchAll(/MATERIALIZED VIEW IF NOT EXISTS telemetry\.\w+ ON CLUSTER rollpoint TO telemetry\.(\w+) AS\n[\s\S]*?\nFROM telemetry\.(\w+)/g)].map((m) => [m[1], m[2]]);
    expect(views).to.have.length(9);
    for (const [target, source] of views) {
      expect(target).to.match(/_local$/);
      expect(source).to.match(/_local$/);
    }
    expect(script).to.include('replicated_deduplication_window = 10000').and.not.include('non_replicated_deduplication_window');
    // The changes view reads the Distributed tables of the same database on every server.
    expect(script).to.include('FROM telemetry.change_events').and.include('FROM telemetry.service_versions GROUP BY');
  });
});
