import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ChdbStore } from '../store/chdb.js';
import { migrate, migrationScripts } from './migrations.js';
import { applyRetention, MAX_RETENTION_SECONDS, retentionChanges, ttlOf, type Retention } from './retention.js';

// Retention per signal on the real engine, in one data folder (libchdb binds one per process),
// opened again as a restarted backend opens it.

const DAY = 86400;
const days = (n: number): Retention => ({ logs: n * DAY, traces: n * DAY, metrics: n * DAY, checkpoints: n * DAY });
const statementsOf = (script: string): string[] => script.split(/;\n(?:\n|$)/).map((s) => s.trim()).filter((s) => s !== '');

describe('retention per signal (embedded engine)', function () {
  this.timeout(120000);
  const path = mkdtempSync(join(tmpdir(), 'rollpoint-retention-'));
  let store: ChdbStore;
  const open = () => new ChdbStore({ path, readOnlyMaxRows: 100, readOnlyTimeoutMs: 10000 });

  const engineOf = async (table: string): Promise<string> => {
    const [row] = await store.query<{ engine_full: string }>({ sql: 'SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = {table:String}', params: { table } });
    return row!.engine_full;
  };
  const bodies = async (): Promise<string[]> =>
    (await store.query<{ Body: string }>({ sql: 'SELECT Body FROM otel_logs ORDER BY Body', params: {} })).map((row) => row.Body);
  const log = (body: string, eventTime: string, storedTime?: string) =>
    store.command({
      sql: `INSERT INTO otel_logs (Timestamp, Body${storedTime === undefined ? '' : ', StoredTime'}) VALUES (${eventTime}, {body:String}${storedTime === undefined ? '' : `, ${storedTime}`})`,
      params: { body },
    });
  /** What TTL merges do in time, done now: every row past its TTL goes. */
  const expire = async () => {
    await store.command('ALTER TABLE otel_logs MATERIALIZE TTL SETTINGS mutations_sync = 2');
    await store.command('OPTIMIZE TABLE otel_logs FINAL');
  };

  before(function () {
    store = open();
  });
  after(async function () {
    await store.close();
    rmSync(path, { recursive: true, force: true });
  });

  it('migration 10 gives rows stored before it their event time as stored time, so their TTL stays what it was', async function () {
    for (const { version, script } of migrationScripts({ ttlDays: 30 })) {
      if (version < 10) for (const statement of statementsOf(script)) await store.command(statement);
    }
    await store.command("INSERT INTO otel_logs (Timestamp, Body) VALUES (now64(9) - INTERVAL 3 DAY, 'before migration 10')");
    expect(await migrate(store, { ttlDays: 30 })).to.deep.equal(migrationScripts({ ttlDays: 30 }).map(({ version }) => version).filter((version) => version >= 10));
    const [row] = await store.query<{ same: number }>({ sql: 'SELECT StoredTime = TimestampTime AS same FROM otel_logs', params: {} });
    expect(Number(row!.same)).to.equal(1);
    // Rows stored from now on get the time they were stored.
    await log('after migration 10', 'now64(9) - INTERVAL 2 DAY');
    const [stored] = await store.query<{ fresh: number }>({ sql: "SELECT StoredTime >= now() - 600 AS fresh FROM otel_logs WHERE Body = 'after migration 10'", params: {} });
    expect(Number(stored!.fresh)).to.equal(1);
  });

  it('applies storage.retention to the existing tables, and again after a restart with another retention', async function () {
    // The first start: ttl_days 30 as before, now counted from the stored time where the event time is implausible.
    const first = await applyRetention(store, days(30), { ttlDays: 30 });
    expect(first.map((s) => s.split(' ')[2])).to.have.members(['otel_logs', 'otel_traces', 'otel_traces_trace_id_ts', 'otel_metrics_gauge', 'otel_metrics_sum', 'otel_metrics_histogram', 'otel_metrics_exponential_histogram', 'otel_metrics_summary', 'change_events']);
    expect(await retentionChanges(store, days(30), { ttlDays: 30 })).to.deep.equal([]);
    await store.close();

    // The same data folder, started with logs kept 7 days, traces 36 hours and the checkpoint tables forever.
    store = open();
    const retention: Retention = { logs: 7 * DAY, traces: 36 * 3600, metrics: 30 * DAY, checkpoints: 0 };
    const second = await applyRetention(store, retention, { ttlDays: 30 });
    expect(second).to.have.length(2 + 1 + 8); // otel_logs, the two trace tables, eight checkpoint tables
    expect(ttlOf(await engineOf('otel_logs'))).to.include('StoredTime - toIntervalDay(7)').and.match(/toIntervalDay\(7\)$/);
    expect(ttlOf(await engineOf('otel_traces'))).to.match(/toIntervalHour\(36\)$/);
    expect(ttlOf(await engineOf('otel_metrics_sum'))).to.match(/toIntervalDay\(30\)$/);
    expect(await engineOf('incidents')).not.to.include(' TTL ');
    expect(await engineOf('window_health')).not.to.include(' TTL ');
    expect(await retentionChanges(store, retention, { ttlDays: 30 })).to.deep.equal([]);
  });

  it('keeps rows whose event time is implausible, counting their retention from when they were stored; rows past retention go', async function () {
    await log('clock in 1970', "toDateTime64('1970-01-01 00:00:05', 9)");
    await log('clock in 2000', "toDateTime64('2000-01-01 00:00:00', 9)");
    await log('clock years ahead', 'now64(9) + INTERVAL 3 YEAR');
    await log('two days old', 'now64(9) - INTERVAL 2 DAY', 'now() - INTERVAL 2 DAY');
    await log('8 days old', 'now64(9) - INTERVAL 8 DAY', 'now() - INTERVAL 8 DAY');
    await log('clock in 1970, stored 8 days ago', "toDateTime64('1970-01-01 00:00:05', 9)", 'now() - INTERVAL 8 DAY');
    await expire();
    // Kept 7 days: the two rows older than that, by event time or by stored time, are gone.
    const kept = ['after migration 10', 'before migration 10', 'clock in 1970', 'clock in 2000', 'clock years ahead', 'two days old'];
    expect(await bodies()).to.deep.equal(kept);

    // Retention shortened to a day: the rows older than a day go. The wrong clocks' stay, stored
    // just now, and so does the row stored just now two days after its event time: older than the
    // retention when stored, its event time is implausible too.
    await applyRetention(store, { logs: DAY, traces: DAY, metrics: DAY, checkpoints: DAY }, { ttlDays: 30 });
    await expire();
    expect(await bodies()).to.deep.equal(['after migration 10', 'clock in 1970', 'clock in 2000', 'clock years ahead']);
  });

  it('keeps every row for the longest retention (its TTL does not wrap past 2106)', async function () {
    const longest = MAX_RETENTION_SECONDS;
    await applyRetention(store, { logs: longest, traces: longest, metrics: longest, checkpoints: longest }, { ttlDays: 30 });
    await log('a year old', 'now64(9) - INTERVAL 1 YEAR', 'now() - INTERVAL 1 YEAR');
    await expire();
    expect(await bodies()).to.deep.equal(['a year old', 'after migration 10', 'clock in 1970', 'clock in 2000', 'clock years ahead']);
  });
});
