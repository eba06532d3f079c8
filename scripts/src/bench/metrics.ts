// Metric data points through agent -> backend -> embedded store, beside the backend alone and the
// engine's own insert of the same rows.
import { ATTR_ROLLPOINT_AGENT_ID, metrics, setAttribute, type ExportMetricsServiceRequest, type HistogramDataPoint, type KeyValue, type Metric, type NumberDataPoint } from '@rollpoint/proto';
import Long from 'long';
import { AGENT_TEST_ID, startAgentProcess, startBackendProcess, waitUntil, type BackendProcess } from '../testing/processes.js';
import { measureCpu } from './cpu.js';
import { measureIngest, send, type IngestResult } from './write-path.js';

export const METRIC_EXPORTS = 100;
/** Instances (service.name + host.name) whose collections the Exports are: one Export, one collection of one instance. */
export const METRIC_INSTANCES = 20;
/** Every metric has this many series (attribute sets) per instance. */
const SERIES_PER_METRIC = 100;
export const METRIC_RUNS = 3;
export const METRIC_IN_FLIGHT = 32;
const COLLECTION_NANOS = Long.fromNumber(10_000_000_000);

// The semantic conventions' advisory bounds of http.server.request.duration, in seconds.
const DURATION_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
// One collection's new observations of a duration series, bucket by bucket (15 buckets): a mode near 50 ms.
const DURATION_SHAPE = [0, 1, 2, 4, 3, 2, 1, 1, 0, 0, 1, 0, 0, 0, 0];
const DURATION_MIDPOINTS = DURATION_SHAPE.map((_, b) => (b === 0 ? 0.003 : b < DURATION_BOUNDS.length ? (DURATION_BOUNDS[b - 1]! + DURATION_BOUNDS[b]!) / 2 : 12));

const ROUTES = Array.from({ length: 25 }, (_, i) => `/api/v1/resource-${i}/{id}`);
const TABLES = Array.from({ length: 25 }, (_, i) => `table_${i}`);
const STATUS_CODES = [200, 404, 500, 503];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const OPERATIONS = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];

const text = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
const int = (key: string, value: number): KeyValue => ({ key, value: { intValue: Long.fromNumber(value) } });
/** The series' attribute sets of a metric: 100 of them, from one or two attributes. */
type SeriesAttributes = (s: number) => KeyValue[];
const byRoute = (second: (s: number) => KeyValue): SeriesAttributes => (s) => [text('http.route', ROUTES[s % 25]!), second(s)];
const byTable: SeriesAttributes = (s) => [text('db.operation.name', OPERATIONS[s % 4]!), text('db.collection.name', TABLES[Math.floor(s / 4)]!)];
const single = (key: string, prefix: string): SeriesAttributes => (s) => [text(key, `${prefix}-${s}`)];

interface Series {
  attributes: KeyValue[];
  start: Long;
  time: Long;
  /** Collections since the series started: what its cumulative values have summed. */
  collections: number;
  s: number;
}

const numberPoint = ({ attributes, start, time }: Series, value: { asInt: Long } | { asDouble: number }): NumberDataPoint => ({ attributes, startTimeUnixNano: start, timeUnixNano: time, ...value });

function durationPoint({ attributes, start, time, collections, s }: Series): HistogramDataPoint {
  const scale = collections * (1 + (s % 3));
  const bucketCounts = DURATION_SHAPE.map((n) => n * scale);
  return {
    attributes,
    startTimeUnixNano: start,
    timeUnixNano: time,
    count: Long.fromNumber(bucketCounts.reduce((a, b) => a + b, 0)),
    sum: bucketCounts.reduce((total, n, b) => total + n * DURATION_MIDPOINTS[b]!, 0),
    bucketCounts: bucketCounts.map((n) => Long.fromNumber(n)),
    explicitBounds: DURATION_BOUNDS,
    min: 0.006,
    max: 3.1,
  };
}

interface MetricKind {
  name: string;
  unit: string;
  series: SeriesAttributes;
  data: (points: Series[]) => Pick<Metric, 'gauge' | 'sum' | 'histogram'>;
}

const CUMULATIVE = 2;
const gauge = (point: (p: Series) => NumberDataPoint) => (points: Series[]) => ({ gauge: { dataPoints: points.map(point) } });
const sum = (isMonotonic: boolean, point: (p: Series) => NumberDataPoint) => (points: Series[]) => ({ sum: { aggregationTemporality: CUMULATIVE, isMonotonic, dataPoints: points.map(point) } });

