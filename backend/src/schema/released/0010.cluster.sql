ALTER TABLE telemetry.otel_logs_local ON CLUSTER rollpoint ADD COLUMN IF NOT EXISTS StoredTime DateTime DEFAULT TimestampTime CODEC(Delta, ZSTD(1)), MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE telemetry.otel_logs_local ON CLUSTER rollpoint MATERIALIZE COLUMN StoredTime
SETTINGS mutations_sync = 2;

ALTER TABLE telemetry.otel_logs_local ON CLUSTER rollpoint MODIFY COLUMN StoredTime DEFAULT now();

ALTER TABLE telemetry.otel_logs ON CLUSTER rollpoint ADD COLUMN IF NOT EXISTS StoredTime DateTime DEFAULT now();

ALTER TABLE telemetry.otel_traces_local ON CLUSTER rollpoint ADD COLUMN IF NOT EXISTS StoredTime DateTime DEFAULT toDateTime(Timestamp) CODEC(Delta, ZSTD(1)), MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE telemetry.otel_traces_local ON CLUSTER rollpoint MATERIALIZE COLUMN StoredTime
SETTINGS mutations_sync = 2;

ALTER TABLE telemetry.otel_traces_local ON CLUSTER rollpoint MODIFY COLUMN StoredTime DEFAULT now();

ALTER TABLE telemetry.otel_traces ON CLUSTER rollpoint ADD COLUMN IF NOT EXISTS StoredTime DateTime DEFAULT now();

ALTER TABLE telemetry.otel_traces_trace_id_ts_local ON CLUSTER rollpoint ADD COLUMN IF NOT EXISTS StoredTime DateTime DEFAULT Start CODEC(Delta, ZSTD(1)), MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE telemetry.otel_traces_trace_id_ts_local ON CLUSTER rollpoint MATERIALIZE COLUMN StoredTime
SETTINGS mutations_sync = 2;

ALTER TABLE telemetry.otel_traces_trace_id_ts_local ON CLUSTER rollpoint MODIFY COLUMN StoredTime DEFAULT now();

ALTER TABLE telemetry.otel_traces_trace_id_ts ON CLUSTER rollpoint ADD COLUMN IF NOT EXISTS StoredTime DateTime DEFAULT now();

ALTER TABLE telemetry.otel_metrics_gauge_local ON CLUSTER rollpoint ADD COLUMN IF NOT EXISTS StoredTime DateTime DEFAULT toDateTime(TimeUnix) CODEC(Delta, ZSTD(1)), MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE telemetry.otel_metrics_gauge_local ON CLUSTER rollpoint MATERIALIZE COLUMN StoredTime
SETTINGS mutations_sync = 2;

ALTER TABLE telemetry.otel_metrics_gauge_local ON CLUSTER rollpoint MODIFY COLUMN StoredTime DEFAULT now();

ALTER TABLE telemetry.otel_metrics_gauge ON CLUSTER rollpoint ADD COLUMN IF NOT EXISTS StoredTime DateTime DEFAULT now();

ALTER TABLE telemetry.otel_metrics_sum_local ON CLUSTER rollpoint ADD COLUMN IF NOT EXISTS StoredTime DateTime DEFAULT toDateTime(TimeUnix) CODEC(Delta, ZSTD(1)), MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE telemetry.otel_metrics_sum_local ON CLUSTER rollpoint MATERIALIZE COLUMN StoredTime
SETTINGS mutations_sync = 2;

ALTER TABLE telemetry.otel_metrics_sum_local ON CLUSTER rollpoint MODIFY COLUMN StoredTime DEFAULT now();

ALTER TABLE telemetry.otel_metrics_sum ON CLUSTER rollpoint ADD COLUMN IF NOT EXISTS StoredTime DateTime DEFAULT now();

ALTER TABLE telemetry.otel_metrics_histogram_local ON CLUSTER rollpoint ADD COLUMN IF NOT EXISTS StoredTime DateTime DEFAULT toDateTime(TimeUnix) CODEC(Delta, ZSTD(1)), MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE telemetry.otel_metrics_histogram_local ON CLUSTER rollpoint MATERIALIZE COLUMN StoredTime
SETTINGS mutations_sync = 2;

ALTER TABLE telemetry.otel_metrics_histogram_local ON CLUSTER rollpoint MODIFY COLUMN StoredTime DEFAULT now();

ALTER TABLE telemetry.otel_metrics_histogram ON CLUSTER rollpoint ADD COLUMN IF NOT EXISTS StoredTime DateTime DEFAULT now();

ALTER TABLE telemetry.otel_metrics_exponential_histogram_local ON CLUSTER rollpoint ADD COLUMN IF NOT EXISTS StoredTime DateTime DEFAULT toDateTime(TimeUnix) CODEC(Delta, ZSTD(1)), MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE telemetry.otel_metrics_exponential_histogram_local ON CLUSTER rollpoint MATERIALIZE COLUMN StoredTime
SETTINGS mutations_sync = 2;

ALTER TABLE telemetry.otel_metrics_exponential_histogram_local ON CLUSTER rollpoint MODIFY COLUMN StoredTime DEFAULT now();

ALTER TABLE telemetry.otel_metrics_exponential_histogram ON CLUSTER rollpoint ADD COLUMN IF NOT EXISTS StoredTime DateTime DEFAULT now();

ALTER TABLE telemetry.otel_metrics_summary_local ON CLUSTER rollpoint ADD COLUMN IF NOT EXISTS StoredTime DateTime DEFAULT toDateTime(TimeUnix) CODEC(Delta, ZSTD(1)), MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE telemetry.otel_metrics_summary_local ON CLUSTER rollpoint MATERIALIZE COLUMN StoredTime
SETTINGS mutations_sync = 2;

ALTER TABLE telemetry.otel_metrics_summary_local ON CLUSTER rollpoint MODIFY COLUMN StoredTime DEFAULT now();

ALTER TABLE telemetry.otel_metrics_summary ON CLUSTER rollpoint ADD COLUMN IF NOT EXISTS StoredTime DateTime DEFAULT now();

ALTER TABLE telemetry.change_events_local ON CLUSTER rollpoint ADD COLUMN IF NOT EXISTS stored_at DateTime DEFAULT toDateTime(time) CODEC(Delta, ZSTD(1)), MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE telemetry.change_events_local ON CLUSTER rollpoint MATERIALIZE COLUMN stored_at
SETTINGS mutations_sync = 2;

ALTER TABLE telemetry.change_events_local ON CLUSTER rollpoint MODIFY COLUMN stored_at DEFAULT now();

ALTER TABLE telemetry.change_events ON CLUSTER rollpoint ADD COLUMN IF NOT EXISTS stored_at DateTime DEFAULT now();

ALTER TABLE telemetry.entity_windows_local ON CLUSTER rollpoint MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE telemetry.metric_windows_local ON CLUSTER rollpoint MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE telemetry.window_health ON CLUSTER rollpoint MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE telemetry.incidents ON CLUSTER rollpoint MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE telemetry.checkpoints ON CLUSTER rollpoint MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE telemetry.service_versions_local ON CLUSTER rollpoint MODIFY SETTING materialize_ttl_recalculate_only = 1;

ALTER TABLE telemetry.webhook_deliveries ON CLUSTER rollpoint MODIFY SETTING materialize_ttl_recalculate_only = 1;

INSERT INTO rollpoint_schema_migrations (version, name) VALUES (10, 'stored time of logs, spans, metric points and change events: the TTL of rows with an implausible event time counts from it');
