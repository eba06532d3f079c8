import { metrics, type KeyValue, type Metric } from '@rollpoint/proto';
import Long from 'long';
import type { BackendProcess } from './processes.js';

// Numbered metrics Exports that fill every table of the Collector exporter's layout, and what a
// backend stored of them per Export: fault tests count exactly which Exports were acknowledged and
// which are stored, once each, in all five tables.

/** The tables each numbered Export fills, POINTS_PER_TABLE points in each. */
export const METRIC_TABLES = ['otel_metrics_gauge', 'otel_metrics_sum', 'otel_metrics_histogram', 'otel_metrics_exponential_histogram', 'otel_metrics_summary'] as const;
const POINTS_PER_TABLE = 10;
export const POINTS_PER_EXPORT = METRIC_TABLES.length * POINTS_PER_TABLE;

const attribute = (key: string, value: number): KeyValue => ({ key, value: { intValue: Long.fromNumber(value) } });
const u64 = (value: number): Long => Long.fromNumber(value, true);

/**
 * Export number `k` of a stream: metrics `<prefix>.gauge`, `.sum`, `.histogram`, `.exponential`
 * and `.summary`, each with POINTS_PER_TABLE points whose attributes are `export` = k and `point` = j.
 */
export function metricsExport(prefix: string, k: number): Uint8Array {
  const now = Long.fromNumber(Date.now(), true).multiply(1_000_000);
  const points = <P>(shape: (j: number) => P) =>
    Array.from({ length: POINTS_PER_TABLE }, (_, j) => ({ attributes: [attribute('export', k), attribute('point', j)], startTimeUnixNano: now.subtract(1_000_000_000), timeUnixNano: now, ...shape(j) }));
  const CUMULATIVE = 2;
  const kinds: Metric[] = [
    { name: `${prefix}.gauge`, gauge: { dataPoints: points((j) => ({ asDouble: k + j / 100 })) } },
    { name: `${prefix}.sum`, sum: { aggregationTemporality: CUMULATIVE, isMonotonic: true, dataPoints: points((j) => ({ asInt: Long.fromNumber(100 * k + j) })) } },
    { name: `${prefix}.histogram`, histogram: { aggregationTemporality: CUMULATIVE, dataPoints: points(() => ({ count: u64(3), sum: 6, bucketCounts: [u64(1), u64(2)], explicitBounds: [2] })) } },
    {
      name: `${prefix}.exponential`,
      exponentialHistogram: { aggregationTemporality: CUMULATIVE, dataPoints: points(() => ({ count: u64(2), sum: 3, scale: 0, zeroCount: u64(0), positive: { offset: 0, bucketCounts: [u64(1), u64(1)] } })) },
    },
    { name: `${prefix}.summary`, summary: { dataPoints: points(() => ({ count: u64(2), sum: 3, quantileValues: [{ quantile: 0.5, value: 1 }, { quantile: 1, value: 2 }] })) } },
  ];
  return metrics.encode({
    resourceMetrics: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'delivery-test' } }] }, scopeMetrics: [{ metrics: kinds }] }],
  });
}

/** What a backend stored of a numbered stream of Exports. */
export interface StoredByExport {
  rows: number;
  /** Distinct records: equal to `rows` when nothing is stored twice. */
  distinct: number;
  /** Records stored per export number. */
  perExport: Map<number, number>;
}

/** What `backend` stored of the numbered Exports of `prefix`, over the five tables; distinct by (table, export, point). */
export async function storedMetricPoints(backend: BackendProcess, prefix: string): Promise<StoredByExport> {
  const union = METRIC_TABLES.map((table) => `SELECT '${table}' AS tbl, Attributes FROM ${table} WHERE startsWith(MetricName, '${prefix}.')`).join(' UNION ALL ');
  const rows = await backend.sql(
    `SELECT toUInt32(Attributes['export']) AS k, count() AS n, uniqExact(tbl, Attributes['point']) AS distinct FROM (${union}) GROUP BY k`,
  );
  const perExport = new Map(rows.map((row) => [Number(row.k), Number(row.n)]));
  const sum = (column: string) => rows.reduce((n, row) => n + Number(row[column]), 0);
  return { rows: sum('n'), distinct: sum('distinct'), perExport };
}
