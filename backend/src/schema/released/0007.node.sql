CREATE TABLE IF NOT EXISTS metric_windows (
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
    last_bucket_counts AggregateFunction(argMax, Array(UInt64), DateTime64(9))
) ENGINE = AggregatingMergeTree
PARTITION BY toDate(window_start)
ORDER BY (window_start, entity_kind, entity, metric_name, attributes, temporality)
TTL window_start + toIntervalDay(30)
SETTINGS index_granularity = 1024, non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS metric_windows_gauge_mv TO metric_windows AS
SELECT
    toStartOfInterval(toDateTime(TimeUnix, 'UTC'), INTERVAL 10 SECOND) AS window_start,
    kind_and_name.1 AS entity_kind,
    kind_and_name.2 AS entity,
    MetricName AS metric_name,
    Attributes AS attributes,
    toInt32(0) AS temporality,
    count() AS points,
    min(Value) AS min_value,
    max(Value) AS max_value,
    sum(Value) AS sum_value,
    argMaxState(Value, TimeUnix) AS last_value,
    max(TimeUnix) AS last_time
FROM otel_metrics_gauge
ARRAY JOIN [('service', ServiceName), ('host', ResourceAttributes['host.name'])] AS kind_and_name
WHERE kind_and_name.2 != ''
GROUP BY window_start, entity_kind, entity, metric_name, attributes, temporality;

CREATE MATERIALIZED VIEW IF NOT EXISTS metric_windows_sum_mv TO metric_windows AS
SELECT
    toStartOfInterval(toDateTime(TimeUnix, 'UTC'), INTERVAL 10 SECOND) AS window_start,
    kind_and_name.1 AS entity_kind,
    kind_and_name.2 AS entity,
    MetricName AS metric_name,
    Attributes AS attributes,
    AggregationTemporality AS temporality,
    count() AS points,
    min(Value) AS min_value,
    max(Value) AS max_value,
    sum(Value) AS sum_value,
    argMaxState(Value, TimeUnix) AS last_value,
    max(TimeUnix) AS last_time
FROM otel_metrics_sum
ARRAY JOIN [('service', ServiceName), ('host', ResourceAttributes['host.name'])] AS kind_and_name
WHERE kind_and_name.2 != ''
GROUP BY window_start, entity_kind, entity, metric_name, attributes, temporality;

CREATE MATERIALIZED VIEW IF NOT EXISTS metric_windows_histogram_mv TO metric_windows AS
SELECT
    toStartOfInterval(toDateTime(TimeUnix, 'UTC'), INTERVAL 10 SECOND) AS window_start,
    kind_and_name.1 AS entity_kind,
    kind_and_name.2 AS entity,
    MetricName AS metric_name,
    Attributes AS attributes,
    AggregationTemporality AS temporality,
    sum(Count) AS points,
    min(Min) AS min_value,
    max(Max) AS max_value,
    sum(Sum) AS sum_value,
    max(TimeUnix) AS last_time,
    any(ExplicitBounds) AS bounds,
    sumForEachState(BucketCounts) AS bucket_counts,
    argMaxState(BucketCounts, TimeUnix) AS last_bucket_counts
FROM otel_metrics_histogram
ARRAY JOIN [('service', ServiceName), ('host', ResourceAttributes['host.name'])] AS kind_and_name
WHERE kind_and_name.2 != ''
GROUP BY window_start, entity_kind, entity, metric_name, attributes, temporality;

ALTER TABLE window_health ADD COLUMN IF NOT EXISTS metrics Map(String, Float64);

INSERT INTO rollpoint_schema_migrations (version, name) VALUES (7, 'rules over metrics: metric_windows fed from the gauge, sum and histogram tables; window_health.metrics');
