import { LATENCY_SAMPLE_SIZE } from '../schema/windows.js';
import { counts, decodeRow, type DecodedQuery, isoFromUtcText, number, type RowDecoder, strings, text } from '../store/row-decoder.js';
import type { Query } from '../store/store.js';
import type { Evidence } from './api-types.js';
import type { Measure, Metric, Rule, Scope } from './config.js';
import { isMetricMeasure, JUDGED_RANGE, labelParam, metricLabel, metricMeasures, metricValuesSelect, ruleMeasures } from './metric-rules.js';
import { scopeCondition } from './scopes.js';

// Health rules compiled to SQL, in this one module. The query rolls base windows up into windows
// of the asked size per entity, gives each window its entity's baseline (the values of its
// preceding windows, by window functions) and names the rules that fire; the verdicts are stored in
// window_health once a window is complete. ClickHouse does all of it.

// window_health's columns (besides window_seconds and computed_at), named here once: what a rolled-up
// window measures, then its judgement (with the values of the metric rules that fired).
const MEASURE_COLUMNS = 'window, entity_kind, entity, spans, error_spans, error_ratio, p50_ms, p95_ms, p99_ms, logs, error_logs, error_log_ratio, device_events';
const VERDICT_COLUMNS = `${MEASURE_COLUMNS}, judged, fired, baselines, metrics`;

export interface HealthQueryOptions {
  scope: Scope | undefined;
  windowSeconds: number;
  /** Windows starting at or after `from` and before `to` (Unix seconds, aligned to the window). */
  from: number;
  to: number;
  baselineWindows: number;
  minEvents: number;
  /** Ratio rules also need this many errors in the window. */
  minErrors: number;
  rules: readonly Rule[];
  /**
   * Whether metric_windows may hold rows in the judged range (default: it may). Where it holds none
   * the metric rules' measures have no value, and the statement leaves the metric rollup out: most
   * of what ClickHouse spends analysing it (about 70 of 100 ms).
   */
  metricsStored?: boolean;
  /**
   * Whether window_health holds the current verdicts of the baseline windows before `from` (a tick
   * extending the judged range): their measures are read from there rather than rolled up again
   * from entity_windows, which was most of the statement's running time. Ignored where the
   * baselines need what window_health does not keep (metric values, latency samples).
   */
  baselinesStored?: boolean;
}

// Ratio and latency metrics mean something only over enough events; counts always do.
// An error ratio also needs a few errors: 2 failures in 30 spans is 6.7 %, and noise.
const GUARDS: Partial<Record<Metric, string>> = {
  error_ratio: 'spans >= {min_events:UInt64} AND error_spans >= {min_errors:UInt64}',
  p50_ms: 'spans >= {min_events:UInt64}',
  p95_ms: 'spans >= {min_events:UInt64}',
  p99_ms: 'spans >= {min_events:UInt64}',
  error_log_ratio: 'logs >= {min_events:UInt64} AND error_logs >= {min_errors:UInt64}',
};

/**
 * A measure a rule compares, in a rolled-up window: `value`, judged only where `guard` holds; `key`
 * names it in the baselines map (an SQL literal or parameter), `column` in the baseline columns.
 */
interface CompiledMeasure {
  value: string;
  guard: string;
  key: string;
  column: string;
}

type Labels = ReadonlyMap<string, { index: number }>;

// A metric measure is judged where the window has its value.
function measureOf(measure: Measure, labels: Labels): CompiledMeasure {
  if (isMetricMeasure(measure)) {
    const { index } = labels.get(metricLabel(measure))!;
    return { value: `metric_values[${labelParam(index)}]`, guard: `mapContains(metric_values, ${labelParam(index)})`, key: labelParam(index), column: `metric_${index}` };
  }
  const { metric } = measure;
  // The configuration schema allows only [a-z_] after the dot, so the key is safe in the text.
  const value = metric.startsWith('device_events.') ? `toFloat64(device_events['${metric.slice('device_events.'.length)}'])` : `toFloat64(${metric})`;
  return { value, guard: GUARDS[metric as Metric] ?? '1', key: `'${metric}'`, column: metric.replace('.', '__') };
}

