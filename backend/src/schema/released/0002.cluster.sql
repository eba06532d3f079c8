ALTER TABLE telemetry.otel_logs_local ON CLUSTER rollpoint MODIFY SETTING replicated_deduplication_window = 10000;

ALTER TABLE telemetry.otel_traces_local ON CLUSTER rollpoint MODIFY SETTING replicated_deduplication_window = 10000;

ALTER TABLE telemetry.otel_traces_trace_id_ts_local ON CLUSTER rollpoint MODIFY SETTING replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS telemetry.source_watermarks ON CLUSTER rollpoint (
    source String,
    kind LowCardinality(String),
    watermark DateTime64(3, 'UTC'),
    last_seen DateTime64(3, 'UTC')
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/source_watermarks', '{shard}-{replica}', last_seen)
ORDER BY source;

INSERT INTO rollpoint_schema_migrations (version, name) VALUES (2, 'deduplication windows for batch ids; source_watermarks');
