import { gzipSync } from 'node:zlib';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { AggregationTemporalityPreference, OTLPMetricExporter as HttpMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { InstrumentType } from '@opentelemetry/sdk-metrics';
import { metrics, type ExportMetricsServiceRequest, type KeyValue, type Metric } from '@rollpoint/proto';
import { expect } from 'chai';
import Long from 'long';
import { MeteredApp, POINTS_PER_COLLECTION } from '../testing/metered-app.js';
import { startMetricsSink, type MetricsSink } from '../testing/otlp-sink.js';
import { metricValue, startAgentProcess, waitUntil, type AgentProcess } from '../testing/processes.js';

// The OpenTelemetry JS SDK's own metric exporters (OTLP/gRPC and OTLP/HTTP JSON) send every
// instrument kind through a real agent, whose exporter delivers to a real OTLP/gRPC server.

const stringAttributes = (attributes: KeyValue[] | null | undefined): Record<string, string | null | undefined> =>
  Object.fromEntries((attributes ?? []).map((kv) => [kv.key, kv.value?.stringValue]));

interface Delivered {
  service: string;
  scope: string;
  resource: Record<string, string | null | undefined>;
  metric: Metric;
}

/** Every metric delivered, with its service and resource, in order of arrival. */
function delivered(sink: MetricsSink): Delivered[] {
  return sink.arrived.flatMap(({ request }) =>
    (request.resourceMetrics ?? []).flatMap((rm) => {
      const resource = stringAttributes(rm.resource?.attributes);
      return (rm.scopeMetrics ?? []).flatMap((sm) => (sm.metrics ?? []).map((metric) => ({ service: String(resource['service.name']), scope: sm.scope?.name ?? '', resource, metric })));
    }),
  );
}

type HistogramShape = { count?: unknown; sum?: number | null; min?: number | null; max?: number | null };
type HistogramData<P> = { dataPoints?: P[] | null; aggregationTemporality?: number | null };
const total = (counts: ReadonlyArray<Long | number> | null | undefined): number => (counts ?? []).reduce<number>((n, c) => n + Long.fromValue(c).toNumber(), 0);

/**
 * The points of a histogram-like metric from the first and second collection, once its temporality
 * is the one the SDK chose and each point's [count, sum, min, max] is what was recorded.
 */
function checkedPoints<P extends HistogramShape>(
  app: MeteredApp,
  [first, second]: Array<HistogramData<P>>,
  expected: { first: unknown[]; delta: unknown[]; cumulative: unknown[] },
): { delta: boolean; points: [P, P] } {
  const temporality = second!.aggregationTemporality;
  expect(temporality, app.service).to.equal(app.temporality(InstrumentType.HISTOGRAM));
  const points: [P, P] = [first!.dataPoints![0]!, second!.dataPoints![0]!];
  const [one, two] = points.map((p) => [String(p.count), p.sum, p.min, p.max]);
  expect(one, app.service).to.deep.equal(expected.first);
  expect(two, app.service).to.deep.equal(temporality === 1 ? expected.delta : expected.cumulative);
  return { delta: temporality === 1, points };
}

const pointsOf = (sink: MetricsSink, service: string): number =>
  metrics.countRecords({ resourceMetrics: sink.arrived.flatMap(({ request }) => request.resourceMetrics ?? []).filter((rm) => stringAttributes(rm.resource?.attributes)['service.name'] === service) });

describe('OTLP metrics through the agent: the SDK’s gRPC and HTTP exporters, every instrument kind', function () {
  let sink: MetricsSink;
  let agent: AgentProcess;
  let apps: MeteredApp[];
  /** A service's metrics by name, each as delivered for the first and the second collection. */
  let byMetric: (service: string, name: string) => [Metric, Metric];

  before(async function () {
    sink = await startMetricsSink();
    agent = await startAgentProcess({ backendGrpcPort: sink.port, metrics: true, batch: { timeout: '10ms' } });
    const grpcUrl = `http://127.0.0.1:${agent.grpcPort}`;
    const httpUrl = `http://127.0.0.1:${agent.httpPort}/v1/metrics`;
    const { CUMULATIVE, DELTA } = AggregationTemporalityPreference;
    apps = [
      new MeteredApp('grpc-cumulative', new GrpcMetricExporter({ url: grpcUrl, temporalityPreference: CUMULATIVE })),
      new MeteredApp('grpc-delta', new GrpcMetricExporter({ url: grpcUrl, temporalityPreference: DELTA })),
      new MeteredApp('http-cumulative', new HttpMetricExporter({ url: httpUrl, temporalityPreference: CUMULATIVE })),
      new MeteredApp('http-delta', new HttpMetricExporter({ url: httpUrl, temporalityPreference: DELTA })),
    ];
    // First collection; the second only once the first was delivered, so arrival order is collection order.
    for (const app of apps) app.recordFirstCollection();
    await Promise.all(apps.map((app) => app.flush()));
    await waitUntil(async () => apps.every((app) => pointsOf(sink, app.service) === POINTS_PER_COLLECTION), 'the first collection to be delivered', 30000, agent);
    for (const app of apps) app.recordSecondCollection();
    await Promise.all(apps.map((app) => app.flush()));
    await waitUntil(async () => apps.every((app) => pointsOf(sink, app.service) === 2 * POINTS_PER_COLLECTION), 'the second collection to be delivered', 30000, agent);
    const all = delivered(sink);
    byMetric = (service, name) => {
      const found = all.filter((d) => d.service === service && d.metric.name === name).map((d) => d.metric);
      expect(found, `${service} ${name}`).to.have.length(2);
      return found as [Metric, Metric];
    };
  });

  after(async function () {
    await Promise.all((apps ?? []).map((app) => app.shutdown()));
    await agent?.stop();
    await sink?.stop();
  });

  it('delivers counters as monotonic sums with the SDK’s temporality and values', function () {
    expect(apps.map((app) => app.temporality(InstrumentType.COUNTER))).to.deep.equal([2, 1, 2, 1]);
    for (const app of apps) {
      const [first, second] = byMetric(app.service, 'requests');
      const temporality = app.temporality(InstrumentType.COUNTER);
      for (const m of [first, second]) expect([m.unit, m.sum!.isMonotonic, m.sum!.aggregationTemporality], app.service).to.deep.equal(['{request}', true, temporality]);
      const [p1, p2] = [first.sum!.dataPoints![0]!, second.sum!.dataPoints![0]!];
      expect(stringAttributes(p1.attributes)).to.deep.equal({ route: '/pay' });
      expect([p1.asDouble, p2.asDouble], app.service).to.deep.equal(temporality === 1 ? [3, 2] : [3, 5]);
      // A delta point starts where the one before ended; a cumulative one where the series began.
      const start = String(p2.startTimeUnixNano);
      expect(start, app.service).to.equal(String(temporality === 1 ? p1.timeUnixNano : p1.startTimeUnixNano));
    }
  });

  it('delivers up-down counters as non-monotonic sums', function () {
    for (const app of apps) {
      const [first, second] = byMetric(app.service, 'inflight');
      const temporality = app.temporality(InstrumentType.UP_DOWN_COUNTER);
      expect([first.sum!.isMonotonic, second.sum!.aggregationTemporality], app.service).to.deep.equal([false, temporality]);
      expect([first.sum!.dataPoints![0]!.asDouble, second.sum!.dataPoints![0]!.asDouble], app.service).to.deep.equal(temporality === 1 ? [5, -7] : [5, -2]);
    }
  });

  it('delivers histograms with their counts, sums, extremes and buckets', function () {
    for (const app of apps) {
      const { delta, points: [, p2] } = checkedPoints(
        app,
        byMetric(app.service, 'duration').map((m) => m.histogram!),
        { first: ['2', 0.2 + 1.5, 0.2, 1.5], delta: ['1', 7, 7, 7], cumulative: ['3', 0.2 + 1.5 + 7, 0.2, 7] },
      );
      // The SDK's default bounds start 0, 5, 10: 0.2 and 1.5 fall in (0, 5], 7 in (5, 10].
      expect(p2.explicitBounds!.slice(0, 3)).to.deep.equal([0, 5, 10]);
      expect(p2.bucketCounts!.slice(0, 3).map(String), app.service).to.deep.equal(delta ? ['0', '0', '1'] : ['0', '2', '1']);
      expect(total(p2.bucketCounts)).to.equal(Number(p2.count));
    }
  });

  it('delivers exponential histograms (by a view) with scale, buckets and extremes', function () {
    for (const app of apps) {
      const { points } = checkedPoints(
        app,
        byMetric(app.service, 'payload.size').map((m) => m.exponentialHistogram!),
        { first: ['2', 515, 3, 512], delta: ['1', 4096, 4096, 4096], cumulative: ['3', 4611, 3, 4096] },
      );
      for (const p of points) {
        expect(p.scale).to.be.a('number');
        expect(total(p.positive!.bucketCounts) + Number(p.zeroCount ?? 0), app.service).to.equal(Number(p.count));
      }
    }
  });

  it('delivers observable gauges with the value observed at each collection', function () {
    for (const app of apps) {
      const [first, second] = byMetric(app.service, 'queue.depth');
      expect([first.gauge!.dataPoints![0]!.asDouble, second.gauge!.dataPoints![0]!.asDouble], app.service).to.deep.equal([7, 11]);
    }
  });

  it('keeps the SDK’s resource and scope, and adds the agent’s host and id', function () {
    for (const d of delivered(sink)) {
      expect(d.scope).to.equal('rollpoint-e2e');
      expect(d.resource).to.include({ 'host.name': 'test-host', 'rollpoint.agent.id': 'agent-under-test' });
      expect(d.resource['service.name']).to.be.oneOf(apps.map((app) => app.service));
    }
  });

  it('sends every batch with its id and the agent’s, and counts data points on the way', async function () {
    for (const { meta } of sink.arrived) {
      expect(meta.batchId).to.be.a('string').and.not.equal('');
      expect(meta.agentId).to.equal('agent-under-test');
    }
    const text = await agent.metrics();
    const total = apps.length * 2 * POINTS_PER_COLLECTION;
    expect(metricValue(text, 'rollpoint_agent_receiver_accepted_records_total{receiver="otlp",signal="metrics"}')).to.equal(total);
    expect(metricValue(text, 'rollpoint_agent_exporter_sent_records_total{exporter="otlp",signal="metrics"}')).to.equal(total);
  });

  it('takes gzip OTLP/HTTP protobuf, refusing a data point with a malformed exemplar id through partial success', async function () {
    const exemplar = (traceIdBytes: number) => ({ traceId: new Uint8Array(traceIdBytes).fill(1), spanId: new Uint8Array(8).fill(2), asDouble: 1 });
    const request: ExportMetricsServiceRequest = {
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'raw-protobuf' } }] },
          scopeMetrics: [{ metrics: [{ name: 'temperature', gauge: { dataPoints: [{ asDouble: 21.5, exemplars: [exemplar(16)] }, { asDouble: 99, exemplars: [exemplar(15)] }] } }] }],
        },
      ],
    };
    const response = await fetch(`http://127.0.0.1:${agent.httpPort}/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
      body: gzipSync(metrics.encode(request)),
    });
    expect(response.status).to.equal(200);
    const rejection = metrics.decodeResponse(new Uint8Array(await response.arrayBuffer()));
    expect(rejection).to.deep.equal({ rejected: 1, errorMessage: '1 data points rejected: exemplar trace_id must be 16 bytes, got 15' });
    await waitUntil(async () => pointsOf(sink, 'raw-protobuf') === 1, 'the valid data point to be delivered', 30000, agent);
    const [temperature] = delivered(sink).filter((d) => d.service === 'raw-protobuf');
    expect(temperature!.metric.gauge!.dataPoints!.map((p) => p.asDouble)).to.deep.equal([21.5]);
    expect(metricValue(await agent.metrics(), 'rollpoint_agent_receiver_refused_records_total{receiver="otlp",signal="metrics"}')).to.equal(1);
  });
});
