/** Every table rollpoint creates or reads; builders may inline these names into SQL safely. */
export const TABLE_NAMES = [
  'otel_logs',
  'otel_traces',
  'otel_traces_trace_id_ts',
  'otel_metrics_gauge',
  'otel_metrics_sum',
  'otel_metrics_histogram',
  'otel_metrics_exponential_histogram',
  'otel_metrics_summary',
  'ingested_batches',
  'source_watermarks',
  'entity_windows',
  'metric_windows',
  'service_versions',
  'change_events',
  'window_health',
  'incidents',
  'checkpoints',
  'webhook_deliveries',
  'learned_devices',
  'config_commits',
  'audit_log',
  'backups',
  'rollpoint_schema_migrations',
] as const;

export type TableName = (typeof TABLE_NAMES)[number];

/** The view of every change (deploys, device config changes, markers, config commits), which analysts query too. */
export const CHANGES_VIEW = 'changes';

/** The kind of a change that is a commit of a config repository, in the changes view. */
export const CONFIG_COMMIT = 'config_commit';
/** The source of those changes. */
export const SOURCE_CONFIG_REPOSITORY = 'config_repository';
