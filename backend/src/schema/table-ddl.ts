import { createTable, deduplicationWindowSetting, onCluster, ref, storedRef, ttl, type SchemaOptions } from './layout.js';
import type { TableName } from './tables.js';
import { LATENCY_SAMPLE_SIZE } from './windows.js';

// The tables of rollpoint, one builder each, for the layout SchemaOptions names (layout.ts).
// otel_logs, otel_traces and the otel_metrics_* tables keep the column names and types of the OpenTelemetry Collector's
// ClickHouse exporter, so dashboards and queries written for it work here. Released migrations
// call these builders: what a builder renders for a released migration is frozen (schema.test.ts),
// so a table changes by a new migration (ALTER TABLE …), never by editing its builder.

export const migrationsTable = (options: SchemaOptions): string[] =>
  createTable(
    {
      name: 'rollpoint_schema_migrations', engine: 'MergeTree',
      columns: `
    version UInt32,
    name String,
    applied_at DateTime64(3) DEFAULT now64(3)`,
      layout: `
ORDER BY version`,
    },
    options,
  );

// TimestampTime is kept (the exporter dropped it in 2026, which broke Grafana's default log query).
export const otelLogsTable = (options: SchemaOptions): string[] =>
  createTable(
    {
      name: 'otel_logs', engine: 'MergeTree',
      columns: `
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TimestampTime DateTime DEFAULT toDateTime(Timestamp),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    TraceFlags UInt8,
    SeverityText LowCardinality(String) CODEC(ZSTD(1)),
    SeverityNumber UInt8,
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    Body String CODEC(ZSTD(1)),
    ResourceSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion LowCardinality(String) CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    LogAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    EventName String CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_key mapKeys(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_log_attr_value mapValues(LogAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_lower_body lower(Body) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8`,
      layout: `
PARTITION BY toDate(TimestampTime)
PRIMARY KEY (ServiceName, TimestampTime)
ORDER BY (ServiceName, TimestampTime, Timestamp)
${ttl('TimestampTime', options)}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`,
    },
    options,
  );

export const otelTracesTable = (options: SchemaOptions): string[] =>
  createTable(
    {
      name: 'otel_traces', engine: 'MergeTree',
      columns: `
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1`,
      layout: `
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))
${ttl('toDateTime(Timestamp)', options)}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`,
    },
    options,
  );

/** Trace id -> time range, for finding a trace without scanning otel_traces (Grafana uses it). */
export const traceIdTsTable = (options: SchemaOptions): string[] =>
  createTable(
    {
      name: 'otel_traces_trace_id_ts', engine: 'MergeTree',
      columns: `
    TraceId String CODEC(ZSTD(1)),
    Start DateTime CODEC(Delta, ZSTD(1)),
    End DateTime CODEC(Delta, ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1`,
      layout: `
PARTITION BY toDate(Start)
ORDER BY (TraceId, Start)
${ttl('Start', options)}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`,
    },
    options,
  );

// The metrics tables of the Collector's exporter, one per kind of data point: the same leading
// columns (resource, scope, metric, the point's attributes and times), the kind's own, the same
// indexes and layout. Each keeps the deduplication window itself (migration 2 set it on the others).
const METRIC_POINT_COLUMNS = `
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName String CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),
    TimeUnix DateTime64(9) CODEC(Delta, ZSTD(1)),`;

const EXEMPLAR_COLUMNS = `
    Exemplars Nested (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime64(9),
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),`;

const COUNT_SUM_COLUMNS = `
    Count UInt64 CODEC(Delta, ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),`;

/** What a histogram and an exponential histogram end with. */
const HISTOGRAM_TAIL_COLUMNS = `${EXEMPLAR_COLUMNS}
    Flags UInt32 CODEC(ZSTD(1)),
    Min Float64 CODEC(ZSTD(1)),
    Max Float64 CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),`;

const METRIC_INDEXES = `
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1`;

const metricsTable = (name: TableName, kindColumns: string, options: SchemaOptions): string[] =>
  createTable(
    {
      name, engine: 'MergeTree',
      columns: `${METRIC_POINT_COLUMNS}${kindColumns}${METRIC_INDEXES}`,
      layout: `
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, Attributes, toUnixTimestamp64Nano(TimeUnix))
${ttl('toDateTime(TimeUnix)', options)}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, ${deduplicationWindowSetting(options)}`,
    },
    options,
  );

