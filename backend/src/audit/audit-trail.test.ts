import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import { migrate } from '../schema/migrations.js';
import { ChdbStore } from '../store/chdb.js';
import { queryDecoded } from '../store/row-decoder.js';
import type { Statement } from '../store/store.js';
import { type AuditEntry, auditEntriesQuery } from './audit-log.js';
import { AuditTrail, UNAUTHORIZED_ENTRIES_PER_MINUTE } from './audit-trail.js';

// The audit trail on the real embedded engine: a write that was done is stored at once, refusals go
// in batches, and refusals without a known token (401) past the minute's cap are counted, not
// stored. The clock is the test's; the batch interval is an hour, so no batch goes by the timer
// while a test runs.

const HOUR = 3600000;
const entry = (status: number, tokenName = status === 401 ? '' : 'writer'): AuditEntry => ({
  tokenName,
  role: status === 401 ? '' : 'write',
  address: '127.0.0.1',
  method: 'POST',
  route: '/api/v1/changes',
  action: 'marker',
  detail: '',
  status,
});

describe('the audit trail: writes at once, refusals in batches, a cap on 401s (embedded engine)', function () {
  const path = mkdtempSync(join(tmpdir(), 'rollpoint-audit-trail-'));
  let store: ChdbStore;
  const inserts: Statement[] = [];

  before(async function () {
    store = new ChdbStore({ path, readOnlyMaxRows: 10000, readOnlyTimeoutMs: 30000, onStatement: (s) => s.kind === 'insert' && s.sql.includes('audit_log') && inserts.push(s) });
    await migrate(store, { ttlDays: 30 });
  });
  beforeEach(async function () {
    await store.command('TRUNCATE TABLE audit_log');
    inserts.length = 0;
  });
  after(async function () {
    await store.close();
    rmSync(path, { recursive: true, force: true });
  });

  const statuses = async (): Promise<number[]> => (await queryDecoded(store, auditEntriesQuery(0, 10000))).map((e) => e.status);

  /** Waits for `count` entries stored, as the trail's inserts land; gives their statuses. */
  const stored = async (count: number): Promise<number[]> => {
    let seen: number[] = [];
    for (let attempt = 0; attempt < 400 && seen.length < count; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50));
      seen = await statuses();
    }
    return seen;
  };

  it('records the refusals it holds in one INSERT', async function () {
    const trail = new AuditTrail({ store, logger: pino({ level: 'silent' }), onUnrecorded: () => expect.fail('nothing is over the cap'), flushIntervalMs: HOUR });
    for (const status of [403, 401, 400, 409]) trail.record(entry(status));
    await trail.close();
    expect(await statuses()).to.have.members([403, 401, 400, 409]);
    expect(inserts.map((s) => s.rows)).to.deep.equal([4]);
  });

  it('records a write that was done at once, in an INSERT of its own', async function () {
    const trail = new AuditTrail({ store, logger: pino({ level: 'silent' }), onUnrecorded: () => {}, flushIntervalMs: HOUR });
    trail.record(entry(403));
    trail.record(entry(201));
    trail.record(entry(202));
    expect(await stored(2)).to.have.members([201, 202]);
    await trail.close();
    expect(inserts.map((s) => s.rows)).to.deep.equal([1, 1, 1]);
  });

  it('sends a full batch of refusals at once, without waiting for the interval', async function () {
    const trail = new AuditTrail({ store, logger: pino({ level: 'silent' }), onUnrecorded: () => {}, flushIntervalMs: HOUR });
    for (let i = 0; i < 100; i++) trail.record(entry(403));
    expect(await stored(100)).to.have.length(100);
    await trail.close();
    expect(inserts.map((s) => s.rows)).to.deep.equal([100]);
  });

  it('records at most the cap of 401s each minute and counts the rest; other refusals and writes all', async function () {
    let now = Date.UTC(2026, 11, 1, 12, 0, 5);
    let unrecorded = 0;
    const trail = new AuditTrail({ store, logger: pino({ level: 'silent' }), onUnrecorded: () => unrecorded++, flushIntervalMs: HOUR, now: () => now });
    for (let i = 0; i < UNAUTHORIZED_ENTRIES_PER_MINUTE + 25; i++) trail.record(entry(401));
    for (let i = 0; i < 3; i++) trail.record(entry(403));
    trail.record(entry(201));
    expect(unrecorded).to.equal(25);
    // The next minute takes 401s again.
    now += 60000;
    for (let i = 0; i < 5; i++) trail.record(entry(401));
    expect(unrecorded).to.equal(25);
    await trail.close();
    const all = await statuses();
    expect(all.filter((s) => s === 401)).to.have.length(UNAUTHORIZED_ENTRIES_PER_MINUTE + 5);
    expect(all.filter((s) => s !== 401)).to.have.members([403, 403, 403, 201]);
  });
});
