import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ChdbStore } from '@rollpoint/backend';
import { expect } from 'chai';
import { CLI_MAIN } from '../testing/paths.js';
import { startAgentProcess, startBackendProcess, tempFolder, waitUntil, type AgentProcess, type BackendProcess } from '../testing/processes.js';
import { marker, sendUdp, storedLog } from '../testing/syslog.js';

const run = promisify(execFile);

interface TableStatus {
  family: string;
  retention_seconds: number;
  rows: number;
  oldest_row: string | null;
  bytes_on_disk: number;
}

// storage.retention on a real backend process: a device with a wrong clock sends syslog through a
// real agent, the backend is restarted on the same data folder with another retention, and the
// tables it created at the first start carry the new TTL while the device's rows stay.
describe('retention per signal, changed between two starts of the backend', function () {
  this.timeout(180000);
  const folder = tempFolder('retention');
  const dataDir = join(folder, 'data');
  let backend: BackendProcess | undefined;
  let agent: AgentProcess | undefined;

  after(async function () {
    await agent?.stop();
    await backend?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  const openStore = () => new ChdbStore({ path: dataDir, readOnlyMaxRows: 100, readOnlyTimeoutMs: 10000 });
  const status = async (url: string): Promise<{ tables: Record<string, TableStatus> }> => JSON.parse((await run(process.execPath, [CLI_MAIN, '--url', url, '--json', 'status'])).stdout);
  const ttlOf = async (table: string): Promise<string> => String((await backend!.sql(`SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = '${table}'`))[0]?.engine_full);

  it('keeps a wrong clock’s syslog, shows each table’s retention, and applies a changed retention to the existing tables at the next start', async function () {
    backend = await startBackendProcess({ dataDir, extra: { storage: { retention: { logs: '30d', traces: '36h' } } } });
    agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort, batch: { timeout: '20ms' }, syslog: {} });
    const wrong = marker('clock-in-2000');
    const right = marker('clock-right');
    const old = marker('stored-8-days-ago');
    await sendUdp(agent.syslog!.udp, [
      `<189>1 2000-01-01T00:00:00Z edge-9 ios - - - config changed ${wrong}`,
      `<189>1 ${new Date().toISOString()} edge-9 ios - - - config changed ${right}`,
    ]);
    expect(String((await storedLog(backend, wrong)).Timestamp)).to.match(/^2000-01-01 00:00:00/);
    await storedLog(backend, right);

    const first = await status(backend.url);
    expect(first.tables.otel_logs).to.deep.include({ family: 'logs', retention_seconds: 30 * 86400, oldest_row: '2000-01-01T00:00:00.000Z' });
    expect(first.tables.otel_logs!.rows).to.be.at.least(2);
    expect(first.tables.otel_logs!.bytes_on_disk).to.be.above(0);
    expect(first.tables.otel_traces).to.deep.include({ family: 'traces', retention_seconds: 36 * 3600, rows: 0, oldest_row: null });
    expect(first.tables.incidents).to.deep.include({ family: 'checkpoints', retention_seconds: 30 * 86400 });
    const human = (await run(process.execPath, [CLI_MAIN, '--url', backend.url, 'status'])).stdout;
    expect(human).to.match(/otel_logs\s+│\s+logs\s+│\s+30d\s+│/).and.match(/otel_traces\s+│\s+traces\s+│\s+36h\s+│\s+0\s+│\s+–/).and.include('2000-01-01 00:00:00');
    expect(await ttlOf('otel_logs')).to.match(/StoredTime - toIntervalDay\(30\)\)\).+\+ toIntervalDay\(30\) SETTINGS/);

    await agent.stop();
    agent = undefined;
    await backend.stop();
    // A row stored 8 days ago, while logs are kept 30 days (an insert drops rows already past their TTL).
    const storing = openStore();
    await storing.command({ sql: 'INSERT INTO otel_logs (Timestamp, Body, StoredTime) VALUES (now64(9) - INTERVAL 8 DAY, {body:String}, now() - INTERVAL 8 DAY)', params: { body: old } });
    expect(await storing.query({ sql: 'SELECT count() AS n FROM otel_logs WHERE Body = {old:String}', params: { old } })).to.deep.equal([{ n: '1' }]);
    await storing.close();
    backend = await startBackendProcess({ dataDir, extra: { storage: { retention: { logs: '7d', traces: '36h', checkpoints: 0 } } } });
    expect(await ttlOf('otel_logs')).to.match(/StoredTime - toIntervalDay\(7\)\)\).+\+ toIntervalDay\(7\) SETTINGS/);
    expect(await ttlOf('otel_traces')).to.include('toIntervalHour(36)');
    expect(await ttlOf('incidents')).not.to.include(' TTL ');
    // The TTL was materialized (recalculated) on the parts stored before; the device's rows are still there.
    await waitUntil(async () => (await backend!.sql("SELECT count() AS n FROM system.mutations WHERE table = 'otel_logs' AND NOT is_done"))[0]?.n === '0', 'the TTL to be materialized');
    expect(await backend.sql(`SELECT count() AS n FROM otel_logs WHERE position(Body, '${wrong}') > 0 OR position(Body, '${right}') > 0`)).to.deep.equal([{ n: '2' }]);
    const second = await status(backend.url);
    expect(second.tables.otel_logs).to.deep.include({ retention_seconds: 7 * 86400, oldest_row: '2000-01-01T00:00:00.000Z' });
    expect(second.tables.window_health).to.deep.include({ family: 'checkpoints', retention_seconds: 0 });
    expect(second.tables.audit_log).to.deep.include({ family: 'fixed', retention_seconds: 0 });
    expect(second.tables.ingested_batches).to.deep.include({ family: 'fixed', retention_seconds: 7 * 86400 });
    expect(second.tables.rollpoint_schema_migrations!.rows).to.be.above(0);
    expect((await run(process.execPath, [CLI_MAIN, '--url', backend.url, 'status'])).stdout)
      .to.match(/otel_logs\s+│\s+logs\s+│\s+7d\s+│/)
      .and.match(/incidents\s+│\s+checkpoints\s+│\s+forever\s+│/)
      .and.match(/audit_log\s+│\s+fixed\s+│\s+forever\s+│/);

    // What TTL merges do in time, done now on the same data folder: the row stored 8 days ago goes, the wrong clock's stays.
    await backend.stop();
    backend = undefined;
    const store = openStore();
    try {
      const counts = async () =>
        (await store.query({ sql: 'SELECT countIf(position(Body, {wrong:String}) > 0) AS wrong, countIf(position(Body, {right:String}) > 0) AS right, countIf(Body = {old:String}) AS old FROM otel_logs', params: { wrong, right, old } }))[0];
      await store.command('ALTER TABLE otel_logs MATERIALIZE TTL SETTINGS mutations_sync = 2');
      await store.command('OPTIMIZE TABLE otel_logs FINAL');
      expect(await counts()).to.deep.equal({ wrong: '1', right: '1', old: '0' });
    } finally {
      await store.close();
    }
  });
});