const MANN_WHITNEY_WINDOWS = 5;
// Of each baseline window's sample (itself a uniform sample), the first values: 5 × 16 against the
// window's 32 are plenty for a shift worth waking for, and keep every row's frame small.
const BASELINE_SAMPLE_PER_WINDOW = 16;

const latencyGuard = GUARDS.p50_ms!;

/** What a seasonal rule compares a window with: the same window this many seconds before (a day, a week). */
const SEASONS = [86400, 7 * 86400];

/** The windows the statement judges, without their baselines (the parameters from and to). */
const ASKED_RANGE = "window_start >= toDateTime({from:UInt32}, 'UTC') AND window_start < toDateTime({to:UInt32}, 'UTC')";

/** The baseline windows before the asked ones, in window_health. */
const STORED_BASELINE_RANGE = "window >= toDateTime({from:UInt32} - {baseline_windows:UInt32} * {window:UInt32}, 'UTC') AND window < toDateTime({from:UInt32}, 'UTC')";

/**
 * Whether a rule can fire or judge a window without metric values: any but one that measures only
 * metrics. A seasonal rule stays: its references come from past days, which may hold metrics.
 */
const needsNoMetrics = (rule: Rule): boolean => rule.kind === 'seasonal' || rule.kind === 'mann_whitney' || !ruleMeasures(rule).every(isMetricMeasure);

/** The distinct measures of the rules of `kinds`, compiled. */
function measuresOf(rules: readonly Rule[], kinds: ReadonlyArray<Rule['kind']>, labels: Labels): CompiledMeasure[] {
  const measures = new Map<string, CompiledMeasure>();
  for (const measure of rules.filter((r) => kinds.includes(r.kind)).flatMap(ruleMeasures)) {
    const compiled = measureOf(measure, labels);
    measures.set(compiled.column, compiled);
  }
  return [...measures.values()];
}

/** A robust deviation: the median absolute deviation, scaled to a normal distribution's sigma. */
const robustDeviation = (column: string, floor = '1e-9'): string => `greatest(1.4826 * mad_${column}, ${floor})`;

/**
 * An anomaly score: the robust z-scores of the rule's measures, each only above its median (more
 * errors, more latency; a measure getting better is no anomaly), combined as a root-sum-square.
 * The square root of a sum of squares rather than the largest: two measures each three deviations
 * out (errors and latency up together) score 4.2 where the largest says 3, while a single measure
 * alone scores its own z, as a baseline rule judges it. (Under no change, with independent measures,
 * the squares sum to at most a chi-square of as many degrees as measures: a score above 4 is one
 * window in a thousand or rarer for two or three.)
 */
function anomalyScore(rule: Extract<Rule, { kind: 'anomaly_score' }>, index: number, labels: Labels): string {
  const terms = rule.measures.map((measure) => {
    const { value, guard, column: c } = measureOf(measure, labels);
    const deviation = robustDeviation(c, `{rule_${index}_spread:Float64} * abs(median_${c}), 1e-9`);
    return `if(${guard} AND length(base_${c}) >= 3, pow(greatest(0, (${value} - median_${c}) / ${deviation}), 2), 0)`;
  });
  return `sqrt(${terms.join(' + ')}) AS anomaly_score_${index}`;
}

