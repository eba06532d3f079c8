import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { ChdbStore } from '../store/chdb.js';
import type { Statement } from '../store/store.js';
import { awaitedMutationOf } from './awaited-mutations.js';
import { migrate, migrationScripts } from './migrations.js';

// Migration 10 rewrites a column of each signal table and waits for it. A run cut short (the
// server driver's request timeout, a stop) leaves the rewrite queued; the next run waits for that
// one instead of queuing another. On the embedded engine, with merges stopped to keep it queued.

const statementsOf = (script: string): string[] => script.split(/;\n(?:\n|$)/).map((s) => s.trim()).filter((s) => s !== '');
const migration10 = (options: Parameters<typeof migrationScripts>[0]): string[] => statementsOf(migrationScripts(options).find((m) => m.version === 10)!.script);

describe('migration statements that wait for a mutation', function () {
  this.timeout(120000);
  const path = mkdtempSync(join(tmpdir(), 'rollpoint-mutations-'));
  const seen: Statement[] = [];
  let store: ChdbStore;

  before(function () {
    store = new ChdbStore({ path, readOnlyMaxRows: 100, readOnlyTimeoutMs: 10000, onStatement: (statement) => seen.push(statement) });
  });
  after(async function () {
    await store.close();
    rmSync(path, { recursive: true, force: true });
  });

  it('are each of migration 10’s column rewrites, on a node and on a cluster', function () {
    for (const options of [{ ttlDays: 30 }, { ttlDays: 30, cluster: 'rollpoint', database: 'telemetry' }]) {
      const waiting = migration10(options).filter((s) => s.includes('mutations_sync'));
      expect(waiting).to.have.length(9);
      for (const statement of waiting) expect(awaitedMutationOf(statement)?.command, statement).to.match(/^MATERIALIZE COLUMN (StoredTime|stored_at)$/);
    }
    expect(awaitedMutationOf(migration10({ ttlDays: 30, cluster: 'rollpoint', database: 'telemetry' }).find((s) => s.includes('otel_logs_local ON CLUSTER rollpoint MATERIALIZE'))!)).to.deep.equal({
      database: 'telemetry',
      table: 'otel_logs_local',
      command: 'MATERIALIZE COLUMN StoredTime',
    });
    expect(awaitedMutationOf('ALTER TABLE otel_logs MODIFY COLUMN StoredTime DEFAULT now()')).to.equal(undefined);
  });

  it('wait for the rewrite an earlier run queued instead of queuing another', async function () {
    for (const { version, script } of migrationScripts({ ttlDays: 30 })) {
      if (version < 10) for (const statement of statementsOf(script)) await store.command(statement);
    }
    await store.command("INSERT INTO otel_logs (Timestamp, Body) VALUES (now64(9) - INTERVAL 3 DAY, 'stored before migration 10')");
    // The earlier run: the column added, its rewrite queued (and kept queued), then cut short.
    await store.command(migration10({ ttlDays: 30 }).find((s) => s.startsWith('ALTER TABLE otel_logs ADD COLUMN'))!);
    await store.command('SYSTEM STOP MERGES otel_logs');
    await store.command('ALTER TABLE otel_logs MATERIALIZE COLUMN StoredTime SETTINGS mutations_sync = 0');

    const migrating = migrate(store, { ttlDays: 30 });
    const looked = () => seen.some((s) => s.kind === 'query' && s.sql.includes('system.mutations') && s.params?.table === 'otel_logs');
    while (!looked()) await sleep(20);
    await store.command('SYSTEM START MERGES otel_logs');
    expect(await migrating).to.include(10);

    const rewrites = await store.query<{ is_done: number }>({
      sql: "SELECT is_done FROM system.mutations WHERE database = currentDatabase() AND table = 'otel_logs' AND position(command, 'MATERIALIZE COLUMN StoredTime') > 0",
      params: {},
    });
    expect(rewrites.map((r) => Number(r.is_done))).to.deep.equal([1]);
    const [row] = await store.query<{ same: number }>({ sql: 'SELECT StoredTime = TimestampTime AS same FROM otel_logs', params: {} });
    expect(Number(row!.same)).to.equal(1);
  });
});