export const otelMetricsGaugeTable = (options: SchemaOptions): string[] =>
  metricsTable('otel_metrics_gauge', `
    Value Float64 CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),${EXEMPLAR_COLUMNS}`, options);

export const otelMetricsSumTable = (options: SchemaOptions): string[] =>
  metricsTable('otel_metrics_sum', `
    Value Float64 CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),${EXEMPLAR_COLUMNS}
    AggregationTemporality Int32 CODEC(ZSTD(1)),
    IsMonotonic Boolean CODEC(Delta, ZSTD(1)),`, options);

export const otelMetricsHistogramTable = (options: SchemaOptions): string[] =>
  metricsTable('otel_metrics_histogram', `${COUNT_SUM_COLUMNS}
    BucketCounts Array(UInt64) CODEC(ZSTD(1)),
    ExplicitBounds Array(Float64) CODEC(ZSTD(1)),${HISTOGRAM_TAIL_COLUMNS}`, options);

export const otelMetricsExponentialHistogramTable = (options: SchemaOptions): string[] =>
  metricsTable('otel_metrics_exponential_histogram', `${COUNT_SUM_COLUMNS}
    Scale Int32 CODEC(ZSTD(1)),
    ZeroCount UInt64 CODEC(ZSTD(1)),
    PositiveOffset Int32 CODEC(ZSTD(1)),
    PositiveBucketCounts Array(UInt64) CODEC(ZSTD(1)),
    NegativeOffset Int32 CODEC(ZSTD(1)),
    NegativeBucketCounts Array(UInt64) CODEC(ZSTD(1)),${HISTOGRAM_TAIL_COLUMNS}`, options);

export const otelMetricsSummaryTable = (options: SchemaOptions): string[] =>
  metricsTable('otel_metrics_summary', `${COUNT_SUM_COLUMNS}
    ValueAtQuantiles Nested (
        Quantile Float64,
        Value Float64
    ) CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),`, options);

/** Tables filled by ingest, directly or through a materialized view. */
const INGESTED_TABLES = ['otel_logs', 'otel_traces', 'otel_traces_trace_id_ts'] as const;

export const deduplicationWindows = (options: SchemaOptions): string[] =>
  INGESTED_TABLES.map((table) => `ALTER TABLE ${storedRef(table, options)}${onCluster(options)} MODIFY SETTING ${deduplicationWindowSetting(options)}`);

/**
 * The latest watermark of each source: an agent (its id; the watermark it reports, in receive
 * time) or a direct OTLP sender (its token name or address; the latest event time it sent).
 * ReplacingMergeTree keeps the last row per source; read it with FINAL.
 */
export const sourceWatermarksTable = (options: SchemaOptions): string[] =>
  createTable(
    {
      name: 'source_watermarks', engine: 'ReplacingMergeTree', version: 'last_seen',
      columns: `
    source String,
    kind LowCardinality(String),
    watermark DateTime64(3, 'UTC'),
    last_seen DateTime64(3, 'UTC')`,
      layout: `
ORDER BY source`,
    },
    options,
  );

/**
 * Per entity and base window: span count, error spans, latency (t-digest quantile state and a
 * LATENCY_SAMPLE_SIZE sample for the Mann-Whitney rule, in milliseconds), log counts by severity band and device event
 * counts by rollpoint.event.kind. Sorted by time first, in small granules: every health question
 * reads a time range (the windows asked for and their baseline), across entities.
 */
export const entityWindowsTable = (options: SchemaOptions): string[] =>
  createTable(
    {
      name: 'entity_windows', engine: 'AggregatingMergeTree',
      columns: `
    window_start DateTime('UTC'),
    entity_kind LowCardinality(String),
    entity String,
    spans SimpleAggregateFunction(sum, UInt64),
    error_spans SimpleAggregateFunction(sum, UInt64),
    latency_ms AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64),
    latency_sample_ms AggregateFunction(groupArraySample(${LATENCY_SAMPLE_SIZE}, 1), Float64),
    logs SimpleAggregateFunction(sum, UInt64),
    warn_logs SimpleAggregateFunction(sum, UInt64),
    error_logs SimpleAggregateFunction(sum, UInt64),
    device_events SimpleAggregateFunction(sumMap, Map(String, UInt64))`,
      layout: `
PARTITION BY toDate(window_start)
ORDER BY (window_start, entity_kind, entity)
${ttl('window_start', options)}
SETTINGS index_granularity = 1024, ${deduplicationWindowSetting(options)}`,
    },
    options,
  );