function ruleCondition(rule: Rule, index: number, labels: Labels): string {
  const limit = `{rule_${index}:Float64}`;
  switch (rule.kind) {
    case 'mann_whitney':
      return `latency_test.2 < ${limit} AND p50_ms > {rule_${index}_shift:Float64} * base_p50`;
    case 'anomaly_score':
      return `anomaly_score_${index} > ${limit}`;
  }
  const { value, guard, column: c } = measureOf(rule, labels);
  const atLeast = `{rule_${index}_at_least:Float64}`;
  switch (rule.kind) {
    case 'threshold':
      return `${guard} AND ${value} > ${limit}`;
    case 'baseline':
      return `${guard} AND length(base_${c}) >= 3 AND ${value} > greatest(${atLeast}, median_${c} + ${limit} * ${robustDeviation(c)})`;
    case 'baseline_factor':
      return `${guard} AND base_count_${c} >= 3 AND ${value} > greatest(${atLeast}, ${limit} * median_${c})`;
    case 'seasonal':
      return `${guard} AND season_refs_${c} > 0 AND ${value} > greatest(${atLeast}, ${limit} * season_${c})`;
  }
}

function ruleParams(rule: Rule, index: number): Record<string, unknown> {
  switch (rule.kind) {
    case 'threshold':
      return { [`rule_${index}`]: rule.above };
    case 'baseline':
      return { [`rule_${index}`]: rule.deviations, [`rule_${index}_at_least`]: rule.at_least };
    case 'baseline_factor':
    case 'seasonal':
      return { [`rule_${index}`]: rule.factor, [`rule_${index}_at_least`]: rule.at_least };
    case 'mann_whitney':
      return { [`rule_${index}`]: rule.p_value, [`rule_${index}_shift`]: rule.min_shift };
    case 'anomaly_score':
      return { [`rule_${index}`]: rule.above, [`rule_${index}_spread`]: rule.min_spread };
  }
}

/**
 * Each entity's windows in `range` (a condition on window_start), rolled up from the base windows
 * of entity_windows, and of metric_windows with `metrics`: an entity may have only spans and logs,
 * or only metrics (a host).
 */
function rollupSelect(rules: readonly Rule[], scope: Query, range: string, options: { metrics: boolean; latencySample: boolean }): Query {
  const metrics = options.metrics ? metricValuesSelect(rules, scope, range) : undefined;
  const entityRollup = `
            SELECT
                toStartOfInterval(window_start, toIntervalSecond({window:UInt32})) AS window,
                entity_kind,
                entity,
                sum(spans) AS spans,
                sum(error_spans) AS error_spans,
                if(spans > 0, error_spans / spans, 0) AS error_ratio,
                -- Only base windows with spans hold a digest: skipping the others' empty ones is a third less merging.
                quantilesTDigestMergeIf(0.5, 0.95, 0.99)(latency_ms, entity_windows.spans > 0) AS latency_quantiles,
                if(spans > 0, latency_quantiles[1], 0) AS p50_ms,
                if(spans > 0, latency_quantiles[2], 0) AS p95_ms,
                if(spans > 0, latency_quantiles[3], 0) AS p99_ms,
                ${options.latencySample ? `groupArraySampleMerge(${LATENCY_SAMPLE_SIZE}, 1)(latency_sample_ms) AS latency_sample,` : ''}
                sum(logs) AS logs,
                sum(error_logs) AS error_logs,
                if(logs > 0, error_logs / logs, 0) AS error_log_ratio,
                sumMap(device_events) AS device_events
            FROM entity_windows
            WHERE (${range})
              AND ${scope.sql}
            GROUP BY window, entity_kind, entity
`;
  return {
    sql: `
            SELECT * FROM (${entityRollup}) AS entity_rollup
            ${metrics ? `FULL OUTER JOIN (${metrics.sql}) AS metric_rollup USING (window, entity_kind, entity)` : ''}`,
    params: { ...scope.params, ...metrics?.params },
  };
}

/**
 * Per entity and judged window in [from, to), the seasonal rules' references: for each measure the
 * greatest of its judged values in the same window a day and a week before (`season_<column>`), and
 * how many of the two there were (`season_refs_<column>`, 0: no verdict).
 */
