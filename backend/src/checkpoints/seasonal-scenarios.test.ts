import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { migrate } from '../schema/migrations.js';
import { ChdbStore } from '../store/chdb.js';
import { storeExport } from '../ingest/store-export.js';
import { gaugeMetric, steadyTraffic, storeMetrics, trafficRequest } from '../testing/scenario-data.js';
import { ANOMALY_SCORE_RULE, checkpointsConfigSchema, type Rule } from './config.js';
import { CheckpointEngine } from './engine.js';

// The rules beyond fixed baselines on the real engine, with spans stored through the write path:
// a service whose traffic has a daily shape over 8 days, judged in 5-minute windows by a fixed
// threshold and by the seasonal rule side by side, and services whose errors and latency shift
// a little, alone or together, judged by the anomaly score.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const iso = (ms: number): string => new Date(ms).toISOString();

// The judged day: yesterday (UTC). The series runs from a week before it to its end.
const D = Math.floor(Date.now() / DAY) * DAY - DAY;
const FIRST_DAY = D - 7 * DAY;

/** Spans a minute at hour h of a day: 4 at 03:00, 40 at 15:00, a cosine between; days differ by up to 10 %. */
const spansPerMinute = (t: number): number => {
  const hour = Math.floor((t % DAY) / HOUR);
  const day = Math.floor((t - FIRST_DAY) / DAY);
  return Math.round((4 + 18 * (1 - Math.cos((2 * Math.PI * (hour - 3)) / 24))) * [1, 1.1, 0.9][day % 3]!);
};

// The off-peak anomaly: from 03:00 to 03:30 on the judged day, 40 % of the requests fail.
const BURST = { from: D + 3 * HOUR, to: D + 3.5 * HOUR };
const ERROR_RATE = 0.04;

const FIXED: Rule = { name: 'error_spans_fixed', kind: 'threshold', metric: 'error_spans', above: 5 };
const SEASONAL: Rule = { name: 'error_spans_seasonal', kind: 'seasonal', metric: 'error_spans', factor: 3, at_least: 4 };
// The same over an OTLP metric: a host's CPUs, 20 % busy at 03:00, 80 % at 15:00; 70 % in the burst.
const CPU = { metric: 'system.cpu.utilization', aggregation: 'avg', attributes: { state: 'user' } } as const;
const CPU_FIXED: Rule = { name: 'cpu_fixed', kind: 'threshold', ...CPU, above: 0.6 };
const CPU_SEASONAL: Rule = { name: 'cpu_seasonal', kind: 'seasonal', ...CPU, factor: 1.5, at_least: 0.5 };
const cpuUtilization = (t: number): number => (t >= BURST.from && t < BURST.to ? 0.7 : 0.2 + 0.3 * (1 - Math.cos((2 * Math.PI * ((t % DAY) / HOUR - 3)) / 24)));

