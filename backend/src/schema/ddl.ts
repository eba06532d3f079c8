import type { TableName } from './tables.js';

// All DDL of rollpoint, for one node (the embedded engine or a server) and for a cluster. otel_logs
// and otel_traces keep the column names and types of the OpenTelemetry Collector's ClickHouse
// exporter, so dashboards and queries written for it work here.

export interface SchemaOptions {
  /** Rows older than this many days are dropped by TTL; 0 keeps them forever. */
  ttlDays: number;
  /** A cluster of the server's remote_servers: every statement runs ON CLUSTER with Replicated engines. */
  cluster?: string;
  /**
   * The database, named in a cluster's Distributed tables: an ON CLUSTER statement runs on the
   * other servers in their default database, where currentDatabase() would name the wrong one.
   */
  database?: string;
}

/**
 * On a cluster, the tables that grow with the telemetry are spread over the shards by these keys:
 * each is stored as `<name>_local` (Replicated, one per shard) under a Distributed table `<name>`,
 * so every query — the checkpoint SQL, Grafana's, an analyst's — reads the same names as on one
 * node. The keys are deterministic, so a retried batch lands on the same shards and its
 * deduplication token drops it there; they hash high-cardinality columns, so shards fill evenly.
 * A trace stays on one shard. The checkpoint queries read entity_windows, whose rows the
 * materialized views write on the shard that took the spans or logs: every shard aggregates its
 * part of a window and the Distributed table merges the states.
 */
const SHARDING_KEYS: Partial<Record<TableName, string>> = {
  otel_traces: 'cityHash64(TraceId)',
  otel_traces_trace_id_ts: 'cityHash64(TraceId)',
  otel_logs: 'cityHash64(Timestamp, Body)',
  entity_windows: 'cityHash64(entity_kind, entity)',
  service_versions: 'cityHash64(service)',
  change_events: 'cityHash64(entity_kind, entity)',
};

/** The table that holds the rows of `table`: on a cluster, a sharded table's local part. */
const storedName = (table: TableName, { cluster }: SchemaOptions): string =>
  cluster !== undefined && SHARDING_KEYS[table] !== undefined ? `${table}_local` : table;

const databaseOf = ({ database }: SchemaOptions): string => database ?? 'default';

/** How DDL names a table: on a cluster with its database, which the other servers would not assume. */
const ref = (name: string, options: SchemaOptions): string => (options.cluster === undefined ? name : `${databaseOf(options)}.${name}`);

/** How DDL names the table that holds the rows of `table`. */
const storedRef = (table: TableName, options: SchemaOptions): string => ref(storedName(table, options), options);

const onCluster = ({ cluster }: SchemaOptions): string => (cluster === undefined ? '' : ` ON CLUSTER ${cluster}`);

interface TableSpec {
  name: TableName;
  engine: 'MergeTree' | 'AggregatingMergeTree' | 'ReplacingMergeTree';
  /** ReplacingMergeTree's version column. */
  version?: string;
  /** The column list, between the parentheses. */
  columns: string;
  /** PARTITION BY, ORDER BY, TTL and SETTINGS. */
  layout: string;
}

/**
 * CREATE TABLE for one node, or for a cluster: a sharded table (see SHARDING_KEYS) as a Replicated
 * local table per shard plus the Distributed table over them; the backend's own small tables
 * (verdicts, incidents, checkpoints, watermarks, migrations) as one Replicated table with a copy on
 * every node, so their lightweight DELETEs and FINAL reads stay local.
 */
function createTable({ name, engine, version, columns, layout }: TableSpec, options: SchemaOptions): string[] {
  const { cluster } = options;
  if (cluster === undefined) return [`\nCREATE TABLE IF NOT EXISTS ${name} (${columns}\n) ENGINE = ${engine}${version ? `(${version})` : ''}${layout}`];
  const shardingKey = SHARDING_KEYS[name];
  const stored = storedName(name, options);
  const [path, replica] =
    shardingKey === undefined ? [`/clickhouse/tables/all/{database}/${stored}`, '{shard}-{replica}'] : [`/clickhouse/tables/{shard}/{database}/${stored}`, '{replica}'];
  const args = [`'${path}'`, `'${replica}'`, ...(version ? [version] : [])].join(', ');
  const local = `\nCREATE TABLE IF NOT EXISTS ${storedRef(name, options)}${onCluster(options)} (${columns}\n) ENGINE = Replicated${engine}(${args})${layout}`;
  if (shardingKey === undefined) return [local];
  return [local, `\nCREATE TABLE IF NOT EXISTS ${ref(name, options)}${onCluster(options)} AS ${storedRef(name, options)}\nENGINE = Distributed(${cluster}, '${databaseOf(options)}', ${stored}, ${shardingKey})`];
}

/** A materialized view from `source` into `target`, on one node or on every shard of a cluster. */
const createView = (name: string, source: TableName, target: TableName, select: (source: string) => string, options: SchemaOptions): string =>
  `\nCREATE MATERIALIZED VIEW IF NOT EXISTS ${ref(name, options)}${onCluster(options)} TO ${storedRef(target, options)} AS\n${select(storedRef(source, options))}`;

const ttl = (column: string, { ttlDays }: SchemaOptions): string =>
  ttlDays > 0 ? `TTL ${column} + toIntervalDay(${Math.trunc(ttlDays)})` : '';

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

export const traceIdTsView = (options: SchemaOptions): string =>
  createView('otel_traces_trace_id_ts_mv', 'otel_traces', 'otel_traces_trace_id_ts', (source) => `SELECT
    TraceId,
    min(toDateTime(Timestamp)) AS Start,
    max(toDateTime(Timestamp)) AS End
FROM ${source}
WHERE TraceId != ''
GROUP BY TraceId`, options);