function seasonalSelect(rules: readonly Rule[], seasonal: readonly CompiledMeasure[], scope: Query): Query {
  // Two windows earlier than a season before `from`: the past window a judged window's time falls
  // in may start before it (a window need not divide a day), and a rate needs its previous window.
  const range = SEASONS.map((lag) => `(window_start >= toDateTime({from:UInt32} - ${lag} - 2 * {window:UInt32}, 'UTC') AND window_start < toDateTime({to:UInt32} - ${lag}, 'UTC'))`).join(' OR ');
  // With a metric among them, the past days' metric values: all the rules' measures, so that their
  // parameters are the same as the judged windows'.
  const metrics = seasonal.some((m) => m.column.startsWith('metric_'));
  const past = rollupSelect(rules, scope, range, { metrics, latencySample: false });
  const sql = `
SELECT judged_window AS window, entity_kind, entity,
    ${seasonal.map(({ column: c }) => `maxIf(value_${c}, judged_${c}) AS season_${c}, countIf(judged_${c}) AS season_refs_${c}`).join(',\n    ')}
FROM (
    SELECT entity_kind, entity,
        -- The judged window whose start, a season before, falls in this past window: the next
        -- aligned window after it a season later (the same one where the window divides a day).
        toStartOfInterval(window + toIntervalSecond(lag + {window:UInt32} - 1), toIntervalSecond({window:UInt32})) AS judged_window,
        ${seasonal.map((m) => `${m.value} AS value_${m.column}, ${m.guard} AS judged_${m.column}`).join(',\n        ')}
    FROM (${past.sql}) ARRAY JOIN [${SEASONS.join(', ')}] AS lag
)
WHERE judged_window >= toDateTime({from:UInt32}, 'UTC') AND judged_window < toDateTime({to:UInt32}, 'UTC')
GROUP BY judged_window, entity_kind, entity`;
  return { sql, params: past.params };
}

/**
 * One row per entity and window in [from, to) that has data: its metrics, whether it was judged
 * (enough events for some rule), the rules that fired, and the baselines they compared with (the
 * medians, and the seasonal references).
 */
