CREATE TABLE IF NOT EXISTS telemetry.entity_windows_local ON CLUSTER rollpoint (
    window_start DateTime('UTC'),
    entity_kind LowCardinality(String),
    entity String,
    spans SimpleAggregateFunction(sum, UInt64),
    error_spans SimpleAggregateFunction(sum, UInt64),
    latency_ms AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64),
    latency_sample_ms AggregateFunction(groupArraySample(32, 1), Float64),
    logs SimpleAggregateFunction(sum, UInt64),
    warn_logs SimpleAggregateFunction(sum, UInt64),
    error_logs SimpleAggregateFunction(sum, UInt64),
    device_events SimpleAggregateFunction(sumMap, Map(String, UInt64))
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/entity_windows_local', '{replica}')
PARTITION BY toDate(window_start)
ORDER BY (window_start, entity_kind, entity)
TTL window_start + toIntervalDay(30)
SETTINGS index_granularity = 1024, replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS telemetry.entity_windows ON CLUSTER rollpoint AS telemetry.entity_windows_local
ENGINE = Distributed(rollpoint, 'telemetry', entity_windows_local, cityHash64(entity_kind, entity));

CREATE MATERIALIZED VIEW IF NOT EXISTS telemetry.entity_windows_traces_mv ON CLUSTER rollpoint TO telemetry.entity_windows_local AS
SELECT
    toStartOfInterval(toDateTime(Timestamp, 'UTC'), INTERVAL 10 SECOND) AS window_start,
    kind_and_name.1 AS entity_kind,
    kind_and_name.2 AS entity,
    count() AS spans,
    countIf(StatusCode = 'Error') AS error_spans,
    quantilesTDigestState(0.5, 0.95, 0.99)(Duration / 1e6) AS latency_ms,
    groupArraySampleState(32, 1)(Duration / 1e6) AS latency_sample_ms
FROM telemetry.otel_traces_local
ARRAY JOIN [('service', ServiceName), ('host', ResourceAttributes['host.name'])] AS kind_and_name
WHERE kind_and_name.2 != ''
GROUP BY window_start, entity_kind, entity;

CREATE MATERIALIZED VIEW IF NOT EXISTS telemetry.entity_windows_logs_mv ON CLUSTER rollpoint TO telemetry.entity_windows_local AS
SELECT
    toStartOfInterval(TimestampTime, INTERVAL 10 SECOND) AS window_start,
    kind_and_name.1 AS entity_kind,
    kind_and_name.2 AS entity,
    count() AS logs,
    countIf(SeverityNumber BETWEEN 13 AND 16) AS warn_logs,
    countIf(SeverityNumber >= 17) AS error_logs,
    sumMap(if(LogAttributes['rollpoint.event.kind'] = '', map(), map(LogAttributes['rollpoint.event.kind'], toUInt64(1)))) AS device_events
FROM telemetry.otel_logs_local
ARRAY JOIN if(
    ScopeName IN ('rollpoint/syslog', 'rollpoint/snmptrap'),
    [('device', ResourceAttributes['host.name'])],
    [('service', ServiceName), ('host', ResourceAttributes['host.name'])]
) AS kind_and_name
WHERE kind_and_name.2 != ''
GROUP BY window_start, entity_kind, entity;

