// All DDL of rollpoint. otel_logs and otel_traces keep the column names and types of the
// OpenTelemetry Collector's ClickHouse exporter, so dashboards and queries written for it work here.

export interface SchemaOptions {
  /** Rows older than this many days are dropped by TTL; 0 keeps them forever. */
  ttlDays: number;
}

const ttl = (column: string, { ttlDays }: SchemaOptions): string =>
  ttlDays > 0 ? `TTL ${column} + toIntervalDay(${Math.trunc(ttlDays)})` : '';

export const migrationsTable = (): string => `
CREATE TABLE IF NOT EXISTS rollpoint_schema_migrations (
    version UInt32,
    name String,
    applied_at DateTime64(3) DEFAULT now64(3)
) ENGINE = MergeTree
ORDER BY version`;

// TimestampTime is kept (the exporter dropped it in 2026, which broke Grafana's default log query).
export const otelLogsTable = (options: SchemaOptions): string => `
CREATE TABLE IF NOT EXISTS otel_logs (
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
    INDEX idx_lower_body lower(Body) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8
) ENGINE = MergeTree
PARTITION BY toDate(TimestampTime)
PRIMARY KEY (ServiceName, TimestampTime)
ORDER BY (ServiceName, TimestampTime, Timestamp)
${ttl('TimestampTime', options)}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`;

export const otelTracesTable = (options: SchemaOptions): string => `
CREATE TABLE IF NOT EXISTS otel_traces (
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
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1
) ENGINE = MergeTree
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))
${ttl('toDateTime(Timestamp)', options)}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`;

/** Trace id -> time range, for finding a trace without scanning otel_traces (Grafana uses it). */
export const traceIdTsTable = (options: SchemaOptions): string => `
CREATE TABLE IF NOT EXISTS otel_traces_trace_id_ts (
    TraceId String CODEC(ZSTD(1)),
    Start DateTime CODEC(Delta, ZSTD(1)),
    End DateTime CODEC(Delta, ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = MergeTree
PARTITION BY toDate(Start)
ORDER BY (TraceId, Start)
${ttl('Start', options)}
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`;

export const traceIdTsView = (): string => `
CREATE MATERIALIZED VIEW IF NOT EXISTS otel_traces_trace_id_ts_mv
TO otel_traces_trace_id_ts
AS SELECT
    TraceId,
    min(toDateTime(Timestamp)) AS Start,
    max(toDateTime(Timestamp)) AS End
FROM otel_traces
WHERE TraceId != ''
GROUP BY TraceId`;

/**
 * Inserts remembered per table for deduplication. A retried batch carries its first attempt's
 * insert_deduplication_token and is dropped if that insert is among the table's last this many;
 * at a few hundred inserts a second that covers minutes of retries. Every table an insert reaches
 * needs it, materialized views' targets too, or a deduplicated batch is still counted by the views.
 */
export const DEDUPLICATION_WINDOW = 10000;

/** Tables filled by ingest, directly or through a materialized view. */
const INGESTED_TABLES = ['otel_logs', 'otel_traces', 'otel_traces_trace_id_ts'] as const;

export const deduplicationWindows = (): string[] =>
  INGESTED_TABLES.map((table) => `ALTER TABLE ${table} MODIFY SETTING non_replicated_deduplication_window = ${DEDUPLICATION_WINDOW}`);

/**
 * The latest watermark of each source: an agent (its id; the watermark it reports, in receive
 * time) or a direct OTLP sender (its token name or address; the latest event time it sent).
 * ReplacingMergeTree keeps the last row per source; read it with FINAL.
 */
export const sourceWatermarksTable = (): string => `
CREATE TABLE IF NOT EXISTS source_watermarks (
    source String,
    kind LowCardinality(String),
    watermark DateTime64(3, 'UTC'),
    last_seen DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(last_seen)
ORDER BY source`;

// Rollback checkpoints. Every signal is aligned at insert time into windows of BASE_WINDOW_SECONDS
// per entity by materialized views, so health is computed from these small tables and the raw
// ones are never rescanned; a larger window is a roll-up of base windows.

export const BASE_WINDOW_SECONDS = 10;

/**
 * Latency values kept per window (a uniform sample) for the Mann-Whitney rule. 32 against the
 * baseline's 80 finds a doubled median at p far below 0.001, and merging samples is a large part of
 * a recompute's cost (measured: a 100-value sample cost a day's recompute about 3 s at 10 M spans).
 */
export const LATENCY_SAMPLE_SIZE = 32;