function healthSelect(options: HealthQueryOptions): Query {
  const { rules } = options;
  const scope = scopeCondition(options.scope);
  const labels = metricMeasures(rules);
  const metricsRead = labels.size > 0 && options.metricsStored !== false;
  // Without metric values in the range, the rules that measure only metrics cannot fire nor judge a
  // window: they are left out of the statement, which spares ClickHouse half its analysis; their
  // baselines stay in the verdicts, as NaN (the median of none).
  const compiled = (rule: Rule): boolean => metricsRead || needsNoMetrics(rule);
  const baselineKinds: ReadonlyArray<Rule['kind']> = ['baseline', 'baseline_factor', 'anomaly_score'];
  const baselines = measuresOf(rules, baselineKinds, labels);
  // A measure whose spread a rule needs (the deviation from the median) keeps its baseline values
  // as an array; one only compared with its median (baseline_factor) has the median and the count
  // computed over the frame directly: the same values, without an array per row (2 to 4 % of
  // judging the day's CPU at 10 M).
  const spreadBaselines = measuresOf(rules.filter(compiled), ['baseline', 'anomaly_score'], labels);
  const spread = new Set(spreadBaselines.map((m) => m.column));
  const medianBaselines = measuresOf(rules.filter(compiled), ['baseline_factor'], labels).filter((m) => !spread.has(m.column));
  const computed = new Set([...spread, ...medianBaselines.map((m) => m.column)]);
  const seasonal = measuresOf(rules, ['seasonal'], labels);
  const usesMannWhitney = rules.some((r) => r.kind === 'mann_whitney');
  const frame = `(PARTITION BY entity_kind, entity ORDER BY window ROWS BETWEEN {baseline_windows:UInt32} PRECEDING AND 1 PRECEDING)`;
  const baseColumns = [
    ...spreadBaselines.map((m) => `groupArrayIf(${m.value}, ${m.guard}) OVER ${frame} AS base_${m.column}`),
    ...medianBaselines.flatMap((m) => [`countIf(${m.guard}) OVER ${frame} AS base_count_${m.column}`, `medianIf(${m.value}, ${m.guard}) OVER ${frame} AS median_${m.column}`]),
  ];
  // The latency test compares with the last MANN_WHITNEY_WINDOWS judged windows: enough values for
  // the test, at a fraction of the cost of the whole baseline.
  const sampleFrame = `(PARTITION BY entity_kind, entity ORDER BY window ROWS BETWEEN ${MANN_WHITNEY_WINDOWS} PRECEDING AND 1 PRECEDING)`;
  if (usesMannWhitney) {
    baseColumns.push(`arrayFlatten(groupArrayIf(arraySlice(latency_sample, 1, ${BASELINE_SAMPLE_PER_WINDOW}), ${latencyGuard}) OVER ${sampleFrame}) AS base_sample`);
    baseColumns.push(`groupArrayIf(p50_ms, ${latencyGuard}) OVER ${sampleFrame} AS base_p50s`);
  }
  const medianColumns = spreadBaselines.flatMap(({ column: c }) => [
    `arrayReduce('median', base_${c}) AS median_${c}`,
    `arrayReduce('median', arrayMap(v -> abs(v - median_${c}), base_${c})) AS mad_${c}`,
    `length(base_${c}) AS base_count_${c}`,
  ]);
  if (usesMannWhitney) {
    medianColumns.push(
      `arrayReduce('median', base_p50s) AS base_p50`,
      // The test runs only where the median moved enough for any latency rule to fire: it is the
      // costliest part of the query and most windows are nowhere near. A lambda over a one-or-none
      // array is how to make ClickHouse skip it: a plain if() computes both branches on every row.
      `arrayMap(pair -> arrayReduce('mannWhitneyUTest(\\'greater\\')', arrayConcat(pair.1, pair.2), arrayConcat(arrayMap(v -> 0, pair.1), arrayMap(v -> 1, pair.2))),
          arrayFilter(pair -> ${latencyGuard} AND length(pair.1) >= 10 AND length(base_p50s) >= 3 AND length(pair.2) >= 30 AND p50_ms > {mann_whitney_shift:Float64} * base_p50,
              [(latency_sample, base_sample)])) AS latency_tests`,
      `if(empty(latency_tests), (0., 1.), latency_tests[1]) AS latency_test`,
    );
  }
  // The rules compiled, each with its index in the configuration (which names its parameters).
  const judging = rules.flatMap((rule, i) => (compiled(rule) ? [{ rule, i }] : []));
  for (const { rule, i } of judging) if (rule.kind === 'anomaly_score') medianColumns.push(anomalyScore(rule, i, labels));
  const fired = judging.map(({ rule, i }) => `if(${ruleCondition(rule, i, labels)}, '${rule.name}', '')`);
  const judged = [...new Set(judging.flatMap(({ rule: r }) => (r.kind === 'mann_whitney' ? [latencyGuard] : ruleMeasures(r).map((m) => measureOf(m, labels).guard))))];
  let baselineMap = `CAST(${baselines.length > 0 ? `map(${baselines.map((m) => `${m.key}, ${computed.has(m.column) ? `median_${m.column}` : 'nan'}`).join(', ')})` : 'map()'}, 'Map(String, Float64)')`;
  // A seasonal reference is named `seasonal(<measure>)`, where the window has one.
  if (seasonal.length > 0) {
    const references = seasonal.map((m) => `concat('seasonal(', ${m.key}, ')'), if(season_refs_${m.column} > 0, season_${m.column}, nan)`);
    baselineMap = `mapConcat(${baselineMap}, mapFilter((label, value) -> NOT isNaN(value), map(${references.join(', ')})))`;
  }
  // The values of the metric measures of the rules that fired, and the scores of the anomaly rules
  // that fired (under the rule's name): the evidence a story names.
  const firedValues = judging.flatMap(({ rule, i }) => [
    ...ruleMeasures(rule)
      .filter(isMetricMeasure)
      .map((m) => `if(${ruleCondition(rule, i, labels)}, ${labelParam(labels.get(metricLabel(m))!.index)}, '')`),
    ...(rule.kind === 'anomaly_score' ? [`if(${ruleCondition(rule, i, labels)}, '${rule.name}', '')`] : []),
  ]);
  const scores = judging.flatMap(({ rule, i }) => (rule.kind === 'anomaly_score' ? [`'${rule.name}', anomaly_score_${i}`] : []));
  const values = [...(labels.size > 0 ? ['metric_values'] : []), ...(scores.length > 0 ? [`map(${scores.join(', ')})`] : [])];
  const valuesMap = values.length > 1 ? `mapConcat(${values.join(', ')})` : values[0];
  const metricsOfFired = firedValues.length > 0 ? `mapFilter((label, value) -> has([${firedValues.join(', ')}], label), ${valuesMap})` : 'map()';
  const baselinesStored = options.baselinesStored === true && !usesMannWhitney && !metricsRead;
  const rollup = rollupSelect(rules, scope, baselinesStored ? ASKED_RANGE : JUDGED_RANGE, { metrics: metricsRead, latencySample: usesMannWhitney });
  const measured = baselinesStored
    ? `SELECT ${MEASURE_COLUMNS} FROM (${storedHealth(undefined, 'health', STORED_BASELINE_RANGE).sql})
            UNION ALL
            SELECT ${MEASURE_COLUMNS} FROM (${rollup.sql})`
    : rollup.sql;
  // The metric rules read metric_values (an empty map where there is no metric to roll up) and
  // their measures' parameters.
  const unread = labels.size > 0 && !metricsRead ? metricValuesSelect(rules, scope) : undefined;
  const rolledUp = unread ? `SELECT *, CAST(map(), 'Map(String, Float64)') AS metric_values FROM (${measured})` : measured;
  const season = seasonal.length > 0 ? seasonalSelect(rules, seasonal, scope) : undefined;
  const windows = `
    SELECT *, ${medianColumns.length > 0 ? medianColumns.join(', ') : '1 AS _no_baselines'}
    FROM (
        SELECT *${baseColumns.length > 0 ? `, ${baseColumns.join(', ')}` : ''}
        FROM (${rolledUp}
        )
    )
    -- The baseline-only windows have served the window functions; only the asked ones go on.
    WHERE window >= toDateTime({from:UInt32}, 'UTC')`;
  const sql = `
SELECT ${MEASURE_COLUMNS},
    (${judged.join(' OR ')}) AS judged,
    arrayFilter(name -> name != '', [${fired.join(', ')}]) AS fired,
    ${baselineMap} AS baselines,
    CAST(${metricsOfFired}, 'Map(String, Float64)') AS metrics
FROM (${season ? `SELECT * FROM (${windows}) AS judged_windows LEFT JOIN (${season.sql}) AS seasons USING (window, entity_kind, entity)` : windows}
)`;
  const params: Record<string, unknown> = {
    ...rollup.params,
    ...unread?.params,
    ...season?.params,
    window: options.windowSeconds,
    from: options.from,
    to: options.to,
    baseline_windows: options.baselineWindows,
    min_events: options.minEvents,
    min_errors: options.minErrors,
  };
  const shifts = rules.flatMap((r) => (r.kind === 'mann_whitney' ? [r.min_shift] : []));
  if (shifts.length > 0) params.mann_whitney_shift = Math.min(...shifts);
  rules.forEach((rule, i) => Object.assign(params, ruleParams(rule, i)));
  return { sql, params };
}

