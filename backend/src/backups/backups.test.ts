import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import { recordAuditEntry } from '../audit/audit-log.js';
import { backendConfigSchema } from '../config.js';
import { migrate } from '../schema/migrations.js';
import { ChdbStore } from '../store/chdb.js';
import { RefusedStatementError } from '../store/read-only-statement.js';
import type { Store } from '../store/store.js';
import { rowCounts } from '../testing/row-counts.js';
import { steadyTraffic, storeTraffic } from '../testing/scenario-data.js';
import { BackupRefusedError, Backups, expendableBackups, recordBackup, type BackupEntry } from './backups.js';
import { backupTargetOf } from './config.js';
import { restoreBackup, RestoreRefusedError } from './restore.js';
import { BackupSchedule } from './schedule.js';
import { backupStatement, destination, dropTableStatement, restoreStatement } from './statements.js';

describe('backup statements', function () {
  const s3 = { kind: 's3', endpoint: 'https://s3.example.com/bucket/rollpoint/', accessKeyId: 'AKIA1', secretAccessKey: "se'cret" } as const;

  it('name a folder, a disk or an S3 URL with its credentials', function () {
    expect(destination({ kind: 'file', folder: '/var/lib/rollpoint/backups' }, 'b1')).to.equal("File('/var/lib/rollpoint/backups/b1')");
    expect(destination({ kind: 'disk', disk: 'backups' }, 'b1')).to.equal("Disk('backups', 'b1')");
    expect(destination(s3, 'b1')).to.equal("S3('https://s3.example.com/bucket/rollpoint/b1', 'AKIA1', 'se\\'cret')");
  });

  it('back up the whole database, on top of a base, on a cluster', function () {
    expect(backupStatement({ database: 'telemetry', cluster: 'rp', target: s3, name: 'b2', base: 'b1' })).to.equal(
      "BACKUP DATABASE telemetry ON CLUSTER rp TO S3('https://s3.example.com/bucket/rollpoint/b2', 'AKIA1', 'se\\'cret') SETTINGS id = 'b2', base_backup = S3('https://s3.example.com/bucket/rollpoint/b1', 'AKIA1', 'se\\'cret') ASYNC",
    );
    expect(restoreStatement({ database: 'default', target: { kind: 'disk', disk: 'backups' }, name: 'b2' }, 'r1')).to.equal("RESTORE DATABASE default FROM Disk('backups', 'b2') SETTINGS id = 'r1' ASYNC");
    expect(dropTableStatement('default', 'odd`name')).to.equal('DROP TABLE IF EXISTS default.`odd\\`name` SYNC');
  });

  it('go where the configuration says, and refuse a target the driver cannot use', function () {
    const server = backendConfigSchema.parse({ storage: { driver: 'clickhouse' }, backups: { s3: { endpoint: 'https://s3.example.com/b', access_key_id: 'k', secret_access_key: 's' } } });
    expect(backupTargetOf(server)).to.deep.equal({ kind: 's3', endpoint: 'https://s3.example.com/b', accessKeyId: 'k', secretAccessKey: 's' });
    expect(backupTargetOf(backendConfigSchema.parse({ storage: { driver: 'clickhouse' } }))).to.equal(undefined);
    expect(backupTargetOf(backendConfigSchema.parse({ storage: { chdb: { path: '/srv/rp/data' } } }))).to.deep.equal({ kind: 'file', folder: '/srv/rp/backups' });
    expect(backendConfigSchema.safeParse({ backups: { disk: 'backups' } }).error?.issues[0]?.path).to.deep.equal(['backups', 'disk']);
    expect(backendConfigSchema.safeParse({ storage: { driver: 'clickhouse' }, backups: { path: '/b' } }).error?.issues[0]?.path).to.deep.equal(['backups', 'path']);
  });
});

describe('backups kept by a schedule', function () {
  const entry = (name: string, minute: number, base: string | null = null, status: BackupEntry['status'] = 'created'): BackupEntry => ({
    name, time: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(), base, location: name, status, size: 1,
  });
  const names = (backups: BackupEntry[]) => backups.map((b) => b.name);

  it('deletes the older ones, never a base a kept backup needs nor one being made', function () {
    const backups = [entry('a', 0), entry('b', 1, 'a'), entry('x', 2, null, 'failed'), entry('c', 3), entry('d', 4, 'c'), entry('e', 5)];
    expect(names(expendableBackups(backups, 2))).to.deep.equal(['a', 'b', 'x']);
    expect(names(expendableBackups(backups, 1))).to.deep.equal(['a', 'b', 'x', 'c', 'd']);
    // d's chain reaches back to a: all of it stays.
    const chain = [entry('a', 0), entry('b', 1, 'a'), entry('c', 2, 'b'), entry('d', 3, 'c'), entry('z', 4, null, 'creating')];
    expect(names(expendableBackups(chain, 1))).to.deep.equal([]);
    expect(names(expendableBackups(backups, 10))).to.deep.equal([]);
  });

  it('is refused on a server, whose backups rollpoint cannot delete', function () {
    const refused = backendConfigSchema.safeParse({ storage: { driver: 'clickhouse' }, backups: { disk: 'b', schedule: { interval: '1h', keep: 3 } } });
    expect(refused.error?.issues[0]?.path).to.deep.equal(['backups', 'schedule', 'keep']);
    expect(backendConfigSchema.safeParse({ backups: { schedule: { interval: '10s' } } }).success).to.equal(false);
  });
});

