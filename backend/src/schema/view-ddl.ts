import { ATTR_ROLLPOINT_EVENT_KIND, DEVICE_SCOPES, SCOPE_SNMPTRAP, type DeviceEventKind } from '@rollpoint/proto';
import { sqlString } from '../store/store.js';
import { createView, onCluster, ref, type SchemaOptions } from './layout.js';
import { CONFIG_COMMIT, SOURCE_CONFIG_REPOSITORY } from './tables.js';
import { BASE_WINDOW_SECONDS, LATENCY_SAMPLE_SIZE } from './windows.js';

// The views: how rollpoint's own tables are derived from the signals at insert time (materialized
// views) and the changes view. They read what the agent writes by the names of
// @rollpoint/proto's semantic conventions. Frozen once released, as the tables are (table-ddl.ts).

const eventKind = `LogAttributes[${sqlString(ATTR_ROLLPOINT_EVENT_KIND)}]`;
const configChange: DeviceEventKind = 'config_change';
const deviceScopeList = DEVICE_SCOPES.map(sqlString).join(', ');

/** Each trace's time range, for otel_traces_trace_id_ts. */
export const traceIdTsView = (options: SchemaOptions): string =>
  createView('otel_traces_trace_id_ts_mv', 'otel_traces', 'otel_traces_trace_id_ts', (source) => `SELECT
    TraceId,
    min(toDateTime(Timestamp)) AS Start,
    max(toDateTime(Timestamp)) AS End
FROM ${source}
WHERE TraceId != ''
GROUP BY TraceId`, options);

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
    sumMap(if(${eventKind} = '', map(), map(${eventKind}, toUInt64(1)))) AS device_events
FROM ${source}
ARRAY JOIN if(
    ScopeName IN (${deviceScopeList}),
    [('device', ResourceAttributes['host.name'])],
    [('service', ServiceName), ('host', ResourceAttributes['host.name'])]
) AS kind_and_name
WHERE kind_and_name.2 != ''
GROUP BY window_start, entity_kind, entity`, options);

// A metric point counts for the service and the host of its resource, as a span does.
const METRIC_ENTITIES = `ARRAY JOIN [('service', ServiceName), ('host', ResourceAttributes['host.name'])] AS kind_and_name
WHERE kind_and_name.2 != ''`;

const metricWindowKey = `toStartOfInterval(toDateTime(TimeUnix, 'UTC'), INTERVAL ${BASE_WINDOW_SECONDS} SECOND) AS window_start,
    kind_and_name.1 AS entity_kind,
    kind_and_name.2 AS entity,
    MetricName AS metric_name,
    Attributes AS attributes`;

const METRIC_WINDOW_GROUP = 'GROUP BY window_start, entity_kind, entity, metric_name, attributes, temporality';

/** Gauge and sum points: their values per series and window (a gauge has no temporality: 0). */
export const metricWindowsValuesView = (source: 'otel_metrics_gauge' | 'otel_metrics_sum', options: SchemaOptions): string =>
  createView(`metric_windows_${source === 'otel_metrics_gauge' ? 'gauge' : 'sum'}_mv`, source, 'metric_windows', (table) => `SELECT
    ${metricWindowKey},
    ${source === 'otel_metrics_gauge' ? 'toInt32(0)' : 'AggregationTemporality'} AS temporality,
    count() AS points,
    min(Value) AS min_value,
    max(Value) AS max_value,
    sum(Value) AS sum_value,
    argMaxState(Value, TimeUnix) AS last_value,
    max(TimeUnix) AS last_time
FROM ${table}
${METRIC_ENTITIES}
${METRIC_WINDOW_GROUP}`, options);

/** Histogram points: their observations' min, max, sum and count, and bucket counts per series and window. */
export const metricWindowsHistogramView = (options: SchemaOptions): string =>
  createView('metric_windows_histogram_mv', 'otel_metrics_histogram', 'metric_windows', (table) => `SELECT
    ${metricWindowKey},
    AggregationTemporality AS temporality,
    sum(Count) AS points,
    min(Min) AS min_value,
    max(Max) AS max_value,
    sum(Sum) AS sum_value,
    max(TimeUnix) AS last_time,
    any(ExplicitBounds) AS bounds,
    sumForEachState(BucketCounts) AS bucket_counts,
    argMaxState(BucketCounts, TimeUnix) AS last_bucket_counts