/** Whether window_health holds any verdict of the windows in [from, to): a delete of none is skipped. */
export function healthStoredQuery(windowSeconds: number, from: number, to: number): DecodedQuery<{ stored: number }> {
  return {
    sql: "SELECT count() AS stored FROM (SELECT 1 FROM window_health WHERE window_seconds = {window:UInt32} AND window >= toDateTime({from:UInt32}, 'UTC') AND window < toDateTime({to:UInt32}, 'UTC') LIMIT 1)",
    params: { window: windowSeconds, from, to },
    decoder: { stored: number('stored') },
  };
}

/** Removes the verdicts of the windows in [from, to), before they are computed again. */
export function healthDelete(windowSeconds: number, from: number, to: number): Query {
  return {
    sql: "DELETE FROM window_health WHERE window_seconds = {window:UInt32} AND window >= toDateTime({from:UInt32}, 'UTC') AND window < toDateTime({to:UInt32}, 'UTC')",
    params: { window: windowSeconds, from, to },
  };
}

// A tick judges a window or a few, a few thousand rows: compiling the statement's expressions to
// machine code (ClickHouse's JIT, done again for each tick's new range) costs it more than it saves:
// 10 to 15 ms of a tick at 10 M (measured 2026-12-01).
const TICK_SETTINGS = 'SETTINGS compile_expressions = 0';

