import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import Long from 'long';
import { idToHex } from './ids.js';
import { ExportMetricsServiceRequest, type ExportLogsServiceRequest, type Metric } from './otlp.js';
import { logs, metrics, traces } from './signals.js';

/** A canonical, comparable view of a metrics request. */
const plain = (request: ExportMetricsServiceRequest) =>
  ExportMetricsServiceRequest.toObject(request as never, { longs: String, enums: Number, bytes: String, defaults: false });

const request: ExportLogsServiceRequest = {
  resourceLogs: [
    { resource: { attributes: [{ key: 'host.name', value: { stringValue: 'a' } }] }, scopeLogs: [{ scope: { name: 's1' }, logRecords: [{ eventName: '1' }, { eventName: '2' }] }, { scope: { name: 's2' }, logRecords: [{ eventName: '3' }] }] },
    { resource: { attributes: [{ key: 'host.name', value: { stringValue: 'b' } }] }, scopeLogs: [{ scope: { name: 's3' }, logRecords: [{ eventName: '4' }, { eventName: '5' }] }] },
  ],
};

/** [host, scope, record] for every record, in order. */
const flatten = (r: ExportLogsServiceRequest) =>
  r.resourceLogs!.flatMap((rl) => rl.scopeLogs!.flatMap((sl) => sl.logRecords!.map((l) => [rl.resource!.attributes![0]!.value!.stringValue, sl.scope!.name, l.eventName])));

describe('signal helpers', function () {
  it('counts and merges records across resources and scopes', function () {
    expect(logs.countRecords(request)).to.equal(5);
    expect(logs.countRecords(logs.merge([request, request]))).to.equal(10);
    expect(traces.countRecords({})).to.equal(0);
  });

  it('halves a request at its middle record, keeping each record’s resource and scope', function () {
    const [first, second] = logs.halve(request)!;
    expect(flatten(first)).to.deep.equal([
      ['a', 's1', '1'],
      ['a', 's1', '2'],
    ]);
    expect(flatten(second)).to.deep.equal([
      ['a', 's2', '3'],
      ['b', 's3', '4'],
      ['b', 's3', '5'],
    ]);
    expect(logs.halve({ resourceLogs: [{ scopeLogs: [{ logRecords: [{}] }] }] })).to.equal(undefined);
  });

  it('gives a resource to every group that lacks one, so processors can add to it', function () {
    const bare: ExportLogsServiceRequest = { resourceLogs: [{ scopeLogs: [] }] };
    logs.resources(bare)[0]!.attributes!.push({ key: 'k', value: { stringValue: 'v' } });
    expect(bare.resourceLogs![0]!.resource!.attributes).to.have.length(1);
  });
});