/**
 * Inserts remembered per table for deduplication. A retried batch carries its first attempt's
 * insert_deduplication_token and is dropped if that insert is among the table's last this many;
 * at a few hundred inserts a second that covers minutes of retries. Every table an insert reaches
 * needs it, materialized views' targets too, or a deduplicated batch is still counted by the views.
 */
export const DEDUPLICATION_WINDOW = 10000;

/** Tables filled by ingest, directly or through a materialized view. */
const INGESTED_TABLES = ['otel_logs', 'otel_traces', 'otel_traces_trace_id_ts'] as const;

export const deduplicationWindows = (options: SchemaOptions): string[] =>
  INGESTED_TABLES.map((table) => `ALTER TABLE ${storedRef(table, options)}${onCluster(options)} MODIFY SETTING ${deduplicationWindowSetting(options)}`);

/** Replicated tables deduplicate through Keeper, with a window of their own. */
const deduplicationWindowSetting = ({ cluster }: SchemaOptions): string =>
  `${cluster === undefined ? 'non_replicated' : 'replicated'}_deduplication_window = ${DEDUPLICATION_WINDOW}`;

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

/** Spans: the service and the host that served them. */
export const entityWindowsTracesView = (options: SchemaOptions): string =>
  createView('entity_windows_traces_mv', 'otel_traces', 'entity_windows', (source) => `SELECT
    toStartOfInterval(toDateTime(Timestamp, 'UTC'), INTERVAL ${BASE_WINDOW_SECONDS} SECOND) AS window_start,
    kind_and_name.1 AS entity_kind,
    kind_and_name.2 AS entity,
    count() AS spans,
    countIf(StatusCode = 'Error') AS error_spans,
    quantilesTDigestState(0.5, 0.95, 0.99)(Duration / 1e6) AS latency_ms,
    groupArraySampleState(${LATENCY_SAMPLE_SIZE}, 1)(Duration / 1e6) AS latency_sample_ms
FROM ${source}
ARRAY JOIN [('service', ServiceName), ('host', ResourceAttributes['host.name'])] AS kind_and_name
WHERE kind_and_name.2 != ''
GROUP BY window_start, entity_kind, entity`, options);

/** Log records: an application's service and host, or the device a syslog message or trap came from. */
export const entityWindowsLogsView = (options: SchemaOptions): string =>
  createView('entity_windows_logs_mv', 'otel_logs', 'entity_windows', (source) => `SELECT
    toStartOfInterval(TimestampTime, INTERVAL ${BASE_WINDOW_SECONDS} SECOND) AS window_start,
    kind_and_name.1 AS entity_kind,
    kind_and_name.2 AS entity,
    count() AS logs,
    countIf(SeverityNumber BETWEEN 13 AND 16) AS warn_logs,
    countIf(SeverityNumber >= 17) AS error_logs,
    sumMap(if(LogAttributes['rollpoint.event.kind'] = '', map(), map(LogAttributes['rollpoint.event.kind'], toUInt64(1)))) AS device_events
FROM ${source}
ARRAY JOIN if(
    ScopeName IN (${deviceScopeList}),
    [('device', ResourceAttributes['host.name'])],
    [('service', ServiceName), ('host', ResourceAttributes['host.name'])]
) AS kind_and_name
WHERE kind_and_name.2 != ''
GROUP BY window_start, entity_kind, entity`, options);

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

export const serviceVersionsView = (signal: 'otel_traces' | 'otel_logs', options: SchemaOptions): string =>
  createView(
    `service_versions_${signal === 'otel_traces' ? 'traces' : 'logs'}_mv`,
    signal,
    'service_versions',
    (source) => `SELECT ServiceName AS service, ResourceAttributes['service.version'] AS version, min(Timestamp) AS first_seen, max(Timestamp) AS last_seen
FROM ${source}
WHERE ServiceName != '' AND version != ''
GROUP BY service, version`,
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

export const deviceConfigChangesView = (options: SchemaOptions): string =>
  createView('change_events_devices_mv', 'otel_logs', 'change_events', (source) => `SELECT
    toDateTime64(Timestamp, 3, 'UTC') AS time,
    'device' AS entity_kind,
    ResourceAttributes['host.name'] AS entity,
    'config_change' AS kind,
    concat(entity, ' configuration changed') AS title,
    -- Who: the record's user.name, else the user the message names ("by admin", "User 'admin'").
    if(LogAttributes['user.name'] != '', LogAttributes['user.name'], extract(Body, '(?:\\\\bby|\\\\bUser) \\'?([A-Za-z0-9._@-]+)')) AS author,
    Body AS description,
    if(ScopeName = 'rollpoint/snmptrap', 'snmptrap', 'syslog') AS source
FROM ${source}
WHERE LogAttributes['rollpoint.event.kind'] = 'config_change' AND ResourceAttributes['host.name'] != ''`, options);

/** Every change: deploys (a version first seen, with the one before it), config changes, markers. */
export const changesView = (options: SchemaOptions): string => `
CREATE VIEW IF NOT EXISTS ${ref('changes', options)}${onCluster(options)} AS
SELECT time, entity_kind, entity, kind, title, author, description, source, '' AS version, '' AS previous_version
FROM ${ref('change_events', options)}
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
    FROM (SELECT service, version, min(first_seen) AS first_seen FROM ${ref('service_versions', options)} GROUP BY service, version)
)`;

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