/** Scopes whose log records come from network gear and servers' syslog: their host is a device. */
export const DEVICE_SCOPES = ['rollpoint/syslog', 'rollpoint/snmptrap'] as const;

const deviceScopeList = DEVICE_SCOPES.map((s) => `'${s}'`).join(', ');

/**
 * Per entity and base window: span count, error spans, latency (t-digest quantile state and a
 * LATENCY_SAMPLE_SIZE sample for the Mann-Whitney rule, in milliseconds), log counts by severity band and device event
 * counts by rollpoint.event.kind. Sorted by time first, in small granules: every health question
 * reads a time range (the windows asked for and their baseline), across entities.
 */
export const entityWindowsTable = (options: SchemaOptions): string => `
CREATE TABLE IF NOT EXISTS entity_windows (
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
    device_events SimpleAggregateFunction(sumMap, Map(String, UInt64))
) ENGINE = AggregatingMergeTree
PARTITION BY toDate(window_start)
ORDER BY (window_start, entity_kind, entity)
${ttl('window_start', options)}
SETTINGS index_granularity = 1024, non_replicated_deduplication_window = ${DEDUPLICATION_WINDOW}`;

/** Spans: the service and the host that served them. */
export const entityWindowsTracesView = (): string => `
CREATE MATERIALIZED VIEW IF NOT EXISTS entity_windows_traces_mv TO entity_windows AS
SELECT
    toStartOfInterval(toDateTime(Timestamp, 'UTC'), INTERVAL ${BASE_WINDOW_SECONDS} SECOND) AS window_start,
    kind_and_name.1 AS entity_kind,
    kind_and_name.2 AS entity,
    count() AS spans,
    countIf(StatusCode = 'Error') AS error_spans,
    quantilesTDigestState(0.5, 0.95, 0.99)(Duration / 1e6) AS latency_ms,
    groupArraySampleState(${LATENCY_SAMPLE_SIZE}, 1)(Duration / 1e6) AS latency_sample_ms
FROM otel_traces
ARRAY JOIN [('service', ServiceName), ('host', ResourceAttributes['host.name'])] AS kind_and_name
WHERE kind_and_name.2 != ''
GROUP BY window_start, entity_kind, entity`;

/** Log records: an application's service and host, or the device a syslog message or trap came from. */
export const entityWindowsLogsView = (): string => `
CREATE MATERIALIZED VIEW IF NOT EXISTS entity_windows_logs_mv TO entity_windows AS
SELECT
    toStartOfInterval(TimestampTime, INTERVAL ${BASE_WINDOW_SECONDS} SECOND) AS window_start,
    kind_and_name.1 AS entity_kind,
    kind_and_name.2 AS entity,
    count() AS logs,
    countIf(SeverityNumber BETWEEN 13 AND 16) AS warn_logs,
    countIf(SeverityNumber >= 17) AS error_logs,
    sumMap(if(LogAttributes['rollpoint.event.kind'] = '', map(), map(LogAttributes['rollpoint.event.kind'], toUInt64(1)))) AS device_events
FROM otel_logs
ARRAY JOIN if(
    ScopeName IN (${deviceScopeList}),
    [('device', ResourceAttributes['host.name'])],
    [('service', ServiceName), ('host', ResourceAttributes['host.name'])]
) AS kind_and_name
WHERE kind_and_name.2 != ''
GROUP BY window_start, entity_kind, entity`;

/** Each (service, service.version) pair with the first and last time it was seen: deploys. */
export const serviceVersionsTable = (options: SchemaOptions): string => `
CREATE TABLE IF NOT EXISTS service_versions (
    service String,
    version String,
    first_seen SimpleAggregateFunction(min, DateTime64(9, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(9, 'UTC'))
) ENGINE = AggregatingMergeTree
ORDER BY (service, version)
${ttl('toDateTime(last_seen)', options)}
SETTINGS non_replicated_deduplication_window = ${DEDUPLICATION_WINDOW}`;

export const serviceVersionsView = (source: 'otel_traces' | 'otel_logs'): string => `
CREATE MATERIALIZED VIEW IF NOT EXISTS service_versions_${source === 'otel_traces' ? 'traces' : 'logs'}_mv TO service_versions AS
SELECT ServiceName AS service, ResourceAttributes['service.version'] AS version, min(Timestamp) AS first_seen, max(Timestamp) AS last_seen
FROM ${source}
WHERE ServiceName != '' AND version != ''
GROUP BY service, version`;

/**
 * Changes recorded as events: markers posted to the API and devices' config changes (from syslog
 * and traps, by a materialized view). Deploys come from service_versions; the view `changes`
 * shows all of them.
 */
