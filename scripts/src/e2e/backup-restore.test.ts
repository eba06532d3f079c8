import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { status } from '@grpc/grpc-js';
import { logs, metrics, traces, type ExportLogsServiceRequest, type ExportMetricsServiceRequest, type ExportTraceServiceRequest } from '@rollpoint/proto';
import { rowCounts } from '@rollpoint/backend/testing/row-counts';
import { appLogsRequest, gaugeMetric, metricsRequest, trafficRequest } from '@rollpoint/backend/testing/scenario-data';
import { expect } from 'chai';
import { startEmbeddedEngineServer, TEST_PASSWORD, TEST_USER, type ClickHouseServer } from '../testing/clickhouse-servers.js';
import { rawExport } from '../testing/grpc.js';
import { BACKEND_MAIN, CLI_MAIN } from '../testing/paths.js';
import { startBackendProcess, tempFolder, waitUntil, writeConfig, type BackendProcess } from '../testing/processes.js';

// Backup and restore through the real processes, on the embedded engine and on a server (chdb's
// engine behind ClickHouse's HTTP interface, with a `backups` disk): spans, logs, metrics, a marker
// and a recomputed incident with its checkpoint; a full backup, more data, an incremental one; the
// backend killed and its data destroyed; `rollpoint-backend restore`; a new backend answering as
// the old one did at each backup.

const run = promisify(execFile);
const MINUTE = 60_000;
const T = Math.floor(Date.now() / MINUTE) * MINUTE - 30 * MINUTE;
const at = (minutes: number, seconds = 0): number => T + minutes * MINUTE + seconds * 1000;
const iso = (ms: number): string => new Date(ms).toISOString();
const SCOPE = 'shop';

/** Where one kind of store keeps its data, and how to destroy it and bring an empty one up. */
interface StoreUnderTest {
  /** The embedded engine's data folder. */
  dataDir?: string;
  /** The backend configuration's storage and backups sections. */
  sections(): Record<string, unknown>;
  /** Destroys the data (the backend is down); an empty store comes up in its place. */
  destroy(): Promise<void>;
  close(): Promise<void>;
  /** Runs a statement on the server, as its other users may (not through rollpoint). */
  exec?(sql: string): Promise<void>;
}

const backendExtra = (store: StoreUnderTest) => ({
  ...store.sections(),
  // Incidents are stored by the explicit recomputes only, so nothing changes between a look and a backup.
  checkpoints: { recompute_interval: '1h', scopes: { [SCOPE]: { services: ['shop-*'], hosts: [], devices: [] } } },
});

async function send(port: number, request: { traces?: ExportTraceServiceRequest; logs?: ExportLogsServiceRequest; metrics?: ExportMetricsServiceRequest }): Promise<void> {
  if (request.traces) expect((await rawExport(port, traces.grpcMethod, traces.encode(request.traces))).code).to.equal(status.OK);
  if (request.logs) expect((await rawExport(port, logs.grpcMethod, logs.encode(request.logs))).code).to.equal(status.OK);
  if (request.metrics) expect((await rawExport(port, metrics.grpcMethod, metrics.encode(request.metrics))).code).to.equal(status.OK);
}

