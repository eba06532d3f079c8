import type { DeviceEventKind } from '@rollpoint/proto';
import { durationMs } from '@rollpoint/runtime';
import { z } from 'zod';
import { BASE_WINDOW_SECONDS } from '../schema/windows.js';

// The `checkpoints` section of the backend configuration: window size, scopes and health rules.
// Every key has a default, so checkpoints work with no configuration at all.

/** What a rule measures in one entity's window. */
export const METRICS = ['error_ratio', 'p50_ms', 'p95_ms', 'p99_ms', 'spans', 'error_spans', 'logs', 'error_logs', 'error_log_ratio'] as const;
export type Metric = (typeof METRICS)[number];

/** How a rule over an OTLP metric makes one value of the points of its series in a window. */
export const METRIC_AGGREGATIONS = ['max', 'min', 'avg', 'rate', 'quantile'] as const;
export type MetricAggregation = (typeof METRIC_AGGREGATIONS)[number];

const WINDOW_MEASURE = /^device_events\.[a-z_]+$/;
// OpenTelemetry instrument names, and Prometheus's (which may hold ':').
const OTLP_METRIC_NAME = /^[A-Za-z_:][A-Za-z0-9_.:/-]{0,254}$/;

/**
 * What a rule measures: a window measure (`p95_ms`, `device_events.link_down`), or with an
 * `aggregation` an OTLP metric of the otel_metrics_* tables, its series optionally filtered by
 * point attributes.
 */
const measure = {
  metric: z.string(),
  aggregation: z.enum(METRIC_AGGREGATIONS).optional(),
  /** The quantile of a histogram metric's observations, with `aggregation: quantile`. */
  quantile: z.number().gt(0).lt(1).optional(),
  /** Only the series whose point attributes have these values. */
  attributes: z.record(z.string().min(1), z.string()).optional(),
};

export type Measure = z.output<z.ZodObject<typeof measure>>;

/** The measure's keys agree with one another; an issue names the key at fault. */
function checkMeasure(rule: Measure, ctx: z.RefinementCtx): void {
  const issue = (key: keyof Measure, message: string) => ctx.addIssue({ code: 'custom', path: [key], message });
  if (rule.aggregation === undefined) {
    if (!(METRICS as readonly string[]).includes(rule.metric) && !WINDOW_MEASURE.test(rule.metric)) issue('metric', 'a metric name or device_events.<kind>; an OTLP metric needs an aggregation');
    if (rule.attributes !== undefined) issue('attributes', 'only with an aggregation (an OTLP metric)');
  } else if (!OTLP_METRIC_NAME.test(rule.metric)) issue('metric', 'an OTLP metric name');
  if ((rule.aggregation === 'quantile') !== (rule.quantile !== undefined)) issue('quantile', 'with aggregation quantile, and only then');
}

const ruleName = z.string().regex(/^[a-z0-9_]+$/);

/** A rule of `kind` over a measure, with the fields of its kind (each is checked by checkMeasure). */
const measureRule = <K extends string, F extends z.ZodRawShape>(kind: K, fields: F) => z.strictObject({ name: ruleName, kind: z.literal(kind), ...measure, ...fields });

/** A rule that fires when a window's metric is above a fixed value. */
const thresholdRule = measureRule('threshold', { above: z.number() }).superRefine(checkMeasure);

/** Fires when the metric is above the median of the entity's preceding windows by `deviations` robust deviations (MAD). */
const baselineRule = measureRule('baseline', {
  deviations: z.number().positive().default(4),
  /** Never fires below this value, however quiet the baseline (an error ratio of 0.2 % after 0 % is no incident). */
  at_least: z.number().default(0),
}).superRefine(checkMeasure);

/** Fires when the metric is above `factor` times the median of the entity's preceding windows. */
const baselineFactorRule = measureRule('baseline_factor', { factor: z.number().positive(), at_least: z.number().default(0) }).superRefine(checkMeasure);

/**
 * Fires when the window's latency sample is greater than the baseline's by ClickHouse's
 * mannWhitneyUTest (one-sided), as Kayenta's judge compares canary and baseline.
 */
const mannWhitneyRule = z.strictObject({
  name: ruleName,
  kind: z.literal('mann_whitney'),
  p_value: z.number().positive().max(0.5).default(0.001),
  /** And the window's median latency at least this many times the baseline's (a shift worth waking for). */
  min_shift: z.number().min(1).default(1.5),
});

/**
 * For traffic with a daily shape: fires when the metric is above `factor` times its value in the
 * same window a day and a week before (the greater of the two where both exist: a window has to
 * stand out from yesterday's and from last week's). Where neither exists, or neither had enough
 * events to judge, the rule gives no verdict: not bad.
 */
const seasonalRule = measureRule('seasonal', { factor: z.number().positive().default(2), at_least: z.number().default(0) }).superRefine(checkMeasure);

/** The measures an anomaly score combines when its rule names none: the span and log health of a service. */
const ANOMALY_MEASURES: Measure[] = [{ metric: 'error_ratio' }, { metric: 'p95_ms' }, { metric: 'error_log_ratio' }];

/**
 * Fires when the entity's anomaly score is above `above`: the robust z-scores of its `measures`
 * against its baseline windows (distance above the median in 1.4826 × MAD), combined as a
 * root-sum-square, so that several measures shifted together fire where none would alone.
 */