CREATE TABLE IF NOT EXISTS telemetry.service_versions_local ON CLUSTER rollpoint (
    service String,
    version String,
    first_seen SimpleAggregateFunction(min, DateTime64(9, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(9, 'UTC'))
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/service_versions_local', '{replica}')
ORDER BY (service, version)
TTL toDateTime(last_seen) + toIntervalDay(30)
SETTINGS replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS telemetry.service_versions ON CLUSTER rollpoint AS telemetry.service_versions_local
ENGINE = Distributed(rollpoint, 'telemetry', service_versions_local, cityHash64(service));

CREATE MATERIALIZED VIEW IF NOT EXISTS telemetry.service_versions_traces_mv ON CLUSTER rollpoint TO telemetry.service_versions_local AS
SELECT ServiceName AS service, ResourceAttributes['service.version'] AS version, min(Timestamp) AS first_seen, max(Timestamp) AS last_seen
FROM telemetry.otel_traces_local
WHERE ServiceName != '' AND version != ''
GROUP BY service, version;

CREATE MATERIALIZED VIEW IF NOT EXISTS telemetry.service_versions_logs_mv ON CLUSTER rollpoint TO telemetry.service_versions_local AS
SELECT ServiceName AS service, ResourceAttributes['service.version'] AS version, min(Timestamp) AS first_seen, max(Timestamp) AS last_seen
FROM telemetry.otel_logs_local
WHERE ServiceName != '' AND version != ''
GROUP BY service, version;

CREATE TABLE IF NOT EXISTS telemetry.change_events_local ON CLUSTER rollpoint (
    time DateTime64(3, 'UTC'),
    entity_kind LowCardinality(String),
    entity String,
    kind LowCardinality(String),
    title String,
    author String,
    description String,
    source LowCardinality(String)
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/change_events_local', '{replica}')
PARTITION BY toDate(time)
ORDER BY (entity_kind, entity, time)
TTL toDateTime(time) + toIntervalDay(30)
SETTINGS replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS telemetry.change_events ON CLUSTER rollpoint AS telemetry.change_events_local
ENGINE = Distributed(rollpoint, 'telemetry', change_events_local, cityHash64(entity_kind, entity));

CREATE MATERIALIZED VIEW IF NOT EXISTS telemetry.change_events_devices_mv ON CLUSTER rollpoint TO telemetry.change_events_local AS
SELECT
    toDateTime64(Timestamp, 3, 'UTC') AS time,
    'device' AS entity_kind,
    ResourceAttributes['host.name'] AS entity,
    'config_change' AS kind,
    concat(entity, ' configuration changed') AS title,
    -- Who: the record's user.name, else the user the message names ("by admin", "User 'admin'").
    if(LogAttributes['user.name'] != '', LogAttributes['user.name'], extract(Body, '(?:\\bby|\\bUser) \'?([A-Za-z0-9._@-]+)')) AS author,
    Body AS description,
    if(ScopeName = 'rollpoint/snmptrap', 'snmptrap', 'syslog') AS source
FROM telemetry.otel_logs_local
WHERE LogAttributes['rollpoint.event.kind'] = 'config_change' AND ResourceAttributes['host.name'] != '';

CREATE VIEW IF NOT EXISTS telemetry.changes ON CLUSTER rollpoint AS
SELECT time, entity_kind, entity, kind, title, author, description, source, '' AS version, '' AS previous_version
FROM telemetry.change_events
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
    FROM (SELECT service, version, min(first_seen) AS first_seen FROM telemetry.service_versions GROUP BY service, version)
);

CREATE TABLE IF NOT EXISTS telemetry.window_health ON CLUSTER rollpoint (
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
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/{database}/window_health', '{shard}-{replica}')
PARTITION BY toDate(window)
ORDER BY (window_seconds, window, entity_kind, entity)
TTL window + toIntervalDay(30);

CREATE TABLE IF NOT EXISTS telemetry.incidents ON CLUSTER rollpoint (
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
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/incidents', '{shard}-{replica}', computed_at)
ORDER BY (scope, start)
TTL start + toIntervalDay(30);

CREATE TABLE IF NOT EXISTS telemetry.checkpoints ON CLUSTER rollpoint (
    scope LowCardinality(String),
    incident_id String,
    checkpoint Nullable(DateTime('UTC')),
    state String,
    computed_at DateTime64(3, 'UTC')
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/checkpoints', '{shard}-{replica}', computed_at)
ORDER BY (scope, incident_id)
TTL toDateTime(computed_at) + toIntervalDay(30);

INSERT INTO rollpoint_schema_migrations (version, name) VALUES (3, 'checkpoints: entity windows, service versions, change events, the changes view, incidents and checkpoints');
