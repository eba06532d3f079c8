ALTER TABLE otel_logs ADD COLUMN IF NOT EXISTS StoredTime DateTime DEFAULT TimestampTime CODEC(Delta, ZSTD(1)), MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE otel_logs MATERIALIZE COLUMN StoredTime
SETTINGS mutations_sync = 2;

ALTER TABLE otel_logs MODIFY COLUMN StoredTime DEFAULT now();

ALTER TABLE otel_traces ADD COLUMN IF NOT EXISTS StoredTime DateTime DEFAULT toDateTime(Timestamp) CODEC(Delta, ZSTD(1)), MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE otel_traces MATERIALIZE COLUMN StoredTime
SETTINGS mutations_sync = 2;

ALTER TABLE otel_traces MODIFY COLUMN StoredTime DEFAULT now();

ALTER TABLE otel_traces_trace_id_ts ADD COLUMN IF NOT EXISTS StoredTime DateTime DEFAULT Start CODEC(Delta, ZSTD(1)), MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE otel_traces_trace_id_ts MATERIALIZE COLUMN StoredTime
SETTINGS mutations_sync = 2;

ALTER TABLE otel_traces_trace_id_ts MODIFY COLUMN StoredTime DEFAULT now();

ALTER TABLE otel_metrics_gauge ADD COLUMN IF NOT EXISTS StoredTime DateTime DEFAULT toDateTime(TimeUnix) CODEC(Delta, ZSTD(1)), MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE otel_metrics_gauge MATERIALIZE COLUMN StoredTime
SETTINGS mutations_sync = 2;

ALTER TABLE otel_metrics_gauge MODIFY COLUMN StoredTime DEFAULT now();

ALTER TABLE otel_metrics_sum ADD COLUMN IF NOT EXISTS StoredTime DateTime DEFAULT toDateTime(TimeUnix) CODEC(Delta, ZSTD(1)), MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE otel_metrics_sum MATERIALIZE COLUMN StoredTime
SETTINGS mutations_sync = 2;

ALTER TABLE otel_metrics_sum MODIFY COLUMN StoredTime DEFAULT now();

ALTER TABLE otel_metrics_histogram ADD COLUMN IF NOT EXISTS StoredTime DateTime DEFAULT toDateTime(TimeUnix) CODEC(Delta, ZSTD(1)), MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE otel_metrics_histogram MATERIALIZE COLUMN StoredTime
SETTINGS mutations_sync = 2;

ALTER TABLE otel_metrics_histogram MODIFY COLUMN StoredTime DEFAULT now();

ALTER TABLE otel_metrics_exponential_histogram ADD COLUMN IF NOT EXISTS StoredTime DateTime DEFAULT toDateTime(TimeUnix) CODEC(Delta, ZSTD(1)), MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE otel_metrics_exponential_histogram MATERIALIZE COLUMN StoredTime
SETTINGS mutations_sync = 2;

ALTER TABLE otel_metrics_exponential_histogram MODIFY COLUMN StoredTime DEFAULT now();

ALTER TABLE otel_metrics_summary ADD COLUMN IF NOT EXISTS StoredTime DateTime DEFAULT toDateTime(TimeUnix) CODEC(Delta, ZSTD(1)), MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE otel_metrics_summary MATERIALIZE COLUMN StoredTime
SETTINGS mutations_sync = 2;

ALTER TABLE otel_metrics_summary MODIFY COLUMN StoredTime DEFAULT now();

ALTER TABLE change_events ADD COLUMN IF NOT EXISTS stored_at DateTime DEFAULT toDateTime(time) CODEC(Delta, ZSTD(1)), MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE change_events MATERIALIZE COLUMN stored_at
SETTINGS mutations_sync = 2;

ALTER TABLE change_events MODIFY COLUMN stored_at DEFAULT now();

ALTER TABLE entity_windows MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE metric_windows MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE window_health MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE incidents MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE checkpoints MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE service_versions MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE webhook_deliveries MODIFY SETTING materialize_ttl_recalculate_only = 1;

INSERT INTO rollpoint_schema_migrations (version, name) VALUES (10, 'stored time of logs, spans, metric points and change events: the TTL of rows with an implausible event time counts from it');