const anomalyScoreRule = z.strictObject({
  name: ruleName,
  kind: z.literal('anomaly_score'),
  measures: z.array(z.strictObject(measure).superRefine(checkMeasure)).min(1).default(ANOMALY_MEASURES),
  above: z.number().positive().default(4),
  /** The least robust deviation, as a share of the baseline median: a flat baseline does not make every wiggle an anomaly. */
  min_spread: z.number().nonnegative().default(0.1),
});

export const ruleSchema = z.discriminatedUnion('kind', [thresholdRule, baselineRule, baselineFactorRule, mannWhitneyRule, seasonalRule, anomalyScoreRule]);
export type Rule = z.output<typeof ruleSchema>;

/** Rules that work with no configuration. */
export const DEFAULT_RULES: Rule[] = [
  { name: 'span_error_ratio', kind: 'threshold', metric: 'error_ratio', above: 0.05 },
  { name: 'p95_latency', kind: 'threshold', metric: 'p95_ms', above: 800 },
  { name: 'link_down', kind: 'threshold', metric: `device_events.${'link_down' satisfies DeviceEventKind}`, above: 0 },
  { name: 'error_ratio_baseline', kind: 'baseline', metric: 'error_ratio', deviations: 4, at_least: 0.02 },
  { name: 'p95_baseline', kind: 'baseline_factor', metric: 'p95_ms', factor: 3, at_least: 100 },
  // The hostmetrics receiver's names. Read-only filesystems (a squashfs, an ISO) are full by design.
  { name: 'filesystem_utilization', kind: 'threshold', metric: 'system.filesystem.utilization', aggregation: 'max', attributes: { mode: 'rw' }, above: 0.95 },
  { name: 'memory_utilization', kind: 'threshold', metric: 'system.memory.utilization', aggregation: 'max', attributes: { state: 'used' }, above: 0.95 },
  // A host's CPUs busy in user code for most of a window, where they used to be a third of that or less.
  { name: 'cpu_utilization_baseline', kind: 'baseline_factor', metric: 'system.cpu.utilization', aggregation: 'avg', attributes: { state: 'user' }, factor: 3, at_least: 0.8 },
];

/**
 * The statistical latency rule, not among the defaults: it about doubles the cost of judging a day
 * (docs/BENCHMARKS.md), and p95_baseline catches most of what it would. Add it to `rules` to use it.
 */
export const LATENCY_SHIFT_RULE: Rule = { name: 'latency_shift', kind: 'mann_whitney', p_value: 0.001, min_shift: 2 };

/**
 * Not among the defaults: a seasonal rule reads the windows a day and a week before as well, and
 * the anomaly score the baselines of several measures (their cost: docs/BENCHMARKS.md). Examples
 * to add to `rules`: more than twice the errors of the same window a day and a week before, and
 * the span and log health shifted together.
 */
export const SEASONAL_ERRORS_RULE: Rule = { name: 'error_spans_seasonal', kind: 'seasonal', metric: 'error_spans', factor: 2, at_least: 20 };
export const ANOMALY_SCORE_RULE: Rule = { name: 'anomaly_score', kind: 'anomaly_score', measures: ANOMALY_MEASURES, above: 4, min_spread: 0.1 };

/** Entity names or patterns (`*` any run of characters). */
const patterns = z.array(z.string().min(1)).default([]);

export const scopeSchema = z.strictObject({ services: patterns, hosts: patterns, devices: patterns });
export type Scope = z.output<typeof scopeSchema>;

export const DEFAULT_SCOPE = 'default';

/** A window size: a multiple of the stored base windows. */
export const windowSchema = durationMs.refine((ms) => ms >= BASE_WINDOW_SECONDS * 1000 && ms <= 86_400_000 && ms % (BASE_WINDOW_SECONDS * 1000) === 0, `a multiple of ${BASE_WINDOW_SECONDS}s, at most 1d`);

export const checkpointsConfigSchema = z
  .strictObject({
    /** The window health is judged over: a multiple of the stored base windows. */
    window: windowSchema.default(60000),
    /** Healthy windows with no change in them that make a state a checkpoint. */
    stable_windows: z.number().int().positive().default(3),
    /** Preceding windows of the same entity that form its baseline. */
    baseline_windows: z.number().int().min(3).default(30),
    /** Fewer events than this (spans, logs or device events) in a window: not judged; "no data" when none. */
    min_events: z.number().int().nonnegative().default(20),
    /** Error ratio rules also need this many errors in a window (2 failures in 30 requests is noise, not 6.7 %). */
    min_errors: z.number().int().nonnegative().default(5),
    /** A source silent for this long is stale: left out of completeness, and named. */
    stale_after: durationMs.default(300000),
    /** Named sets of entities; `default` (everything) is always there. */
    scopes: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/), scopeSchema).default({}),
    rules: z.array(ruleSchema).min(1).default(DEFAULT_RULES),
    /**
     * Which hosts sit behind each device (a switch, a router, a firewall), by name or pattern: a
     * device's change is then near the services on those hosts, and on their requests' path.
     */
    topology: z.record(z.string().min(1), z.array(z.string().min(1)).min(1)).default({}),
    /** How often the recent range is recomputed into the incidents and checkpoints tables. */
    recompute_interval: durationMs.default(10000),
    /** How far back each recompute reaches. */
    recompute_range: durationMs.default(6 * 3600 * 1000),
  })
  .prefault({});

export type CheckpointsConfig = z.output<typeof checkpointsConfigSchema>;