/**
 * Per entity, base window and metric series (name, point attributes, temporality): what the metric
 * rules aggregate, rolled up from the otel_metrics_* tables by materialized views. Gauge and sum
 * points give count, min, max, sum and the last value with its time (a cumulative sum's rate is the
 * last value's increase over the previous window's); histogram points give their observations'
 * min, max, sum and count, their bounds, and bucket counts (summed for delta points, the last ones
 * for cumulative points) for quantiles.
 */
export const metricWindowsTable = (options: SchemaOptions): string[] =>
  createTable(
    {
      name: 'metric_windows', engine: 'AggregatingMergeTree',
      columns: `
    window_start DateTime('UTC'),
    entity_kind LowCardinality(String),
    entity String,
    metric_name LowCardinality(String),
    attributes Map(LowCardinality(String), String),
    temporality Int32,
    points SimpleAggregateFunction(sum, UInt64),
    min_value SimpleAggregateFunction(min, Float64),
    max_value SimpleAggregateFunction(max, Float64),
    sum_value SimpleAggregateFunction(sum, Float64),
    last_value AggregateFunction(argMax, Float64, DateTime64(9)),
    last_time SimpleAggregateFunction(max, DateTime64(9)),
    bounds SimpleAggregateFunction(any, Array(Float64)),
    bucket_counts AggregateFunction(sumForEach, Array(UInt64)),
    last_bucket_counts AggregateFunction(argMax, Array(UInt64), DateTime64(9))`,
      layout: `
PARTITION BY toDate(window_start)
ORDER BY (window_start, entity_kind, entity, metric_name, attributes, temporality)
${ttl('window_start', options)}
SETTINGS index_granularity = 1024, ${deduplicationWindowSetting(options)}`,
    },
    options,
  );

/** The metric rules' values of each verdict, by their labels (`max(system.filesystem.utilization)`). */
export const windowHealthMetricsColumn = (options: SchemaOptions): string =>
  `ALTER TABLE ${storedRef('window_health', options)}${onCluster(options)} ADD COLUMN IF NOT EXISTS metrics Map(String, Float64)`;

/** Each (service, service.version) pair with the first and last time it was seen: deploys. */
export const serviceVersionsTable = (options: SchemaOptions): string[] =>
  createTable(
    {
      name: 'service_versions', engine: 'AggregatingMergeTree',
      columns: `
    service String,
    version String,
    first_seen SimpleAggregateFunction(min, DateTime64(9, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(9, 'UTC'))`,
      layout: `
ORDER BY (service, version)
${ttl('toDateTime(last_seen)', options)}
SETTINGS ${deduplicationWindowSetting(options)}`,
    },
    options,
  );

/**
 * Changes recorded as events: markers posted to the API and devices' config changes (from syslog
 * and traps, by a materialized view). Deploys come from service_versions; the view `changes`
 * shows all of them.
 */
export const changeEventsTable = (options: SchemaOptions): string[] =>
  createTable(
    {
      name: 'change_events', engine: 'MergeTree',
      columns: `
    time DateTime64(3, 'UTC'),
    entity_kind LowCardinality(String),
    entity String,
    kind LowCardinality(String),
    title String,
    author String,
    description String,
    source LowCardinality(String)`,
      layout: `
PARTITION BY toDate(time)
ORDER BY (entity_kind, entity, time)
${ttl('toDateTime(time)', options)}
SETTINGS ${deduplicationWindowSetting(options)}`,
    },
    options,
  );

/** The incidents found by the latest recompute of each range, for analysts (the API computes afresh). */
export const incidentsTable = (options: SchemaOptions): string[] =>
  createTable(
    {
      name: 'incidents', engine: 'ReplacingMergeTree', version: 'computed_at',
      columns: `
    id String,
    scope LowCardinality(String),
    start DateTime('UTC'),
    end DateTime('UTC'),
    status LowCardinality(String),
    windows UInt32,
    peak_entities UInt32,
    first_entity_kind LowCardinality(String),
    first_entity String,
    first_rules Array(String),
    checkpoint Nullable(DateTime('UTC')),
    suspects Array(String),
    computed_at DateTime64(3, 'UTC')`,
      layout: `
ORDER BY (scope, start)
${ttl('start', options)}`,
    },
    options,
  );

