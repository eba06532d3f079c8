import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { migrate } from '../schema/migrations.js';
import { ChdbStore } from './chdb.js';
import { readWholeAnswer } from './read-only-answer.js';
import { RefusedStatementError } from './read-only-statement.js';
import { READONLY_ERROR_CODE, type ReadOnlyOptions, StoreError } from './store.js';

// The statements of a token limited to scopes, on the embedded engine with rollpoint's schema:
// only rollpoint's tables, as the engine's analyzer resolves the statement (CTEs, subqueries,
// views and JOINs followed), whatever the text looks like. Those of a read or write token: all
// but the admin's tables (audit_log, the backup catalogue, system.backups).

const ONLY = { readable: 'rollpoint_tables' } as const;
const NOT_ADMIN = { readable: 'all_but_admin_tables' } as const;

describe('statements limited to rollpoint’s tables (embedded engine)', function () {
  let store: ChdbStore;
  const path = mkdtempSync(join(tmpdir(), 'rollpoint-tables-only-'));

  before(async function () {
    store = new ChdbStore({ path, readOnlyMaxRows: 1000, readOnlyTimeoutMs: 30000 });
    await migrate(store, { ttlDays: 30 });
    await store.insert('otel_logs', [{ Timestamp: new Date().toISOString().replace('T', ' ').slice(0, 19), Body: 'one line', ServiceName: 'shop' }]);
  });
  after(async function () {
    await store.close();
    rmSync(path, { recursive: true, force: true });
  });

  const refusal = async (sql: string, options: ReadOnlyOptions = ONLY): Promise<RefusedStatementError> => {
    const err = await store.queryReadOnly(sql, options).then(
      () => expect.fail(`${sql} should have been refused`),
      (e: unknown) => e,
    );
    expect(err, String(err)).to.be.instanceOf(RefusedStatementError);
    expect((err as RefusedStatementError).reason).to.equal('other_tables');
    return err as RefusedStatementError;
  };

  it('answers SELECTs over rollpoint’s tables: joins, CTEs, subqueries and the changes view', async function () {
    const answer = await readWholeAnswer(
      await store.queryReadOnly(
        `WITH shop AS (SELECT Body, ServiceName FROM otel_logs WHERE ServiceName = 'shop')
         SELECT count() AS n FROM shop LEFT JOIN default.incidents AS i ON i.scope = shop.ServiceName
         WHERE shop.Body IN (SELECT Body FROM otel_logs) AND (SELECT count() FROM changes) >= 0`,
        ONLY,
      ),
    );
    expect(answer.rows).to.deep.equal([['1']]);
  });

  it('refuses system tables, in FROM, in IN and behind a CTE named like a rollpoint table', async function () {
    expect((await refusal('SELECT name FROM system.tables')).message).to.include('table system.tables');
    expect((await refusal("SELECT count() FROM otel_logs WHERE Body IN (SELECT name FROM system.users)")).message).to.include('system.users');
    expect((await refusal('WITH otel_logs AS (SELECT * FROM system.settings) SELECT * FROM otel_logs')).message).to.include('system.settings');
  });

  it('answers a SELECT without FROM (system.one)', async function () {
    expect((await readWholeAnswer(await store.queryReadOnly('SELECT 1 AS one', ONLY))).rows).to.deep.equal([[1]]);
    expect((await readWholeAnswer(await store.queryReadOnly('SELECT now() > 0 AS later', ONLY))).rows).to.deep.equal([[1]]);
    expect((await readWholeAnswer(await store.queryReadOnly('SELECT 0 IN system.one AS one', ONLY))).rows).to.deep.equal([[1]]);
  });

  it('refuses other databases, table functions, dictionaries, audit_log and the backup catalogue', async function () {
    expect((await refusal('SELECT * FROM information_schema.tables')).message).to.match(/information_schema\.tables/i);
    expect((await refusal('SELECT * FROM numbers(3)')).message).to.include('numbers()');
    expect((await refusal("SELECT * FROM merge('default', '.*')")).message).to.include('merge()');
    expect((await refusal('SELECT * FROM audit_log')).message).to.include('default.audit_log');
    expect((await refusal('SELECT * FROM backups')).message).to.include('default.backups');
    expect((await refusal('SELECT * FROM system.backups')).message).to.include('system.backups');
    expect((await refusal("SELECT hasColumnInTable('system', 'users', 'name')")).message).to.include('hasColumnInTable');
  });

  it('refuses what is not a SELECT (SHOW, DESCRIBE), and still lets the engine refuse file()', async function () {
    expect((await refusal('SHOW TABLES')).message).to.include('SELECT');
    expect((await refusal('DESCRIBE otel_logs')).message).to.include('SELECT');
    const err = await store.queryReadOnly("SELECT * FROM file('/etc/passwd', 'LineAsString')", ONLY).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(StoreError);
    expect((err as StoreError).code).to.equal(READONLY_ERROR_CODE);
  });

  it('leaves a token without scopes its system tables', async function () {
    const answer = await readWholeAnswer(await store.queryReadOnly("SELECT count() > 0 AS some FROM system.tables WHERE name = 'audit_log'", NOT_ADMIN));
    expect(answer.rows).to.deep.equal([[1]]);
  });

  it('keeps the admin tables from a read or write token, however the statement reaches them', async function () {
    for (const [sql, what] of [
      ['SELECT * FROM audit_log', 'table default.audit_log'],
      ['SELECT count() FROM default.backups', 'table default.backups'],
      ['SELECT * FROM system.backups', 'table system.backups'],
      ['SELECT 1 WHERE 1 IN (SELECT status FROM audit_log)', 'table default.audit_log'],
      ['WITH a AS (SELECT * FROM otel_logs) SELECT * FROM a, (SELECT * FROM audit_log) AS b', 'table default.audit_log'],
      ['(SELECT 1) UNION ALL (SELECT status FROM audit_log)', 'table default.audit_log'],
      ["SELECT * FROM merge(currentDatabase(), '^audit')", 'the table function merge()'],
      ['SELECT * FROM view(SELECT * FROM audit_log)', 'the table function view()'],
    ]) {
      expect((await refusal(sql!, NOT_ADMIN)).message, sql).to.include(what).and.include('only an admin token');
    }
  });

  it('leaves a read or write token the rest: other tables, system tables, numbers(), SHOW and DESCRIBE', async function () {
    for (const sql of ['SELECT count() FROM otel_logs', 'SELECT count() FROM system.tables', 'SELECT * FROM numbers(2)', 'SHOW TABLES', 'DESCRIBE audit_log', 'SELECT 1']) {
      const answer = await readWholeAnswer(await store.queryReadOnly(sql, NOT_ADMIN));
      expect(answer.rows.length, sql).to.be.greaterThan(0);
    }
  });
});