describe('rules beyond fixed baselines (SQL on the embedded ClickHouse)', function () {
  this.timeout(300000);
  let store: ChdbStore;
  const path = mkdtempSync(join(tmpdir(), 'rollpoint-seasonal-'));
  const scopes = { season: { services: ['season-*'], hosts: [], devices: [] }, seasondb: { services: [], hosts: ['season-db'], devices: [] }, score: { services: ['score-*'], hosts: [], devices: [] } };

  before(async function () {
    store = new ChdbStore({ path, readOnlyMaxRows: 100, readOnlyTimeoutMs: 10000 });
    await migrate(store, { ttlDays: 30 });
    // Half an hour at a time, each at its hour's rate: 4 % of the requests fail, at any time of day.
    // One Export a day.
    for (let day = FIRST_DAY; day < D + DAY; day += DAY) {
      const halfHours = Array.from({ length: 48 }, (_, i) => day + (i * HOUR) / 2);
      const traffic = halfHours.map((t) => {
        const errorRate = t >= BURST.from && t < BURST.to ? 0.4 : ERROR_RATE;
        return steadyTraffic('season-web', '1.0.0', t, t + HOUR / 2, { spansPerMinute: spansPerMinute(t), errorRate: () => errorRate });
      });
      await storeExport(store, { signal: 'traces', request: { resourceSpans: traffic.flatMap((t) => trafficRequest(t).resourceSpans ?? []) } });
    }
    await storeMetrics(store, { 'host.name': 'season-db' }, [gaugeMetric(CPU.metric, { cpu: 'cpu0', state: 'user' }, FIRST_DAY, D + DAY, 60_000, cpuUtilization)]);
  });

  after(async function () {
    await store.close();
    rmSync(path, { recursive: true, force: true });
  });

  describe('a daily-shaped traffic series: a fixed threshold beside the seasonal rule', function () {
    let engine: CheckpointEngine;
    before(function () {
      engine = new CheckpointEngine(store, checkpointsConfigSchema.parse({ window: '5m', scopes, rules: [FIXED, SEASONAL, CPU_FIXED, CPU_SEASONAL] }));
    });

    /** How many of the service's verdicts of the day starting at `day` have a seasonal reference. */
    const references = async (day: number, windowSeconds = 300) => {
      const [row] = await store.query<{ n: string }>({
        sql: "SELECT countIf(mapContains(baselines, 'seasonal(error_spans)')) AS n FROM window_health WHERE window_seconds = {window:UInt32} AND entity = 'season-web' AND window >= toDateTime({from:UInt32}, 'UTC') AND window < toDateTime({to:UInt32}, 'UTC')",
        params: { window: windowSeconds, from: day / 1000, to: (day + DAY) / 1000 },
      });
      return Number(row!.n);
    };

    /** The windows (ms) of the day starting at `day` in which each rule fired, in the scope's first lane. */
    async function firedOn(day: number, scope = 'season'): Promise<Record<string, number[]>> {
      const [lane] = await engine.lanes(scope, day / 1000, (day + DAY) / 1000 - 1, (await engine.completeness()).completeUntilSeconds, 10);
      const fired: Record<string, number[]> = Object.fromEntries([FIXED, SEASONAL, CPU_FIXED, CPU_SEASONAL].map((r) => [r.name, []]));
      for (const window of lane!.windows) for (const rule of window.fired) fired[rule]!.push(window.start * 1000);
      expect(lane!.windows).to.have.length(288);
      return fired;
    }

    it('at the daily peak the fixed threshold fires and the seasonal rule does not; the off-peak error burst only the seasonal rule tells apart', async function () {
      const fired = await firedOn(D);
      const peak = fired[FIXED.name]!.filter((t) => t < BURST.from || t >= BURST.to);
      // The peak: every afternoon's errors are over the threshold, as many as the day before.
      expect(peak.length).to.be.greaterThan(12);
      for (const t of peak) expect(new Date(t).getUTCHours(), iso(t)).to.be.within(9, 21);
      // The seasonal rule fires in the burst's six windows, and nowhere else in the day.
      expect(fired[SEASONAL.name]!.map(iso)).to.deep.equal(Array.from({ length: 6 }, (_, i) => iso(BURST.from + i * 5 * MINUTE)));
    });

    it('the same over a host metric: its CPUs busy at the peak are no anomaly; busy at 03:00 they are', async function () {
      const fired = await firedOn(D, 'seasondb');
      expect(fired[CPU_FIXED.name]!.filter((t) => t < BURST.from || t >= BURST.to).length).to.be.greaterThan(12);
      expect(fired[CPU_SEASONAL.name]!.map(iso)).to.deep.equal(Array.from({ length: 6 }, (_, i) => iso(BURST.from + i * 5 * MINUTE)));
    });

    it('in windows that do not divide a day (7 minutes), the reference is the window holding the time a day and a week before', async function () {
      const judge = engine.withWindow(7 * MINUTE);
      const [lane] = await judge.lanes('season', D / 1000, (D + DAY) / 1000 - 1, (await judge.completeness()).completeUntilSeconds, 10);
      const seasonal = lane!.windows.filter((w) => w.fired.includes(SEASONAL.name)).map((w) => w.start * 1000);
      // The windows that lie mostly in the burst (8 of 28 requests failing and more), and no others.
      expect(seasonal.length).to.be.within(3, 5);
      for (const t of seasonal) expect(t + 7 * MINUTE, iso(t)).to.be.within(BURST.from, BURST.to + 7 * MINUTE);
      expect(lane!.windows.filter((w) => w.fired.includes(FIXED.name)).length).to.be.greaterThan(12);
      // Every window starting in the day has its references.
      expect(await references(D, 7 * 60)).to.equal(lane!.windows.filter((w) => w.start * 1000 >= D).length);
    });

    it('the burst is one incident, named by the seasonal rule, with its references a day and a week before as the baseline', async function () {
      const { completeUntilSeconds } = await engine.completeness();
      const incidents = await engine.incidents('season', D / 1000, (D + DAY) / 1000 - 1, completeUntilSeconds);
      const seasonal = incidents.filter((i) => i.firstBad.rules.includes(SEASONAL.name));
      expect(incidents.length).to.be.greaterThan(seasonal.length);
      expect(seasonal.map((i) => [i.start, i.end])).to.deep.equal([[iso(BURST.from), iso(BURST.to)]]);
      // The burst's errors (8 in 20 requests) against at most 1 in the same window a day and a week before.
      expect(seasonal[0]!.firstBad.baselines['seasonal(error_spans)']).to.be.at.most(1);
      // The others are the peaks, where only the fixed threshold fired.
      for (const incident of incidents.filter((i) => i !== seasonal[0])) expect(incident.firstBad.rules, incident.start).to.deep.equal([FIXED.name]);
    });

    it('with neither a day nor a week before (the first day), the seasonal rule gives no verdict: not bad, whatever the peak', async function () {
      const fired = await firedOn(FIRST_DAY);
      expect(fired[FIXED.name]!.length).to.be.greaterThan(12);
      expect(fired[SEASONAL.name]).to.deep.equal([]);
      expect(await references(FIRST_DAY)).to.equal(0);
      // The judged day has both references in every window.
      expect(await references(D)).to.equal(288);
    });
  });

  describe('the anomaly score: errors and latency shifted together', function () {
    const T = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
    const at = (minutes: number): number => T + minutes * MINUTE;
    const SHIFT = at(35);

    before(async function () {
      // 600 requests a minute, 2 % failing in 40 ms; from +35 the errors at 2.7 % (robust z 3.3,
      // the baseline's spread floored at a tenth of its median), the latency at 53 ms (z 3.25), or both.
      const shifts = { 'score-errors': { errors: true, latency: false }, 'score-latency': { errors: false, latency: true }, 'score-both': { errors: true, latency: true } };
      for (const [service, shift] of Object.entries(shifts)) {
        // A minute at a time: the same number of failures in every window.
        const minutes = Array.from({ length: 40 }, (_, m) => {
          const errorRate = shift.errors && at(m) >= SHIFT ? 0.027 : 0.02;
          const latency = shift.latency && at(m) >= SHIFT ? 53 : 40;
          return steadyTraffic(service, '1.0.0', at(m), at(m + 1), { spansPerMinute: 600, errorRate: () => errorRate, latencyMs: () => latency });
        });
        await storeExport(store, { signal: 'traces', request: { resourceSpans: minutes.flatMap((t) => trafficRequest(t).resourceSpans ?? []) } });
      }
    });

    it('neither shift alone scores above 4; both together do, and the verdict carries the score', async function () {
      const engine = new CheckpointEngine(store, checkpointsConfigSchema.parse({ scopes, rules: [ANOMALY_SCORE_RULE] }));
      const { completeUntilSeconds } = await engine.completeness();
      const incidents = await engine.incidents('score', T / 1000, at(40) / 1000, completeUntilSeconds);
      expect(incidents.map((i) => [i.firstBad.entity, i.start, i.end])).to.deep.equal([['score-both', iso(SHIFT), iso(at(40))]]);
      expect(incidents[0]!.firstBad.rules).to.deep.equal([ANOMALY_SCORE_RULE.name]);
      expect(incidents[0]!.firstBad.metrics[ANOMALY_SCORE_RULE.name]).to.be.closeTo(Math.hypot(0.02 / 3 / 0.002, 13 / 4), 0.01);
    });
  });
});