/** Computes the verdicts of every entity for the windows in [from, to) into window_health, inside ClickHouse. */
export function healthInsert(options: Omit<HealthQueryOptions, 'scope'>): Query {
  const select = healthSelect({ ...options, scope: undefined });
  return {
    sql: `
INSERT INTO window_health (window_seconds, ${VERDICT_COLUMNS}, computed_at)
SELECT {window:UInt32}, ${VERDICT_COLUMNS}, now64(3) FROM (${select.sql})${options.baselinesStored ? `\n${TICK_SETTINGS}` : ''}`,
    params: select.params,
  };
}

const STORED_RANGE = "window >= toDateTime({from:UInt32}, 'UTC') AND window < toDateTime({to:UInt32}, 'UTC')";

/**
 * The stored verdicts of a scope's entities for the windows in [from, to) (another `range` of
 * window_health's windows where given): what the scope questions
 * read. Backends behind one store may judge the same range at once (each deletes, then inserts), so
 * a window can hold two verdicts of an entity: the latest one counts.
 */
export function storedHealth(scope: Scope | undefined, prefix = 'health', range = STORED_RANGE): Query {
  const condition = scopeCondition(scope, prefix);
  return {
    sql: `
SELECT * FROM (
    SELECT ${VERDICT_COLUMNS}
    FROM window_health
    WHERE window_seconds = {window:UInt32} AND ${range} AND ${condition.sql}
    ORDER BY computed_at DESC
    LIMIT 1 BY window, entity_kind, entity
)`,
    params: condition.params,
  };
}

/** An entity's evidence in a verdict, from the columns named with `prefix`. */
export const evidenceDecoder = (prefix = ''): RowDecoder<Evidence> => ({
  entityKind: text(`${prefix}entity_kind`),
  entity: text(`${prefix}entity`),
  rules: strings(`${prefix}fired`),
  errorRatio: number(`${prefix}error_ratio`),
  p95Ms: number(`${prefix}p95_ms`),
  errorLogs: number(`${prefix}error_logs`),
  deviceEvents: counts(`${prefix}device_events`),
  baselines: counts(`${prefix}baselines`),
  metrics: counts(`${prefix}metrics`),
});

/** An unhealthy entity in one window (ISO time). */
export interface BadVerdict {
  window: string;
  evidence: Evidence;
}

/** The unhealthy verdicts of a scope's entities in the windows of [from, to) (Unix s), by window. */
export function badVerdictsQuery(scope: Scope | undefined, windowSeconds: number, from: number, to: number): DecodedQuery<BadVerdict> {
  const health = storedHealth(scope);
  const evidence = evidenceDecoder();
  return {
    sql: `
WITH health AS (${health.sql})
SELECT window, entity_kind, entity, fired, error_ratio, p95_ms, error_logs, device_events, baselines, metrics
FROM health
WHERE length(fired) > 0
ORDER BY window, entity_kind, entity`,
    params: { ...health.params, window: windowSeconds, from, to },
    decoder: { window: isoFromUtcText('window'), evidence: (row) => decodeRow(row, evidence) },
  };
}
