import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { AggregationTemporalityPreference, OTLPMetricExporter as HttpMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { InstrumentType } from '@opentelemetry/sdk-metrics';
import { expect } from 'chai';
import { MeteredApp, POINTS_PER_COLLECTION } from '../testing/metered-app.js';
import { metricValue, startAgentProcess, startBackendProcess, waitUntil, type AgentProcess, type BackendProcess } from '../testing/processes.js';

// The SDK's metric exporters through a real agent into a real backend: each instrument kind lands
// in its table of the Collector exporter's layout, with the values the app recorded.

const TABLES = ['otel_metrics_gauge', 'otel_metrics_sum', 'otel_metrics_histogram', 'otel_metrics_exponential_histogram', 'otel_metrics_summary'];

describe('OTLP metrics stored: the SDK’s exporters through agent and backend into the five tables', function () {
  let backend: BackendProcess;
  let agent: AgentProcess;
  let cumulative: MeteredApp;
  let delta: MeteredApp;

  /** Data points stored for a service, over every metrics table. */
  const storedPoints = async (service: string): Promise<number> => {
    const counts = await Promise.all(TABLES.map(async (table) => Number((await backend.sql(`SELECT count() AS n FROM ${table} WHERE ServiceName = '${service}'`))[0]!.n)));
    return counts.reduce((a, b) => a + b, 0);
  };
  /** A metric's stored points in time order, with the columns asked for. */
  const stored = (table: string, service: string, metric: string, columns: string) =>
    backend.sql(`SELECT ${columns} FROM ${table} WHERE ServiceName = '${service}' AND MetricName = '${metric}' ORDER BY TimeUnix`);

  before(async function () {
    backend = await startBackendProcess();
    agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort, metrics: true, batch: { timeout: '10ms' } });
    cumulative = new MeteredApp('stored-grpc-cumulative', new GrpcMetricExporter({ url: `http://127.0.0.1:${agent.grpcPort}`, temporalityPreference: AggregationTemporalityPreference.CUMULATIVE }));
    delta = new MeteredApp('stored-http-delta', new HttpMetricExporter({ url: `http://127.0.0.1:${agent.httpPort}/v1/metrics`, temporalityPreference: AggregationTemporalityPreference.DELTA }));
    const apps = [cumulative, delta];
    for (const app of apps) app.recordFirstCollection();
    await Promise.all(apps.map((app) => app.flush()));
    for (const app of apps) await waitUntil(async () => (await storedPoints(app.service)) === POINTS_PER_COLLECTION, `${app.service}'s first collection stored`, 30000, agent);
    for (const app of apps) app.recordSecondCollection();
    await Promise.all(apps.map((app) => app.flush()));
    for (const app of apps) await waitUntil(async () => (await storedPoints(app.service)) === 2 * POINTS_PER_COLLECTION, `${app.service}'s second collection stored`, 30000, agent);
  });

  after(async function () {
    await Promise.all([cumulative, delta].filter(Boolean).map((app) => app.shutdown()));
    await agent?.stop();
    await backend?.stop();
  });

  it('stores counters and up-down counters in otel_metrics_sum with temporality, monotonicity and values', async function () {
    for (const app of [cumulative, delta]) {
      // The delta preference keeps up-down counters cumulative (the SDK's choice, as the spec says).
      const temporality = app.temporality(InstrumentType.COUNTER);
      const requests = temporality === 1 ? [3, 2] : [3, 5];
      const inflight = app.temporality(InstrumentType.UP_DOWN_COUNTER) === 1 ? [5, -7] : [5, -2];
      const counter = await stored('otel_metrics_sum', app.service, 'requests', "Value, AggregationTemporality, IsMonotonic, MetricUnit, Attributes['route'] AS route");
      expect(counter, app.service).to.deep.equal(requests.map((value) => ({ Value: value, AggregationTemporality: temporality, IsMonotonic: true, MetricUnit: '{request}', route: '/pay' })));
      const upDown = await stored('otel_metrics_sum', app.service, 'inflight', 'Value, IsMonotonic');
      expect(upDown, app.service).to.deep.equal(inflight.map((value) => ({ Value: value, IsMonotonic: false })));
    }
  });

  it('stores histograms in otel_metrics_histogram with count, sum, extremes and buckets', async function () {
    const second = { cumulative: { Count: '3', Sum: 8.7, Min: 0.2, Max: 7 }, delta: { Count: '1', Sum: 7, Min: 7, Max: 7 } };
    for (const [app, expected, buckets] of [
      [cumulative, second.cumulative, ['0', '2', '1']],
      [delta, second.delta, ['0', '0', '1']],
    ] as const) {
      const rows = await stored('otel_metrics_histogram', app.service, 'duration', 'Count, Sum, Min, Max, arraySlice(BucketCounts, 1, 3) AS first_buckets, arraySlice(ExplicitBounds, 1, 3) AS first_bounds');
      expect(rows.map(({ Count, Sum, Min, Max }) => ({ Count, Sum, Min, Max })), app.service).to.deep.equal([{ Count: '2', Sum: 1.7, Min: 0.2, Max: 1.5 }, expected]);
      // The SDK's default bounds start 0, 5, 10: 0.2 and 1.5 fall in (0, 5], 7 in (5, 10].
      expect(rows[1], app.service).to.deep.include({ first_buckets: buckets, first_bounds: [0, 5, 10] });
    }
  });

  it('stores exponential histograms in otel_metrics_exponential_histogram, every count in a bucket', async function () {
    for (const [app, expected] of [
      [cumulative, { Count: '3', Sum: 4611, Min: 3, Max: 4096 }],
      [delta, { Count: '1', Sum: 4096, Min: 4096, Max: 4096 }],
    ] as const) {
      const rows = await stored('otel_metrics_exponential_histogram', app.service, 'payload.size', 'Count, Sum, Min, Max, toString(arraySum(PositiveBucketCounts) + ZeroCount) AS bucketed, Scale');
      expect(rows.map(({ Count, Sum, Min, Max }) => ({ Count, Sum, Min, Max })), app.service).to.deep.equal([{ Count: '2', Sum: 515, Min: 3, Max: 512 }, expected]);
      for (const row of rows) expect(row.bucketed, app.service).to.equal(row.Count);
      expect(rows[0]!.Scale).to.be.a('number');
    }
  });

  it('stores observable gauges in otel_metrics_gauge with the value of each collection', async function () {
    for (const app of [cumulative, delta]) {
      expect(await stored('otel_metrics_gauge', app.service, 'queue.depth', 'Value'), app.service).to.deep.equal([{ Value: 7 }, { Value: 11 }]);
    }
  });

  it('keeps the resource and scope with the agent’s additions, and counts the stored points', async function () {
    const [row] = await stored('otel_metrics_gauge', cumulative.service, 'queue.depth', "ScopeName, ScopeVersion, ResourceAttributes['host.name'] AS host, ResourceAttributes['rollpoint.agent.id'] AS agent_id");
    expect(row).to.deep.equal({ ScopeName: 'rollpoint-e2e', ScopeVersion: '0.1.0', host: 'test-host', agent_id: 'agent-under-test' });
    const text = await backend.metrics();
    expect(metricValue(text, 'rollpoint_backend_inserted_rows_total{table="otel_metrics_sum"}')).to.equal(8);
    expect(metricValue(text, 'rollpoint_backend_inserted_rows_total{table="otel_metrics_gauge"}')).to.equal(4);
  });
});
