import { type DecodedQuery, number } from '../store/row-decoder.js';
import type { Query } from '../store/store.js';
import type { Measure, MetricAggregation, Rule } from './config.js';

// The part of the health SQL that rules over OTLP metrics add: per entity and window, the value of
// each metric measure (metric, attribute filter, aggregation) from metric_windows, as one map keyed
// by the measures' labels. health.ts joins it to the entity windows and compares it like any measure.

export type MetricMeasure = Measure & { aggregation: MetricAggregation };

export const isMetricMeasure = (measure: Measure): measure is MetricMeasure => measure.aggregation !== undefined;

/** What a rule measures: its own measure, an anomaly score's several, none for the latency test (it reads samples). */
export function ruleMeasures(rule: Rule): Measure[] {
  switch (rule.kind) {
    case 'mann_whitney':
      return [];
    case 'anomaly_score':
      return rule.measures;
    default:
      return [rule];
  }
}

/**
 * The windows the health query reads (its parameters window, from, to and baseline_windows): the
 * asked ones and their baseline before them.
 */
export const JUDGED_RANGE = "window_start >= toDateTime({from:UInt32} - {baseline_windows:UInt32} * {window:UInt32}, 'UTC') AND window_start < toDateTime({to:UInt32}, 'UTC')";

/** Whether metric_windows holds any row in JUDGED_RANGE of the windows [from, to) (Unix s). */
export function metricsStoredQuery(windowSeconds: number, baselineWindows: number, from: number, to: number): DecodedQuery<{ stored: number }> {
  return {
    sql: `SELECT count() AS stored FROM (SELECT 1 FROM metric_windows WHERE ${JUDGED_RANGE} LIMIT 1)`,
    params: { window: windowSeconds, baseline_windows: baselineWindows, from, to },
    decoder: { stored: number('stored') },
  };
}

