import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyValue, Metric } from '@rollpoint/proto';
import { expect } from 'chai';
import Long from 'long';
import { migrate } from '../schema/migrations.js';
import { ChdbStore } from '../store/chdb.js';
import { gaugeMetric, storeMetrics } from '../testing/scenario-data.js';
import { checkpointsConfigSchema, type Rule } from './config.js';
import { CheckpointEngine } from './engine.js';

// Each aggregation of a metric rule on the real engine, with metrics stored through the write path:
// the values window_health records for rules that always fire, and the CPU default rule firing on
// a host whose CPUs went busy.

const MINUTE = 60_000;
const T = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
const at = (minutes: number, seconds = 0): number => T + minutes * MINUTE + seconds * 1000;
const nanos = (ms: number): Long => Long.fromNumber(ms, true).multiply(1_000_000);
const text = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });

/** A point every 10 s in [from, to). */
const every10s = (from: number, to: number): number[] => Array.from({ length: (to - from) / 10_000 }, (_, i) => from + i * 10_000);

const cumulativeSum = (name: string, cpu: string, perSecond: number): Metric => ({
  name,
  sum: {
    aggregationTemporality: 2,
    isMonotonic: true,
    dataPoints: every10s(at(0), at(10)).map((t) => ({ attributes: [text('cpu', cpu)], startTimeUnixNano: nanos(at(0)), timeUnixNano: nanos(t), asDouble: (perSecond * (t - at(0))) / 1000 })),
  },
});

// 100 observations every 10 s: 90 in (10, 100], 10 in (100, 1000]. Cumulative: the counts so far.
const histogram = (name: string, temporality: 1 | 2): Metric => ({
  name,
  histogram: {
    aggregationTemporality: temporality,
    dataPoints: every10s(at(0), at(10)).map((t, i) => {
      const n = temporality === 1 ? 1 : i + 1;
      return { startTimeUnixNano: nanos(at(0)), timeUnixNano: nanos(t), count: Long.fromNumber(100 * n), sum: 5000 * n, explicitBounds: [10, 100, 1000], bucketCounts: [0, 90 * n, 10 * n, 0].map((c) => Long.fromNumber(c)) };
    }),
  },
});

const always = (name: string, measure: Partial<Rule>): Rule => ({ name, kind: 'threshold', above: -1e12, ...measure }) as Rule;