const post = (backend: BackendProcess, path: string, body: unknown) =>
  fetch(`${backend.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const get = async (backend: BackendProcess, path: string): Promise<unknown> => (await fetch(`${backend.url}${path}`)).json();

/** Telemetry of `service` over [from, to) minutes, errors at 40 % in [badFrom, badTo), with its logs and a CPU gauge. */
async function fill(backend: BackendProcess, service: string, version: string, from: number, to: number, bad?: [number, number]): Promise<void> {
  const traffic = { service, version, host: `${service}-1`, spansPerMinute: 60, latencyMs: () => 30, from: at(from), to: at(to) };
  await send(backend.grpcPort, {
    traces: trafficRequest({ ...traffic, errorRate: (t) => (bad && t >= at(bad[0]) && t < at(bad[1]) ? 0.4 : 0.005) }),
    logs: appLogsRequest(service, traffic.host, Array.from({ length: to - from }, (_, i) => ({ timeMs: at(from + i, 30), body: `served minute ${from + i}`, severityNumber: 9 }))),
    metrics: metricsRequest({ 'service.name': service, 'host.name': traffic.host }, [gaugeMetric('system.cpu.utilization', { state: 'user' }, at(from), at(to), MINUTE, () => 0.3)]),
  });
}

/** What the API answers about the data: the incidents with their details, a checkpoint, the changes. */
async function apiAnswers(backend: BackendProcess) {
  const range = `scope=${SCOPE}&from=${encodeURIComponent(iso(T))}&to=${encodeURIComponent(iso(at(30)))}`;
  const { incidents } = (await get(backend, `/api/v1/incidents?${range}`)) as { incidents: Array<{ id: string }> };
  const details = await Promise.all(incidents.map((i) => get(backend, `/api/v1/incidents/${encodeURIComponent(i.id)}`)));
  const checkpoint = await get(backend, `/api/v1/checkpoint?scope=${SCOPE}&at=${encodeURIComponent(iso(at(22)))}`);
  const changes = await get(backend, `/api/v1/changes?${range}`);
  return { incidents, details, checkpoint, changes };
}

const countsOf = (backend: BackendProcess) => rowCounts((sql) => backend.sql(sql));

/**
 * What a backup made now must bring back: the API's answers, and the rows per table counted after
 * them (answering stores verdicts in window_health, a cache each process fills as it is asked).
 */
async function answersBeforeBackup(backend: BackendProcess) {
  const api = await apiAnswers(backend);
  return { api, counts: await countsOf(backend) };
}

/** The same of a backend just restored: the rows counted first, before answering adds to the cache. */
async function answersAfterRestore(backend: BackendProcess) {
  const counts = await countsOf(backend);
  return { api: await apiAnswers(backend), counts };
}

type Answers = Awaited<ReturnType<typeof answersBeforeBackup>>;

/**
 * A restored backend answers as the backup's did. Its audit log holds one row more, the restore's;
 * the audit row of the request that made the backup is written while the backup runs: the backup
 * may hold it or not. A forced restore keeps the entries recorded since: `audit` is then exact.
 */
function expectSameAnswers(restored: Answers, expected: Answers, audit: [number, number] = [expected.counts.audit_log! + 1, expected.counts.audit_log! + 2]): void {
  const { audit_log: restoredAudit, ...restoredCounts } = restored.counts;
  const { audit_log: _expectedAudit, ...expectedCounts } = expected.counts;
  expect({ ...restored, counts: restoredCounts }).to.deep.equal({ ...expected, counts: expectedCounts });
  expect(restoredAudit).to.be.within(...audit);
}

/** Waits until the watermarks the backend stores have reached `ms`, so a backup holds them as the backend knows them. */
const watermarksStored = (backend: BackendProcess, ms: number) =>
  waitUntil(async () => Number((await backend.sql('SELECT toUnixTimestamp64Milli(max(watermark)) AS w FROM source_watermarks'))[0]!.w) >= ms, 'the watermarks to be stored');

function backupAndRestore(kind: string, open: () => Promise<StoreUnderTest>): void {
  describe(`backup and restore: ${kind}`, function () {
    this.timeout(300000);
    let store: StoreUnderTest;
    let backend: BackendProcess | undefined;
    let configFile: string;
    const folder = tempFolder('backup-restore');
    const cli = async (...args: string[]) => (await run(process.execPath, [CLI_MAIN, '--url', backend!.url, ...args])).stdout;
    const restore = (...args: string[]) => run(process.execPath, [BACKEND_MAIN, 'restore', '--config', configFile, ...args]);
    const start = async () => (backend = await startBackendProcess({ extra: backendExtra(store), ...(store.dataDir !== undefined ? { dataDir: store.dataDir } : {}) }));
    let full: { name: string; answers: Answers };
    let incremental: typeof full;

    before(async function () {
      store = await open();
      configFile = writeConfig(folder, 'restore.yaml', { ...store.sections(), log: { level: 'warn' } });
      await start();
    });
    after(async function () {
      await backend?.stop();
      await store?.close();
      rmSync(folder, { recursive: true, force: true });
    });

    it('backs up a store holding spans, logs, metrics, a marker and an incident with its checkpoint, then incrementally what came after', async function () {
      const b = backend!;
      await fill(b, 'shop-cart', '2.0.0', 0, 20);
      await fill(b, 'shop-cart', '2.1.0', 20, 29, [21, 25]);
      expect((await post(b, '/api/v1/changes', { time: iso(at(20, 45)), entity_kind: 'service', entity: 'shop-cart', title: 'feature flag on', author: 'ana' })).status).to.equal(201);
      await watermarksStored(b, at(28, 59));
      expect((await post(b, '/api/v1/recompute', { from: iso(T), to: iso(Date.now()) })).status).to.equal(200);
      const before = await answersBeforeBackup(b);
      expect(before.api.incidents.map((i) => i.id)).to.deep.equal([`${SCOPE}:${at(21) / 1000}`]);
      expect(before.counts).to.include.keys('otel_traces', 'otel_logs', 'otel_metrics_gauge', 'incidents', 'checkpoints', 'rollpoint_schema_migrations');
      for (const table of ['otel_traces', 'otel_logs', 'otel_metrics_gauge', 'incidents', 'checkpoints']) expect(before.counts[table], table).to.be.greaterThan(0);
      const made = JSON.parse(await cli('--json', 'backup', 'create')) as { name: string; status: string; size: number; base: string | null };
      expect(made).to.include({ status: 'created', base: null });
      expect(made.size).to.be.greaterThan(0);
      full = { name: made.name, answers: before };

      await fill(b, 'shop-pay', '1.0.0', 25, 30);
      expect((await post(b, '/api/v1/changes', { time: iso(at(29)), entity_kind: 'service', entity: 'shop-pay', title: 'rate limit raised', author: 'bo' })).status).to.equal(201);
      await watermarksStored(b, at(29, 59));
      const later = await answersBeforeBackup(b);
      expect(later.counts.otel_traces).to.be.greaterThan(before.counts.otel_traces!);
      const added = JSON.parse(await cli('--json', 'backup', 'create', '--incremental')) as typeof made;
      expect(added).to.include({ status: 'created', base: full.name });
      incremental = { name: added.name, answers: later };
      const byAnalyst = await fetch(`${b.url}/api/v1/sql`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: "BACKUP DATABASE default TO Disk('backups', 'by-analyst')" });
      expect(byAnalyst.status).to.equal(403);
      expect(((await byAnalyst.json()) as { message: string }).message).to.include('BACKUP and RESTORE are not analysts');
      const listed = await cli('backup', 'list');
      expect(listed).to.match(new RegExp(`${full.name}.*created`)).and.match(new RegExp(`${added.name}.*${full.name}.*created`)).and.include('2 backup(s)');
    });

    it('restores the incremental backup into a destroyed store: the same counts, incidents, checkpoint and changes as then', async function () {
      await backend!.stop('SIGKILL');
      backend = undefined;
      await store.destroy();
      const { stdout } = await restore('--from', incremental.name);
      expect(stdout).to.include(`restored ${incremental.name}`);
      await start();
      expectSameAnswers(await answersAfterRestore(backend!), incremental.answers);
      const { entries } = (await get(backend!, '/api/v1/audit')) as { entries: Array<{ action: string; method: string; detail: string }> };
      expect(entries[0]).to.deep.include({ action: 'restore', method: 'CLI' });
      expect(entries[0]!.detail).to.include(incremental.name);
      const { backups } = (await get(backend!, '/api/v1/backups')) as { backups: Array<{ name: string; status: string }> };
      expect(backups.map((x) => [x.name, x.status])).to.deep.equal([
        [full.name, 'created'],
        [incremental.name, 'created'],
      ]);
    });

    it('refuses to restore over rollpoint’s tables, a user’s table, a backup it cannot read or a running backend’s folder; with --force it restores the full backup’s earlier state and keeps the audit entries since', async function () {
      const failure = (err: { code: number; stderr: string }) => err;
      if (store.dataDir !== undefined) {
        const busy = await restore('--from', full.name, '--force').then(() => undefined, failure);
        expect(busy?.stderr).to.include('is a backend still running on it? Stop it first');
      }
      const audited = (await countsOf(backend!)).audit_log!;
      await backend!.stop();
      backend = undefined;
      const refused = await restore('--from', full.name).then(() => undefined, failure);
      expect(refused?.code).to.equal(1);
      expect(refused?.stderr).to.match(/already holds rollpoint's \d+ tables: restore into an empty one, or pass --force/);
      // A typo, with the configuration given before the command: refused before anything is dropped, without a stack trace.
      const typo = await run(process.execPath, [BACKEND_MAIN, '--config', configFile, 'restore', '--from', `${full.name}-typo`, '--force']).then(() => undefined, failure);
      expect(typo?.code).to.equal(1);
      expect(typo?.stderr).to.match(/^rollpoint-backend: (no backup|cannot read backup) .*-typo/).and.not.match(/Stack trace|\n\s+at /);
      if (store.exec !== undefined) {
        await store.exec('CREATE TABLE user_notes (note String) ENGINE = MergeTree ORDER BY note');
        const theirs = await restore('--from', full.name, '--force').then(() => undefined, failure);
        expect(theirs?.stderr).to.include("holds tables that are not rollpoint's (user_notes)");
        await store.exec('DROP TABLE user_notes SYNC');
      }
      await run(process.execPath, [BACKEND_MAIN, '--config', configFile, 'restore', '--from', full.name, '--force']);
      await start();
      // Nothing was dropped before: the audit trail holds every entry it held, then the forced restore's.
      expectSameAnswers(await answersAfterRestore(backend!), full.answers, [audited + 1, audited + 1]);
      const { entries } = (await get(backend!, '/api/v1/audit')) as { entries: Array<{ action: string; detail: string }> };
      expect(entries.slice(0, 2).map((e) => e.action)).to.deep.equal(['restore', 'restore']);
      expect(entries[0]!.detail).to.include(full.name).and.match(/, --force$/);
      expect(entries[1]!.detail).to.include(incremental.name);
    });
  });
}

backupAndRestore('embedded engine', async () => {
  const root = tempFolder('backup-embedded');
  const dataDir = join(root, 'data');
  return {
    dataDir,
    sections: () => ({ storage: { chdb: { path: dataDir } }, backups: { path: join(root, 'backups') } }),
    destroy: async () => rmSync(dataDir, { recursive: true, force: true }),
    close: async () => rmSync(root, { recursive: true, force: true }),
  };
});

backupAndRestore('ClickHouse server', async () => {
  const root = tempFolder('backup-server');
  const disk = join(root, 'backups-disk');
  const dataDir = join(root, 'data');
  let server: ClickHouseServer = await startEmbeddedEngineServer({ dataDir, backupsDisk: disk });
  const port = Number(new URL(server.url).port);
  return {
    sections: () => ({
      storage: { driver: 'clickhouse', clickhouse: { url: server.url, username: TEST_USER, password: TEST_PASSWORD, connect_retry: { initial_interval: '200ms', max_interval: '1s' } } },
      backups: { disk: 'backups' },
    }),
    destroy: async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
      server = await startEmbeddedEngineServer({ dataDir, port, backupsDisk: disk });
    },
    exec: async (sql) => {
      const answer = await fetch(server.url, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${TEST_USER}:${TEST_PASSWORD}`).toString('base64')}` }, body: sql });
      expect(answer.status, await answer.text()).to.equal(200);
    },
    close: async () => {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
});