// A service's metrics as its SDK exports them each collection: 4 gauges, 4 cumulative sums (one not
// monotonic) and 2 histograms, 100 series each: 1,000 data points, 40 % gauge, 40 % sum, 20 % histogram.
const METRIC_KINDS: MetricKind[] = [
  { name: 'messaging.queue.depth', unit: '{message}', series: single('messaging.destination.name', 'queue'), data: gauge((p) => numberPoint(p, { asInt: Long.fromNumber((p.s * 37 + p.collections * 11) % 500) })) },
  { name: 'cache.hit_ratio', unit: '1', series: single('cache.name', 'cache'), data: gauge((p) => numberPoint(p, { asDouble: 0.5 + ((p.s * 13 + p.collections) % 50) / 100 })) },
  { name: 'worker.utilization', unit: '1', series: single('worker.id', 'worker'), data: gauge((p) => numberPoint(p, { asDouble: ((p.s * 7 + p.collections * 3) % 100) / 100 })) },
  { name: 'container.memory.usage', unit: 'By', series: single('container.name', 'container'), data: gauge((p) => numberPoint(p, { asInt: Long.fromNumber(2 ** 27 + p.s * 1_048_576 + p.collections * 4096) })) },
  {
    name: 'http.server.requests',
    unit: '{request}',
    series: byRoute((s) => int('http.response.status_code', STATUS_CODES[Math.floor(s / 25)]!)),
    data: sum(true, (p) => numberPoint(p, { asInt: Long.fromNumber(p.collections * (1 + ((p.s * 7) % 13))) })),
  },
  { name: 'db.client.operations', unit: '{operation}', series: byTable, data: sum(true, (p) => numberPoint(p, { asInt: Long.fromNumber(p.collections * (2 + (p.s % 5))) })) },
  { name: 'messaging.client.consumed.messages', unit: '{message}', series: single('messaging.destination.name', 'queue'), data: sum(true, (p) => numberPoint(p, { asInt: Long.fromNumber(p.collections * 40) })) },
  {
    name: 'http.server.active_requests',
    unit: '{request}',
    series: byRoute((s) => text('http.request.method', METHODS[Math.floor(s / 25)]!)),
    data: sum(false, (p) => numberPoint(p, { asInt: Long.fromNumber((p.s + p.collections) % 9) })),
  },
  { name: 'http.server.request.duration', unit: 's', series: byRoute((s) => text('http.request.method', METHODS[Math.floor(s / 25)]!)), data: (points) => ({ histogram: { aggregationTemporality: CUMULATIVE, dataPoints: points.map(durationPoint) } }) },
  { name: 'db.client.operation.duration', unit: 's', series: byTable, data: (points) => ({ histogram: { aggregationTemporality: CUMULATIVE, dataPoints: points.map(durationPoint) } }) },
];
export const POINTS_PER_EXPORT = METRIC_KINDS.length * SERIES_PER_METRIC;
export const METRIC_POINTS = METRIC_EXPORTS * POINTS_PER_EXPORT;

/**
 * Run `run`'s Exports: each one collection of one instance, the instances taking turns, their
 * cumulative series going on from the previous run's. The times lie in the last hour.
 */
export function metricRequests(run: number): ExportMetricsServiceRequest[] {
  const collectionsPerRun = METRIC_EXPORTS / METRIC_INSTANCES;
  const start = Long.fromNumber(Date.now() - 3_600_000, true).multiply(1_000_000);
  return Array.from({ length: METRIC_EXPORTS }, (_, e) => {
    const instance = e % METRIC_INSTANCES;
    const collections = run * collectionsPerRun + Math.floor(e / METRIC_INSTANCES) + 1;
    const time = start.add(COLLECTION_NANOS.multiply(collections));
    const metricsOf = METRIC_KINDS.map(({ name, unit, series, data }) => ({
      name,
      unit,
      ...data(Array.from({ length: SERIES_PER_METRIC }, (_, s) => ({ attributes: series(s), start, time, collections, s }))),
    }));
    return {
      resourceMetrics: [
        {
          resource: { attributes: [text('service.name', `service-${instance % 10}`), text('service.instance.id', `instance-${instance}`), text('host.name', `host-${instance}`)] },
          scopeMetrics: [{ scope: { name: 'bench-app', version: '1.0.0' }, metrics: metricsOf }],
        },
      ],
    };
  });
}

/** Run 0's Exports as the agent hands them on: each resource stamped with the agent's id, as its resource processor does. */
export function exportsAsTheAgentSends(): Uint8Array[] {
  return metricRequests(0).map((request) => {
    for (const resource of metrics.resources(request)) setAttribute(resource.attributes!, ATTR_ROLLPOINT_AGENT_ID, { stringValue: AGENT_TEST_ID }, true);
    return metrics.encode(request);
  });
}

const METRIC_TABLES = ['otel_metrics_gauge', 'otel_metrics_sum', 'otel_metrics_histogram'];
const storedPoints = async (backend: BackendProcess): Promise<number> =>
  Number((await backend.sql(`SELECT (${METRIC_TABLES.map((t) => `(SELECT count() FROM ${t})`).join(' + ')}) AS n`))[0]!.n);

export interface PipelineRun {
  ms: number;
  /** CPU seconds of the agent and of the backend during the run. */
  agentCpu: number;
  backendCpu: number;
}

/** METRIC_RUNS runs of METRIC_POINTS points sent to a real agent, METRIC_IN_FLIGHT at a time, each until the backend stored them all. */
export async function measureMetricsPipeline(): Promise<PipelineRun[]> {
  // The checkpoint engine's recompute off, as for the backend alone: these are the write path's figures.
  const backend = await startBackendProcess({ extra: { checkpoints: { recompute_interval: '1h' } } });
  const agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort, metrics: true });
  try {
    const runs: PipelineRun[] = [];
    for (let run = 0; run < METRIC_RUNS; run++) {
      const exports = metricRequests(run).map((request) => metrics.encode(request));
      const started = performance.now();
      const { cpu } = await measureCpu([agent.child.pid!, backend.child.pid!], async () => {
        await send(agent.grpcPort, { method: metrics.grpcMethod, exports, clients: 8, inFlight: METRIC_IN_FLIGHT }, `metrics-${run}`);
        await waitUntil(async () => (await storedPoints(backend)) >= (run + 1) * METRIC_POINTS, 'every data point to be stored', 300000, agent);
      });
      runs.push({ ms: performance.now() - started, agentCpu: cpu[0]!, backendCpu: cpu[1]! });
    }
    return runs;
  } finally {
    await agent.stop();
    await backend.stop();
  }
}

/** The Exports (as the agent sends them) from raw gRPC senders straight to a backend. */
export async function measureMetricsBackendAlone(exports: Uint8Array[]): Promise<IngestResult> {
  const [result] = await measureIngest([{ method: metrics.grpcMethod, exports, clients: 8, inFlight: METRIC_IN_FLIGHT }], 1, [METRIC_POINTS]);
  return result!;
}