FROM ${table}
${METRIC_ENTITIES}
${METRIC_WINDOW_GROUP}`, options);

/** Deploys: each service version's first and last time seen, from spans or from log records. */
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

/** Devices' config changes, from syslog messages and traps the agent classified as config_change. */
export const deviceConfigChangesView = (options: SchemaOptions): string =>
  createView('change_events_devices_mv', 'otel_logs', 'change_events', (source) => `SELECT
    toDateTime64(Timestamp, 3, 'UTC') AS time,
    'device' AS entity_kind,
    ResourceAttributes['host.name'] AS entity,
    ${sqlString(configChange)} AS kind,
    concat(entity, ' configuration changed') AS title,
    -- Who: the record's user.name, else the user the message names ("by admin", "User 'admin'").
    if(LogAttributes['user.name'] != '', LogAttributes['user.name'], extract(Body, '(?:\\\\bby|\\\\bUser) \\'?([A-Za-z0-9._@-]+)')) AS author,
    Body AS description,
    if(ScopeName = ${sqlString(SCOPE_SNMPTRAP)}, 'snmptrap', 'syslog') AS source
FROM ${source}
WHERE ${eventKind} = ${sqlString(configChange)} AND ResourceAttributes['host.name'] != ''`, options);

/** Deploys: each version of a service first seen, with the one before it. */
const deploysSelect = (options: SchemaOptions): string => `SELECT
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

/**
 * Every change without a config repository's commits: deploys (a version first seen, with the one
 * before it), config changes, markers. The checkpoint queries read it in place of the changes view
 * while no commit is stored: the same rows, without planning the repository's joins.
 */
export const changesWithoutCommitsSelect = (options: SchemaOptions): string => `SELECT time, entity_kind, entity, kind, title, author, description, source, '' AS version, '' AS previous_version
FROM ${ref('change_events', options)}
UNION ALL
${deploysSelect(options)}`;

/** Every change: deploys, config changes, markers. */
export const changesView = (options: SchemaOptions): string => `
CREATE VIEW IF NOT EXISTS ${ref('changes', options)}${onCluster(options)} AS
${changesWithoutCommitsSelect(options)}`;

/**
 * The changes view with the commits of a config repository: each commit that changed a device's
 * config is a change of kind config_commit (its version the commit, its previous version the
 * device's commit before). A device's syslog or trap config change within 5 minutes of a commit of
 * that device (the nearest one) announced it: the two are one change, at the earlier of their
 * times, by the syslog's user where it names one, its description the commit message and then the
 * announcing messages. Subqueries, not WITH, which older servers scope to one SELECT of a UNION.
 */
export const changesWithConfigCommitsView = (options: SchemaOptions): string => {
  const distance = 'abs(toUnixTimestamp64Milli(e.time) - toUnixTimestamp64Milli(c.time))';
  // Each syslog or trap config change of a device that a commit of it recorded, with that commit.
  const announced = `(
    SELECT e.time AS time, e.entity AS device, e.author AS author, e.description AS description, c.commit AS commit
    FROM ${ref('change_events', options)} AS e
    INNER JOIN ${ref('config_commits', options)} AS c ON c.device = e.entity
    WHERE e.entity_kind = 'device' AND e.kind = ${sqlString(configChange)} AND ${distance} <= 300000
    ORDER BY ${distance}, c.commit
    LIMIT 1 BY e.time, e.entity, e.description
)`;
  return `
CREATE OR REPLACE VIEW ${ref('changes', options)}${onCluster(options)} AS
SELECT time, entity_kind, entity, kind, title, author, description, source, '' AS version, '' AS previous_version
FROM ${ref('change_events', options)}
WHERE (entity_kind, entity, time, description) NOT IN (SELECT 'device', device, time, description FROM ${announced})
UNION ALL
${deploysSelect(options)}
UNION ALL
SELECT
    if(a.commit = '', c.time, least(c.time, a.announced_at)) AS time,
    'device' AS entity_kind,
    c.device AS entity,
    ${sqlString(CONFIG_COMMIT)} AS kind,
    concat(c.device, ' config ', substring(c.commit, 1, 8), ': ', splitByChar('\\n', c.message)[1]) AS title,
    if(a.author != '', a.author, c.author) AS author,
    if(a.commit = '', c.message, concat(c.message, '\\n', a.description)) AS description,
    ${sqlString(SOURCE_CONFIG_REPOSITORY)} AS source,
    c.commit AS version,
    c.previous_commit AS previous_version
FROM (
    SELECT time, device, commit, author, message,
        lagInFrame(commit, 1, '') OVER (PARTITION BY device ORDER BY time, commit ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS previous_commit
    FROM ${ref('config_commits', options)} FINAL
) AS c
LEFT JOIN (
    SELECT device, commit, min(time) AS announced_at, argMin(author, time) AS author, arrayStringConcat(groupArray(description), '\\n') AS description
    FROM ${announced}
    GROUP BY device, commit
) AS a ON a.device = c.device AND a.commit = c.commit`;
};