describe('rules over metrics (SQL on the embedded ClickHouse)', function () {
  this.timeout(120000);
  let store: ChdbStore;
  const path = mkdtempSync(join(tmpdir(), 'rollpoint-metric-rules-'));

  before(async function () {
    store = new ChdbStore({ path, readOnlyMaxRows: 100, readOnlyTimeoutMs: 10000 });
    await migrate(store, { ttlDays: 30 });
    const filesystem = (mountpoint: string, value: number) => gaugeMetric('system.filesystem.utilization', { mountpoint }, at(0), at(10), 10_000, () => value);
    await storeMetrics(store, { 'host.name': 'm-host' }, [
      filesystem('/', 0.5),
      filesystem('/data', 0.9),
      cumulativeSum('system.cpu.time', 'cpu0', 5),
      cumulativeSum('system.cpu.time', 'cpu1', 2),
      { name: 'requests', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: every10s(at(0), at(10)).map((t) => ({ timeUnixNano: nanos(t), asInt: Long.fromNumber(30) })) } },
    ]);
    await storeMetrics(store, { 'service.name': 'm-svc', 'host.name': 'm-svc-host' }, [histogram('delta.duration', 1), histogram('cumulative.duration', 2)]);
    // A host's CPUs 10 % busy in user code for 40 minutes, then 90 %.
    await storeMetrics(store, { 'host.name': 'busy-1' }, [
      gaugeMetric('system.cpu.utilization', { cpu: 'cpu0', state: 'user' }, at(0), at(50), 10_000, (t) => (t < at(40) ? 0.1 : 0.9)),
      gaugeMetric('system.cpu.utilization', { cpu: 'cpu0', state: 'idle' }, at(0), at(50), 10_000, (t) => (t < at(40) ? 0.9 : 0.1)),
    ]);
  });

  after(async function () {
    await store.close();
    rmSync(path, { recursive: true, force: true });
  });

  /** The metrics each window of minutes [1, 9) of `entity` records under `rules`, by minute. */
  async function recorded(rules: Rule[], entityKind: string, entity: string): Promise<Array<Record<string, number>>> {
    const engine = new CheckpointEngine(store, checkpointsConfigSchema.parse({ rules }));
    await engine.ensureHealth(at(1) / 1000, at(9) / 1000, true);
    const rows = await store.query<{ metrics: Record<string, number> }>({
      sql: "SELECT metrics FROM window_health WHERE window_seconds = 60 AND entity_kind = {kind:String} AND entity = {entity:String} ORDER BY window",
      params: { kind: entityKind, entity },
    });
    expect(rows).to.have.length(8);
    return rows.map((row) => Object.fromEntries(Object.entries(row.metrics).map(([k, v]) => [k, Number(v)])));
  }

  it('max, min and avg of gauges over the series an attribute filter selects', async function () {
    const windows = await recorded(
      [
        always('fs_max', { metric: 'system.filesystem.utilization', aggregation: 'max' }),
        always('fs_root', { metric: 'system.filesystem.utilization', aggregation: 'max', attributes: { mountpoint: '/' } }),
        always('fs_min', { metric: 'system.filesystem.utilization', aggregation: 'min' }),
        always('fs_avg', { metric: 'system.filesystem.utilization', aggregation: 'avg' }),
      ],
      'host',
      'm-host',
    );
    for (const metrics of windows) {
      expect(metrics).to.have.keys('max(system.filesystem.utilization)', 'max(system.filesystem.utilization{mountpoint="/"})', 'min(system.filesystem.utilization)', 'avg(system.filesystem.utilization)');
      expect(metrics['max(system.filesystem.utilization)']).to.equal(0.9);
      expect(metrics['max(system.filesystem.utilization{mountpoint="/"})']).to.equal(0.5);
      expect(metrics['min(system.filesystem.utilization)']).to.equal(0.5);
      expect(metrics['avg(system.filesystem.utilization)']).to.be.closeTo(0.7, 1e-9);
    }
  });

  it('rate: a cumulative sum’s increase since the previous window per second, summed over its series; a delta sum’s total per second', async function () {
    const windows = await recorded([always('cpu_rate', { metric: 'system.cpu.time', aggregation: 'rate' }), always('request_rate', { metric: 'requests', aggregation: 'rate' })], 'host', 'm-host');
    for (const metrics of windows) {
      expect(metrics['rate(system.cpu.time)']).to.be.closeTo(7, 1e-9);
      expect(metrics['rate(requests)']).to.be.closeTo(3, 1e-9);
    }
  });

  it('quantile of histograms, from delta and from cumulative bucket counts, for the service and its host', async function () {
    const rules = [
      always('p50', { metric: 'delta.duration', aggregation: 'quantile', quantile: 0.5 }),
      always('p95', { metric: 'delta.duration', aggregation: 'quantile', quantile: 0.95 }),
      always('cumulative_p95', { metric: 'cumulative.duration', aggregation: 'quantile', quantile: 0.95 }),
    ];
    for (const [kind, entity] of [['service', 'm-svc'], ['host', 'm-svc-host']] as const) {
      for (const metrics of await recorded(rules, kind, entity)) {
        // 540 of 600 in (10, 100]: the median is 300/540 of the way; p95's rank 570 is 30/60 into (100, 1000].
        expect(metrics['quantile(0.5, delta.duration)']).to.be.closeTo(10 + (90 * 300) / 540, 1e-9);
        expect(metrics['quantile(0.95, delta.duration)']).to.be.closeTo(550, 1e-9);
        expect(metrics['quantile(0.95, cumulative.duration)']).to.be.closeTo(550, 1e-9);
      }
    }
  });

  it('the CPU default rule: a host whose CPUs went from 10 % to 90 % busy in user code, against its baseline', async function () {
    const engine = new CheckpointEngine(store, checkpointsConfigSchema.parse({ scopes: { busy: { hosts: ['busy-1'] } } }));
    const [incident, ...others] = await engine.incidents('busy', at(0) / 1000, at(50) / 1000, at(50) / 1000);
    expect(others).to.deep.equal([]);
    expect(incident).to.include({ start: new Date(at(40)).toISOString(), end: new Date(at(50)).toISOString() });
    expect(incident!.firstBad).to.deep.include({ entityKind: 'host', entity: 'busy-1', rules: ['cpu_utilization_baseline'] });
    expect(incident!.firstBad.metrics).to.deep.equal({ 'avg(system.cpu.utilization{state="user"})': 0.9 });
    expect(incident!.firstBad.baselines['avg(system.cpu.utilization{state="user"})']).to.be.closeTo(0.1, 1e-9);
  });
});