const rowCountsOf = (store: Store) => rowCounts((sql) => store.query({ sql, params: {} }));

// The embedded engine for real: libchdb binds one data folder per process, so each store is closed before the next opens.
describe('backups and restores on the embedded engine', function () {
  const root = mkdtempSync(join(tmpdir(), 'rollpoint-backups-'));
  const data = join(root, 'data');
  const folder = join(root, 'backups');
  const config = backendConfigSchema.parse({ storage: { chdb: { path: data } } });
  const logger = pino({ level: 'silent' });
  const t0 = Date.UTC(2026, 0, 5, 10, 0);
  let store: ChdbStore;
  const open = () => new ChdbStore({ path: data, backupsPath: folder, readOnlyMaxRows: 100, readOnlyTimeoutMs: 10000 });
  const backups = () => new Backups({ store, target: { kind: 'file', folder }, database: 'default' });
  let full: BackupEntry;
  let incremental: BackupEntry;
  let countsAtFull: Record<string, number>;
  let countsAtIncremental: Record<string, number>;

  before(async function () {
    store = open();
    await migrate(store, { ttlDays: 0 });
    await storeTraffic(store, steadyTraffic('checkout', '1.0.0', t0, t0 + 10 * 60_000));
  });
  after(async function () {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses an incremental backup with nothing to add to, and BACKUP through the analysts’ SQL', async function () {
    let refused: unknown;
    await backups().create({ incremental: true }).catch((err: unknown) => (refused = err));
    expect(refused).to.be.instanceOf(BackupRefusedError);
    let sqlRefused: unknown;
    await store.queryReadOnly(`BACKUP DATABASE default TO File('${join(folder, 'by-analyst')}')`).catch((err: unknown) => (sqlRefused = err));
    expect(sqlRefused).to.be.instanceOf(RefusedStatementError);
    expect(existsSync(join(folder, 'by-analyst'))).to.equal(false);
  });

  it('makes a full backup, then an incremental one of what came after, listed with sizes and bases', async function () {
    countsAtFull = await rowCountsOf(store);
    const maker = backups();
    const { started, done } = await maker.start({ incremental: false });
    expect(started.status).to.equal('creating');
    let busy: unknown;
    await maker.start({ incremental: false }).catch((err: unknown) => (busy = err));
    expect((busy as Error).message).to.match(/a backup is being made/);
    full = await done;
    expect(full).to.include({ name: started.name, status: 'created' });
    await storeTraffic(store, steadyTraffic('checkout', '1.1.0', t0 + 10 * 60_000, t0 + 20 * 60_000));
    countsAtIncremental = await rowCountsOf(store);
    incremental = await backups().create({ incremental: true });
    expect(countsAtIncremental.otel_traces).to.be.greaterThan(countsAtFull.otel_traces!);
    expect(incremental.base).to.equal(full.name);
    expect(full.size).to.be.greaterThan(0);
    expect(incremental.size).to.be.greaterThan(0);
    expect(existsSync(join(folder, incremental.name, '.backup'))).to.equal(true);
    expect(await backups().list()).to.deep.equal([full, incremental]);
  });

  it('keeps its catalogue when the store is opened again, and settles a backup the engine stopped while making', async function () {
    const cut: BackupEntry = { name: 'rollpoint-cut-short', time: new Date().toISOString(), base: null, location: join(folder, 'rollpoint-cut-short'), status: 'creating', size: 0 };
    await recordBackup(store, cut, new Date());
    await store.close();
    store = open();
    expect((await backups().list()).map((b) => [b.name, b.status])).to.deep.equal([
      [full.name, 'created'],
      [incremental.name, 'created'],
      [cut.name, 'creating'],
    ]);
    expect((await backups().settle()).map((b) => [b.name, b.status])).to.deep.equal([[cut.name, 'failed']]);
    expect((await backups().list()).at(-1)).to.include({ name: cut.name, status: 'failed', error: 'not finished: the backend or the server stopped while it was being made' });
    expect(await backups().settle()).to.deep.equal([]);
  });

  it('restores the incremental backup into an emptied data folder: the later state, and both backups listed', async function () {
    await store.close();
    rmSync(data, { recursive: true, force: true });
    const restored = await restoreBackup(config, { from: incremental.name, force: false }, logger);
    expect(restored.name).to.equal(incremental.name);
    store = open();
    // The state of then, and the restore in the audit trail.
    expect(await rowCountsOf(store)).to.deep.equal({ ...countsAtIncremental, audit_log: countsAtIncremental.audit_log! + 1 });
    const [audited] = await store.query<{ action: string; detail: string }>({ sql: 'SELECT action, detail FROM audit_log ORDER BY time DESC LIMIT 1', params: {} });
    expect(audited).to.deep.equal({ action: 'restore', detail: `from ${restored.location}` });
    expect((await backups().list()).map((b) => [b.name, b.status])).to.deep.equal([
      [full.name, 'created'],
      [incremental.name, 'created'],
    ]);
  });

  const refusal = async (from: string, force: boolean): Promise<unknown> => {
    let refused: unknown;
    await restoreBackup(config, { from, force }, logger).catch((err: unknown) => (refused = err));
    expect(refused).to.be.instanceOf(RestoreRefusedError);
    return (refused as Error).message;
  };

  it('refuses, forced or not, a backup it cannot read and a target holding a table that is not rollpoint’s, dropping nothing', async function () {
    const counts = await rowCountsOf(store);
    await store.command('CREATE TABLE user_notes (note String) ENGINE = MergeTree ORDER BY note');
    await store.command("INSERT INTO user_notes VALUES ('mine')");
    await store.close();
    expect(await refusal(full.name, true)).to.match(/holds tables that are not rollpoint's \(user_notes\): restore into an empty one/);
    store = open();
    expect(await store.query({ sql: 'SELECT note FROM user_notes', params: {} })).to.deep.equal([{ note: 'mine' }]);
    await store.command('DROP TABLE user_notes SYNC');
    await store.close();
    expect(await refusal(`${full.name}-typo`, true)).to.match(/^no backup .*-typo in /);
    // A folder that looks like a backup but is not one: the engine cannot read it, and the message says so without a stack trace.
    mkdirSync(join(folder, 'broken'));
    writeFileSync(join(folder, 'broken', '.backup'), 'not a backup');
    expect(await refusal('broken', true)).to.match(/^cannot read backup .*broken: /).and.not.match(/Stack trace/);
    rmSync(join(folder, 'broken'), { recursive: true });
    store = open();
    expect(await rowCountsOf(store)).to.deep.equal(counts);
  });

  it('refuses to restore over rollpoint’s tables unless forced; forced, from a path, it gives the earlier state and keeps the audit entries since', async function () {
    // Recorded after the full backup: the first restore's entry, and this one.
    await recordAuditEntry(store, { tokenName: 'ops', role: 'write', address: '127.0.0.1', method: 'POST', route: '/api/v1/changes', action: 'marker', detail: 'after the backup', status: 201 });
    const since = await store.query<{ action: string; detail: string }>({ sql: 'SELECT action, detail FROM audit_log ORDER BY time', params: {} });
    await store.close();
    expect(await refusal(full.name, false)).to.match(/already holds rollpoint's \d+ tables.*--force/);
    await restoreBackup(config, { from: join(folder, full.name), force: true }, logger);
    store = open();
    expect(await rowCountsOf(store)).to.deep.equal({ ...countsAtFull, audit_log: countsAtFull.audit_log! + since.length + 1 });
    const trail = await store.query<{ action: string; detail: string }>({ sql: 'SELECT action, detail FROM audit_log ORDER BY time', params: {} });
    expect(trail.slice(-since.length - 1)).to.deep.equal([...since, { action: 'restore', detail: `from ${join(folder, full.name)}, --force` }]);
  });

  it('lists a backup that failed with the engine’s reason, and builds no later one on it', async function () {
    const elsewhere = new Backups({ store, target: { kind: 'file', folder: join(root, 'not-allowed') }, database: 'default' });
    let failure: unknown;
    await elsewhere.create({ incremental: false }).catch((err: unknown) => (failure = err));
    expect((failure as Error).message).to.match(/failed: .*not allowed for backups/);
    const last = (await backups().list()).at(-1)!;
    expect(last).to.include({ status: 'failed', base: null });
    expect(last.error).to.match(/backups\.allowed_path/).and.not.match(/Stack trace/);
    expect((await backups().create({ incremental: true })).base).to.equal(full.name);
  });

  it('on schedule makes a full backup each time and keeps the newest ones, deleting the others’ folders', async function () {
    const schedule = new BackupSchedule(backups(), { interval: 3_600_000, keep: 2 }, logger);
    const before = (await backups().list()).filter((b) => b.status === 'created');
    await schedule.tick();
    await schedule.tick();
    const after = await backups().list();
    expect(after.map((b) => [b.status, b.base])).to.deep.equal([
      ['created', null],
      ['created', null],
    ]);
    for (const gone of before) expect(existsSync(join(folder, gone.name)), gone.name).to.equal(false);
    for (const kept of after) expect(existsSync(join(folder, kept.name, '.backup')), kept.name).to.equal(true);
  });
});
