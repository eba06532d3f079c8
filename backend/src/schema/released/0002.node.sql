ALTER TABLE otel_logs MODIFY SETTING non_replicated_deduplication_window = 10000;

ALTER TABLE otel_traces MODIFY SETTING non_replicated_deduplication_window = 10000;

ALTER TABLE otel_traces_trace_id_ts MODIFY SETTING non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS source_watermarks (
    source String,
    kind LowCardinality(String),
    watermark DateTime64(3, 'UTC'),
    last_seen DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(last_seen)
ORDER BY source;

INSERT INTO rollpoint_schema_migrations (version, name) VALUES (2, 'deduplication windows for batch ids; source_watermarks');