/** Checkpoints with the state they carry: one per incident, and the scope's checkpoint as of now (incident_id ''). */
export const checkpointsTable = (options: SchemaOptions): string[] =>
  createTable(
    {
      name: 'checkpoints', engine: 'ReplacingMergeTree', version: 'computed_at',
      columns: `
    scope LowCardinality(String),
    incident_id String,
    checkpoint Nullable(DateTime('UTC')),
    state String,
    computed_at DateTime64(3, 'UTC')`,
      layout: `
ORDER BY (scope, incident_id)
${ttl('toDateTime(computed_at)', options)}`,
    },
    options,
  );

/**
 * Each entity's verdict per window, computed once when the window is complete (by the health SQL)
 * and read by every scope question: incidents, checkpoints, evidence. Keyed by window size, so a
 * configuration with another window does not read verdicts made for this one. A range judged again
 * is deleted first, so reads need no FINAL.
 */
export const windowHealthTable = (options: SchemaOptions): string[] =>
  createTable(
    {
      name: 'window_health', engine: 'MergeTree',
      columns: `
    window_seconds UInt32,
    window DateTime('UTC'),
    entity_kind LowCardinality(String),
    entity String,
    spans UInt64,
    error_spans UInt64,
    error_ratio Float64,
    p50_ms Float64,
    p95_ms Float64,
    p99_ms Float64,
    logs UInt64,
    error_logs UInt64,
    error_log_ratio Float64,
    device_events Map(String, UInt64),
    judged Bool,
    fired Array(String),
    baselines Map(String, Float64),
    computed_at DateTime64(3, 'UTC')`,
      layout: `
PARTITION BY toDate(window)
ORDER BY (window_seconds, window, entity_kind, entity)
${ttl('window', options)}`,
    },
    options,
  );

/**
 * Webhook notifications that reached their end: delivered (never sent again, across restarts too)
 * or failed after the last attempt (shown by `rollpoint status`). One row per notification.
 */
export const webhookDeliveriesTable = (options: SchemaOptions): string[] =>
  createTable(
    {
      name: 'webhook_deliveries',
      engine: 'MergeTree',
      columns: `
    time DateTime64(3, 'UTC'),
    webhook String,
    delivery_id String,
    incident_id String,
    scope LowCardinality(String),
    event LowCardinality(String),
    outcome LowCardinality(String),
    attempts UInt32,
    http_status UInt16,
    error String`,
      layout: `
PARTITION BY toDate(time)
ORDER BY (webhook, time)
${ttl('toDateTime(time)', options)}`,
    },
    options,
  );

/**
 * The batch ids the write path has stored, kept for a week: longer than any agent retries a batch
 * it holds. The backend writes a coalesced insert's batch ids here once the insert has succeeded,
 * and before writing the next one asks which of its batch ids are here already: those batches were
 * stored before (a retry after a lost acknowledgement) and are answered without storing them
 * again. Small granules: each check looks up a few hundred random ids.
 */
export const ingestedBatchesTable = (options: SchemaOptions): string[] =>
  createTable(
    {
      name: 'ingested_batches', engine: 'ReplacingMergeTree',
      columns: `
    batch_id String,
    stored_at DateTime DEFAULT now()`,
      layout: `
ORDER BY batch_id
TTL stored_at + toIntervalDay(7)
SETTINGS index_granularity = 256`,
    },
    options,
  );


/**
 * Device address ↔ name pairs learned from stored syslog and traps (one row per pair, so an address
 * seen under two names, a relay's, stays known as such), read back at start.
 */
export const learnedDevicesTable = (options: SchemaOptions): string[] =>
  createTable(
    {
      name: 'learned_devices', engine: 'ReplacingMergeTree', version: 'learned_at',
      columns: `
    address String,
    name String,
    learned_at DateTime64(3, 'UTC') DEFAULT now64(3)`,
      layout: `
ORDER BY (address, name)`,
    },
    options,
  );

/**
 * Device config revisions read from a config repository (Oxidized, RANCID): one row per commit
 * that changed a device's file, with the file's blob at that commit. Several backends reading the
 * same repository store the same rows: ReplacingMergeTree keeps one, read it with FINAL. No TTL:
 * the revision to restore may be months old.
 */
export const configCommitsTable = (options: SchemaOptions): string[] =>
  createTable(
    {
      name: 'config_commits', engine: 'ReplacingMergeTree',
      columns: `
    time DateTime64(3, 'UTC'),
    device String,
    path String,
    commit String,
    blob String,
    author String,
    message String`,
      layout: `
ORDER BY (device, commit)`,
    },
    options,
  );

