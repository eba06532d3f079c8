import { encodeExport } from '@rollpoint/backend';
import { ATTR_ROLLPOINT_AGENT_ID, metrics, type ExportMetricsServiceRequest, type Metric } from '@rollpoint/proto';
import { expect } from 'chai';
import Long from 'long';
import { AGENT_TEST_ID } from '../testing/processes.js';
import { exportsAsTheAgentSends, METRIC_EXPORTS, METRIC_INSTANCES, metricRequests, POINTS_PER_EXPORT } from './metrics.js';

// The bench's metric load is what its report says it is: the mix, the series, cumulative values.

const seriesKeys = (metric: Metric): string[] =>
  (metric.gauge ?? metric.sum ?? metric.histogram)!.dataPoints!.map((p) => JSON.stringify(p.attributes!.map((kv) => [kv.key, kv.value!.stringValue ?? String(kv.value!.intValue)])));

describe('bench: the metric load', function () {
  let runs: ExportMetricsServiceRequest[][];
  let sent: Uint8Array[];
  const metricsOf = (run: number, e: number): Metric[] => runs[run]![e]!.resourceMetrics![0]!.scopeMetrics![0]!.metrics!;

  before(function () {
    runs = [metricRequests(0), metricRequests(1)];
    sent = exportsAsTheAgentSends();
  });

  it(`stores each Export as ${POINTS_PER_EXPORT} rows, 40 % gauge, 40 % sum, 20 % histogram`, function () {
    const encoded = encodeExport({ signal: 'metrics', bytes: sent[0]!, receivedAtNanos: 0n });
    expect(encoded.rejection.rejected).to.equal(0);
    expect(Object.fromEntries(encoded.tables.map((t) => [t.table, t.count]))).to.deep.equal({ otel_metrics_gauge: 400, otel_metrics_sum: 400, otel_metrics_histogram: 200 });
    expect(sent).to.have.length(METRIC_EXPORTS);
  });

  it('gives every metric 100 different series, and every instance its own resource', function () {
    for (const metric of metricsOf(0, 0)) expect(new Set(seriesKeys(metric)).size, metric.name!).to.equal(100);
    const hosts = runs[0]!
      .slice(0, METRIC_INSTANCES + 1)
      .map((r) => r.resourceMetrics![0]!.resource!.attributes!.find((kv) => kv.key === 'host.name')!.value!.stringValue);
    expect(new Set(hosts).size).to.equal(METRIC_INSTANCES);
    expect(hosts[METRIC_INSTANCES]).to.equal(hosts[0]);
  });

  it("carries cumulative values on from one collection to the instance's next, and across runs", function () {
    const value = (metric: Metric): number => Long.fromValue(metric.sum!.dataPoints![5]!.asInt!).toNumber();
    const requests = (run: number, e: number) => metricsOf(run, e).find((m) => m.name === 'http.server.requests')!;
    const [first, next, nextRun] = [requests(0, 0), requests(0, METRIC_INSTANCES), requests(1, 0)];
    expect(first.sum!.isMonotonic).to.equal(true);
    expect(value(next)).to.be.greaterThan(value(first));
    expect(value(nextRun)).to.be.greaterThan(value(requests(0, METRIC_EXPORTS - METRIC_INSTANCES)));
    const duration = metricsOf(0, 0).find((m) => m.name === 'http.server.request.duration')!.histogram!.dataPoints![0]!;
    expect(duration.bucketCounts).to.have.length(duration.explicitBounds!.length + 1);
    expect(duration.bucketCounts!.reduce<number>((n, c) => n + Long.fromValue(c).toNumber(), 0)).to.equal(Long.fromValue(duration.count!).toNumber());
  });

  it("stamps the engine's copy with the agent's id, as the agent's resource processor does", function () {
    const attributes = metrics.decode(sent[0]!).resourceMetrics![0]!.resource!.attributes!;
    expect(attributes.find((kv) => kv.key === ATTR_ROLLPOINT_AGENT_ID)?.value?.stringValue).to.equal(AGENT_TEST_ID);
  });
});