/** A metric measure's name in verdicts, baselines and stories: `max(system.filesystem.utilization{mode="rw"})`. */
export function metricLabel(rule: MetricMeasure): string {
  const filter = Object.entries(rule.attributes ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  const series = `${rule.metric}${filter.length > 0 ? `{${filter.join(',')}}` : ''}`;
  return rule.aggregation === 'quantile' ? `quantile(${rule.quantile}, ${series})` : `${rule.aggregation}(${series})`;
}

/** The distinct measures of the metric rules, each with the index its parameters are named by. */
export function metricMeasures(rules: readonly Rule[]): Map<string, { rule: MetricMeasure; index: number }> {
  const measures = new Map<string, { rule: MetricMeasure; index: number }>();
  for (const measure of rules.flatMap(ruleMeasures)) if (isMetricMeasure(measure) && !measures.has(metricLabel(measure))) measures.set(metricLabel(measure), { rule: measure, index: measures.size });
  return measures;
}

/** The parameter holding a measure's label: the key of its value in the metric_values map. */
export const labelParam = (index: number): string => `{metric_${index}_label:String}`;

/**
 * One measure's value over the series of a window that it selects, NaN when none has one:
 * max, min and avg of the points' values (of a histogram's observations: Min, Max, Sum / Count);
 * the summed per-second rate of sums; a quantile of histograms' merged buckets, interpolated
 * within its bucket as Prometheus's histogram_quantile does.
 */
function measureValue(rule: MetricMeasure, index: number): { helpers: string[]; value: string } {
  const p = `metric_${index}`;
  const selects = `metric_name = {${p}_name:String} AND arrayAll((k, v) -> attributes[k] = v, {${p}_keys:Array(String)}, {${p}_values:Array(String)})`;
  switch (rule.aggregation) {
    case 'max':
      return { helpers: [], value: `if(countIf(${selects}) > 0, maxIf(max_value, ${selects}), nan)` };
    case 'min':
      return { helpers: [], value: `if(countIf(${selects}) > 0, minIf(min_value, ${selects}), nan)` };
    case 'avg':
      return { helpers: [], value: `if(sumIf(points, ${selects}) > 0, sumIf(sum_value, ${selects}) / sumIf(points, ${selects}), nan)` };
    case 'rate':
      return { helpers: [], value: `if(countIf(${selects} AND NOT isNaN(series_rate)) > 0, sumIf(series_rate, ${selects} AND NOT isNaN(series_rate)), nan)` };
    case 'quantile': {
      // The selected series' bucket counts summed (they share their bounds), the observation at the
      // quantile's rank found by cumulative counts, placed linearly between its bucket's bounds.
      const withBuckets = `${selects} AND notEmpty(window_buckets)`;
      const [buckets, bounds, cumulative, at, rank] = ['buckets', 'bounds', 'cumulative', 'at', 'rank'].map((name) => `${p}_${name}`) as [string, string, string, string, string];
      const lower = `if(${at} = 1, least(0., ${bounds}[1]), ${bounds}[${at} - 1])`;
      return {
        helpers: [
          `sumForEachIf(window_buckets, ${withBuckets}) AS ${buckets}`,
          `anyIf(bounds, ${withBuckets}) AS ${bounds}`,
          `arrayCumSum(${buckets}) AS ${cumulative}`,
          `{${p}_quantile:Float64} * arraySum(${buckets}) AS ${rank}`,
          `arrayFirstIndex(x -> x >= ${rank}, ${cumulative}) AS ${at}`,
        ],
        value: `multiIf(arraySum(${buckets}) = 0 OR empty(${bounds}), nan,
            ${at} > length(${bounds}), ${bounds}[length(${bounds})],
            ${lower} + (${bounds}[${at}] - ${lower}) * (${rank} - if(${at} = 1, 0, ${cumulative}[${at} - 1])) / ${buckets}[${at}])`,
      };
    }
  }
}

function measureParams(rule: MetricMeasure, index: number, label: string): Record<string, unknown> {
  const p = `metric_${index}`;
  const attributes = Object.entries(rule.attributes ?? {});
  return {
    [`${p}_label`]: label,
    [`${p}_name`]: rule.metric,
    [`${p}_keys`]: attributes.map(([key]) => key),
    [`${p}_values`]: attributes.map(([, value]) => value),
    ...(rule.quantile !== undefined ? { [`${p}_quantile`]: rule.quantile } : {}),
  };
}

/**
 * Per entity and window of `range` (by default the health query's), `metric_values`: each measure's value, those with none left out. Series are
 * rolled up from the base windows first; a cumulative series' rate and bucket counts are its
 * increase since the previous window it has points in (a drop is a reset: the new value is the
 * increase), a delta series' are its sums in the window.
 */
export function metricValuesSelect(rules: readonly Rule[], scope: Query, range: string = JUDGED_RANGE): Query | undefined {
  const measures = metricMeasures(rules);
  if (measures.size === 0) return undefined;
  const compiled = [...measures.values()].map(({ rule, index }) => ({ index, ...measureValue(rule, index) }));
  const values = compiled.map(({ index, value }) => `${labelParam(index)}, ${value}`);
  const helpers = compiled.flatMap(({ helpers }) => helpers);
  const params: Record<string, unknown> = { ...scope.params, metric_names: [...new Set([...measures.values()].map(({ rule }) => rule.metric))] };
  for (const [label, { rule, index }] of measures) Object.assign(params, measureParams(rule, index, label));
  const sql = `
SELECT window, entity_kind, entity, metric_values
FROM (
SELECT window, entity_kind, entity,${helpers.map((h) => `\n    ${h},`).join('')}
    mapFilter((label, value) -> NOT isNaN(value), map(${values.join(',\n        ')})) AS metric_values
FROM (
    SELECT *,
        toUnixTimestamp64Nano(last_time) - toUnixTimestamp64Nano(previous_time) AS since_previous_ns,
        multiIf(
            temporality = 1, sum_value / {window:UInt32},
            temporality = 2 AND toUnixTimestamp64Nano(previous_time) > 0 AND since_previous_ns > 0, if(last_value >= previous_value, last_value - previous_value, last_value) / (since_previous_ns / 1e9),
            nan) AS series_rate,
        multiIf(
            temporality = 1, bucket_counts,
            temporality != 2 OR toUnixTimestamp64Nano(previous_time) = 0, CAST([], 'Array(UInt64)'),
            length(last_buckets) = length(previous_buckets) AND arrayAll((a, b) -> a >= b, last_buckets, previous_buckets), arrayMap((a, b) -> toUInt64(a - b), last_buckets, previous_buckets),
            last_buckets) AS window_buckets
    FROM (
        SELECT *,
            lagInFrame(last_value) OVER series AS previous_value,
            lagInFrame(last_time) OVER series AS previous_time,
            lagInFrame(last_buckets) OVER series AS previous_buckets
        FROM (
            SELECT
                toStartOfInterval(window_start, toIntervalSecond({window:UInt32})) AS window,
                entity_kind, entity, metric_name, attributes, temporality,
                sum(points) AS points,
                min(min_value) AS min_value,
                max(max_value) AS max_value,
                sum(sum_value) AS sum_value,
                argMaxMerge(last_value) AS last_value,
                max(last_time) AS last_time,
                any(bounds) AS bounds,
                sumForEachMerge(bucket_counts) AS bucket_counts,
                argMaxMerge(last_bucket_counts) AS last_buckets
            FROM metric_windows
            WHERE (${range})
              AND metric_name IN {metric_names:Array(String)}
              AND ${scope.sql}
            GROUP BY window, entity_kind, entity, metric_name, attributes, temporality
        )
        WINDOW series AS (PARTITION BY entity_kind, entity, metric_name, attributes, temporality ORDER BY window ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
    )
)
GROUP BY window, entity_kind, entity
)`;
  return { sql, params };
}