/**
 * Migration 10: the time each row was stored, for the TTL of rows whose event time is implausible
 * (a device's clock in 1970; retention.ts). The tables' names stay literal here: the migration is frozen.
 *
 * A column added with DEFAULT now() would read as the time of reading from parts written before
 * (and as the merge's time once merged), so rows stored long ago would look just stored and
 * their old event times implausible: kept again for a whole retention. So the old parts get the
 * event time as their stored time — their TTL stays what it was — by adding the column with that
 * default and materializing it (one small column written into every part, waited for), and only
 * then does the default become now(). The tables are partitioned by event time, so a wrong clock's
 * rows share a partition (1970-01-01) whatever their stored times; TTL removes expired rows from
 * it as its parts merge. Run again after its last statement (a crash before it was recorded, two
 * backends migrating at once), the materialization writes now() instead: the rows stored before
 * would be kept up to one retention longer than their event time says, never lost.
 */
export function storedTimeColumns(options: SchemaOptions): string[] {
  const stored: Array<[TableName, string, string]> = [
    ['otel_logs', 'StoredTime', 'TimestampTime'],
    ['otel_traces', 'StoredTime', 'toDateTime(Timestamp)'],
    ['otel_traces_trace_id_ts', 'StoredTime', 'Start'],
    ['otel_metrics_gauge', 'StoredTime', 'toDateTime(TimeUnix)'],
    ['otel_metrics_sum', 'StoredTime', 'toDateTime(TimeUnix)'],
    ['otel_metrics_histogram', 'StoredTime', 'toDateTime(TimeUnix)'],
    ['otel_metrics_exponential_histogram', 'StoredTime', 'toDateTime(TimeUnix)'],
    ['otel_metrics_summary', 'StoredTime', 'toDateTime(TimeUnix)'],
    ['change_events', 'stored_at', 'toDateTime(time)'],
  ];
  const ttlOnly: TableName[] = ['entity_windows', 'metric_windows', 'window_health', 'incidents', 'checkpoints', 'service_versions', 'webhook_deliveries'];
  const alter = (table: TableName) => `ALTER TABLE ${storedRef(table, options)}${onCluster(options)}`;
  // MODIFY TTL then only recalculates each part's TTL, rewriting no data (retention.ts).
  const recalculateOnly = 'MODIFY SETTING materialize_ttl_recalculate_only = 1';
  return [
    ...stored.flatMap(([table, column, eventTime]) => [
      `${alter(table)} ADD COLUMN IF NOT EXISTS ${column} DateTime DEFAULT ${eventTime} CODEC(Delta, ZSTD(1)), ${recalculateOnly}`,
      `${alter(table)} MATERIALIZE COLUMN ${column}\nSETTINGS mutations_sync = 2`,
      `${alter(table)} MODIFY COLUMN ${column} DEFAULT now()`,
      // A Distributed table over the shards shows the column too.
      ...(storedRef(table, options) === ref(table, options) ? [] : [`ALTER TABLE ${ref(table, options)}${onCluster(options)} ADD COLUMN IF NOT EXISTS ${column} DateTime DEFAULT now()`]),
    ]),
    ...ttlOnly.map((table) => `${alter(table)} ${recalculateOnly}`),
  ];
}

/**
 * Every write through the API (and the offline restore): who did what, from where, and the answer.
 * Kept for as long as the table lives (no TTL): an audit trail that expires would not be one.
 */
export const auditLogTable = (options: SchemaOptions): string[] =>
  createTable(
    {
      name: 'audit_log',
      engine: 'MergeTree',
      columns: `
    time DateTime64(3, 'UTC'),
    token_name String,
    role LowCardinality(String),
    address String,
    method LowCardinality(String),
    route String,
    action LowCardinality(String),
    detail String,
    status UInt16`,
      layout: `
PARTITION BY toYYYYMM(time)
ORDER BY time`,
    },
    options,
  );

/**
 * The backup catalogue: one row per state of a backup (creating, then created or failed), the
 * newest by `updated` standing (read with FINAL). It sits in the database it catalogues, so every
 * backup carries the catalogue of the backups before it and of itself as being created. No TTL.
 */
export const backupsTable = (options: SchemaOptions): string[] =>
  createTable(
    {
      name: 'backups', engine: 'ReplacingMergeTree', version: 'updated',
      columns: `
    name String,
    time DateTime64(3, 'UTC'),
    base String,
    location String,
    status LowCardinality(String),
    size UInt64,
    error String,
    updated DateTime64(3, 'UTC') DEFAULT now64(3)`,
      layout: `
ORDER BY name`,
    },
    options,
  );