export const changeEventsTable = (options: SchemaOptions): string => `
CREATE TABLE IF NOT EXISTS change_events (
    time DateTime64(3, 'UTC'),
    entity_kind LowCardinality(String),
    entity String,
    kind LowCardinality(String),
    title String,
    author String,
    description String,
    source LowCardinality(String)
) ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (entity_kind, entity, time)
${ttl('toDateTime(time)', options)}
SETTINGS non_replicated_deduplication_window = ${DEDUPLICATION_WINDOW}`;

export const deviceConfigChangesView = (): string => `
CREATE MATERIALIZED VIEW IF NOT EXISTS change_events_devices_mv TO change_events AS
SELECT
    toDateTime64(Timestamp, 3, 'UTC') AS time,
    'device' AS entity_kind,
    ResourceAttributes['host.name'] AS entity,
    'config_change' AS kind,
    concat(entity, ' configuration changed') AS title,
    -- Who: the record's user.name, else the user the message names ("by admin", "User 'admin'").
    if(LogAttributes['user.name'] != '', LogAttributes['user.name'], extract(Body, '(?:\\\\bby|\\\\bUser) \\'?([A-Za-z0-9._@-]+)')) AS author,
    Body AS description,
    if(ScopeName = 'rollpoint/snmptrap', 'snmptrap', 'syslog') AS source
FROM otel_logs
WHERE LogAttributes['rollpoint.event.kind'] = 'config_change' AND ResourceAttributes['host.name'] != ''`;

/** Every change: deploys (a version first seen, with the one before it), config changes, markers. */
export const changesView = (): string => `
CREATE VIEW IF NOT EXISTS changes AS
SELECT time, entity_kind, entity, kind, title, author, description, source, '' AS version, '' AS previous_version
FROM change_events
UNION ALL
SELECT
    toDateTime64(first_seen, 3, 'UTC') AS time,
    'service' AS entity_kind,
    service AS entity,
    'deploy' AS kind,
    if(previous = '', concat(service, ' ', version, ' first seen'), concat(service, ' ', previous, ' → ', version)) AS title,
    '' AS author,
    '' AS description,
    'telemetry' AS source,
    version,
    previous AS previous_version
FROM (
    SELECT service, version, first_seen,
        lagInFrame(version, 1, '') OVER (PARTITION BY service ORDER BY first_seen ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS previous
    FROM (SELECT service, version, min(first_seen) AS first_seen FROM service_versions GROUP BY service, version)
)`;

/** The incidents found by the latest recompute of each range, for analysts (the API computes afresh). */
export const incidentsTable = (options: SchemaOptions): string => `
CREATE TABLE IF NOT EXISTS incidents (
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
    computed_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (scope, start)
${ttl('start', options)}`;

/** Checkpoints with the state they carry: one per incident, and the scope's checkpoint as of now (incident_id ''). */
export const checkpointsTable = (options: SchemaOptions): string => `
CREATE TABLE IF NOT EXISTS checkpoints (
    scope LowCardinality(String),
    incident_id String,
    checkpoint Nullable(DateTime('UTC')),
    state String,
    computed_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (scope, incident_id)
${ttl('toDateTime(computed_at)', options)}`;

/**
 * Each entity's verdict per window, computed once when the window is complete (by the health SQL)
 * and read by every scope question: incidents, checkpoints, evidence. Keyed by window size, so a
 * configuration with another window does not read verdicts made for this one. A range judged again
 * is deleted first, so reads need no FINAL.
 */
export const windowHealthTable = (options: SchemaOptions): string => `
CREATE TABLE IF NOT EXISTS window_health (
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
    computed_at DateTime64(3, 'UTC')
) ENGINE = MergeTree
PARTITION BY toDate(window)
ORDER BY (window_seconds, window, entity_kind, entity)
${ttl('window', options)}`;

/**
 * Webhook notifications that reached their end: delivered (never sent again, across restarts too)
 * or failed after the last attempt (shown by `rollpoint status`). One row per notification.
 */
export const webhookDeliveriesTable = (options: SchemaOptions): string => `
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    time DateTime64(3, 'UTC'),
    webhook String,
    delivery_id String,
    incident_id String,
    scope LowCardinality(String),
    event LowCardinality(String),
    outcome LowCardinality(String),
    attempts UInt32,
    http_status UInt16,
    error String
) ENGINE = MergeTree
PARTITION BY toDate(time)
ORDER BY (webhook, time)
${ttl('toDateTime(time)', options)}`;
