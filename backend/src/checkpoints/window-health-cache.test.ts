import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { migrate } from '../schema/migrations.js';
import { ChdbStore } from '../store/chdb.js';
import type { Statement } from '../store/store.js';
import { steadyTraffic, storeTraffic } from '../testing/scenario-data.js';
import { checkpointsConfigSchema } from './config.js';
import { WindowHealthCache } from './window-health-cache.js';

// A tick judges the window that has just completed and reads its baselines from the verdicts
// stored before it; those verdicts must be the ones a judging of the whole range gives.

const MINUTE = 60_000;
const T = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
const at = (minutes: number): number => (T + minutes * MINUTE) / 1000;

describe('window health, judged a window at a time (SQL on the embedded ClickHouse)', function () {
  this.timeout(120000);
  const path = mkdtempSync(join(tmpdir(), 'rollpoint-window-health-'));
  const statements: Statement[] = [];
  let store: ChdbStore;
  const config = checkpointsConfigSchema.parse({});
  const judging = { windowSeconds: 60, baselineWindows: config.baseline_windows, minEvents: config.min_events, minErrors: config.min_errors, rules: config.rules };
  const verdicts = async (): Promise<unknown[]> =>
    store.query({
      sql: `SELECT toUnixTimestamp(window) AS window, entity, spans, p95_ms, error_ratio, judged, fired, toString(baselines) AS baselines, metrics
            FROM window_health WHERE window >= toDateTime({from:UInt32}, 'UTC') ORDER BY window, entity`,
      params: { from: at(50) },
    });

  before(async function () {
    store = new ChdbStore({ path, readOnlyMaxRows: 100, readOnlyTimeoutMs: 10000, onStatement: (s) => statements.push(s) });
    await migrate(store, { ttlDays: 30 });
    // Latency growing by half a minute from +55 (the baseline rule's case) and errors from +58 (into
    // the error ratio's baseline); a steady neighbour.
    await storeTraffic(store, steadyTraffic('tick-search', '1.0.0', at(0) * 1000, at(62) * 1000, { latencyMs: (t) => (t < at(55) * 1000 ? 40 : 40 * 1.5 ** ((t / 1000 - at(55)) / 60)), errorRate: (t) => (t >= at(58) * 1000 ? 0.3 : 0.004) }));
    await storeTraffic(store, steadyTraffic('tick-cart', '2.0.0', at(0) * 1000, at(62) * 1000));
  });

  after(async function () {
    await store.close();
    rmSync(path, { recursive: true, force: true });
  });

  it('gives each window the verdicts that judging the whole range gives, its baselines read from the stored verdicts', async function () {
    await new WindowHealthCache(store, judging).ensure(at(0), at(62));
    const whole = await verdicts();
    // The baseline rule fires, against baselines that move as the windows go bad.
    expect(whole.filter((v) => JSON.stringify(v).includes('p95_baseline'))).to.have.length.above(3);

    await store.command({ sql: "DELETE FROM window_health WHERE window >= toDateTime({from:UInt32}, 'UTC')", params: { from: at(50) } });
    const ticking = new WindowHealthCache(store, judging);
    await ticking.ensure(at(0), at(50));
    statements.length = 0;
    for (let minute = 51; minute <= 62; minute++) await ticking.ensure(at(0), at(minute));
    const judgings = statements.filter((s) => s.sql.includes('INSERT INTO window_health'));
    expect(judgings).to.have.length(12);
    // Each tick's statement rolls up its own window only and reads the stored verdicts before it.
    for (const s of judgings) expect(s.sql).to.match(/FROM window_health/);
    expect(await verdicts()).to.deep.equal(whole);
  });
});