describe('the metrics signal', function () {
  const text = readFileSync(new URL('../testdata/metrics-request.json', import.meta.url), 'utf8');
  const request = () => metrics.fromJson(text);
  const metricsOf = (r: ExportMetricsServiceRequest) => r.resourceMetrics!.flatMap((rm) => rm.scopeMetrics!.flatMap((sm) => sm.metrics!));
  const byName = (r: ExportMetricsServiceRequest) => new Map(metricsOf(r).map((m) => [m.name!, m]));
  /** Every data point as [metric, its data field, the point], in order. */
  const points = (r: ExportMetricsServiceRequest) =>
    metricsOf(r).flatMap((m) => {
      const field = (['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const).find((f) => m[f])!;
      return (m[field]!.dataPoints as object[]).map((p) => [m.name, field, p] as const);
    });

  it('counts data points, as the Collector does, not metrics', function () {
    expect(metrics.countRecords(request())).to.equal(10);
    expect(metrics.countRecords(metrics.merge([request(), request()]))).to.equal(20);
    expect(metrics.countRecords({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'no data' }] }] }] })).to.equal(0);
  });

  it('keeps every data point kind through protobuf: gauge, sums of each temporality and monotonicity, histograms, summaries', function () {
    const again = metrics.decode(metrics.encode(request()));
    expect(plain(again)).to.deep.equal(plain(request()));
    const m = byName(again);
    const gauge = m.get('queue.depth')!.gauge!.dataPoints!;
    // Unset fields read as their defaults (0), set ones as sent.
    expect(gauge.map((p) => [String(p.asInt), p.asDouble, p.flags])).to.deep.equal([['7', 0, 0], ['0', 0.5, 0], ['0', 0, 1]]);
    const sums = ['requests', 'requests.delta', 'inflight', 'inflight.delta'].map((name) => m.get(name)!.sum!);
    expect(sums.map((s) => [s.aggregationTemporality, Boolean(s.isMonotonic)])).to.deep.equal([[2, true], [1, true], [2, false], [1, false]]);
    expect(sums[0]!.dataPoints![0]!.asInt!.toString()).to.equal('9007199254740993');
    expect(sums[3]!.dataPoints![0]!.asInt!.toString()).to.equal('-4');
    const histogram = m.get('http.server.request.duration')!.histogram!;
    expect(histogram.aggregationTemporality).to.equal(1);
    expect(histogram.dataPoints![0]).to.deep.include({ sum: 7.5, min: 0.5, max: 5, explicitBounds: [1, 2.5] });
    expect(histogram.dataPoints![0]!.bucketCounts!.map(String)).to.deep.equal(['1', '1', '1']);
    const exponential = m.get('payload.size')!.exponentialHistogram!.dataPoints![0]!;
    expect(exponential).to.deep.include({ scale: 2, zeroThreshold: 0.001, min: -3, max: 6 });
    expect([exponential.positive!.offset, exponential.positive!.bucketCounts!.map(String), exponential.negative!.offset]).to.deep.equal([-1, ['1', '0', '2'], 3]);
    const summary = m.get('gc.pause')!.summary!.dataPoints![0]!;
    expect([String(summary.count), summary.sum, summary.quantileValues!.map((q) => [q.quantile ?? 0, q.value])]).to.deep.equal(['4', 10, [[0, 1], [0.5, 2], [1, 4]]]);
  });

  it('keeps exemplars with their hex trace and span ids, values and filtered attributes', function () {
    const m = byName(metrics.decode(metrics.encode(request())));
    const exemplar = m.get('queue.depth')!.gauge!.dataPoints![0]!.exemplars![0]!;
    expect([idToHex(exemplar.traceId), idToHex(exemplar.spanId), exemplar.asInt!.toString(), exemplar.filteredAttributes![0]!.key]).to.deep.equal(['5b8efff798038103d269b633813fc60c', 'eee19b7ec3c1b174', '7', 'order.id']);
    expect(idToHex(m.get('http.server.request.duration')!.histogram!.dataPoints![0]!.exemplars![0]!.traceId)).to.equal('5b8efff798038103d269b633813fc60d');
    const exponential = m.get('payload.size')!.exponentialHistogram!.dataPoints![0]!.exemplars![0]!;
    expect([idToHex(exponential.traceId), idToHex(exponential.spanId), exponential.asDouble]).to.deep.equal(['', 'eee19b7ec3c1b176', 6]);
  });

  it('halves at the middle data point, splitting a metric and keeping its name, temporality and resource on both sides', function () {
    const [first, second] = metrics.halve(request())!;
    expect([metrics.countRecords(first), metrics.countRecords(second)]).to.deep.equal([5, 5]);
    expect([...points(first), ...points(second)].map(([name, field]) => `${name} ${field}`)).to.deep.equal(points(request()).map(([name, field]) => `${name} ${field}`));
    const sum = (n: number): Metric => ({ name: 'requests', unit: '{request}', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: Array.from({ length: n }, (_, i) => ({ asInt: Long.fromNumber(i) })) } });
    const one: ExportMetricsServiceRequest = { resourceMetrics: [{ resource: { attributes: [{ key: 'host.name', value: { stringValue: 'a' } }] }, scopeMetrics: [{ scope: { name: 's' }, metrics: [sum(3)] }] }] };
    const halves = metrics.halve(one)!.map((half) => metrics.decode(metrics.encode(half)));
    for (const [half, values] of halves.map((h, i) => [h, i === 0 ? ['0'] : ['1', '2']] as const)) {
      const rm = half.resourceMetrics![0]!;
      expect(rm.resource!.attributes![0]!.value!.stringValue).to.equal('a');
      expect(rm.scopeMetrics![0]!.scope!.name).to.equal('s');
      const metric = rm.scopeMetrics![0]!.metrics![0]!;
      expect([metric.name, metric.unit, metric.sum!.aggregationTemporality, metric.sum!.isMonotonic]).to.deep.equal(['requests', '{request}', 2, true]);
      expect(metric.sum!.dataPoints!.map((p) => String(p.asInt ?? 0))).to.deep.equal(values);
    }
    expect(metrics.halve({ resourceMetrics: [{ scopeMetrics: [{ metrics: [sum(1), { name: 'empty', gauge: { dataPoints: [] } }] }] }] })).to.equal(undefined);
  });

  it('answers partial success in rejected_data_points', function () {
    const answer = metrics.decodeResponse(metrics.encodeResponse({ rejected: 2, errorMessage: 'bad exemplar ids' }));
    expect(answer).to.deep.equal({ rejected: 2, errorMessage: 'bad exemplar ids' });
    expect(metrics.responseJson({ rejected: 2, errorMessage: 'x' })).to.deep.equal({ partialSuccess: { rejectedDataPoints: '2', errorMessage: 'x' } });
    expect(metrics.grpcMethod).to.equal('/opentelemetry.proto.collector.metrics.v1.MetricsService/Export');
    expect(metrics.httpPath).to.equal('/v1/metrics');
  });
});
