import type { TableName } from './tables.js';

// How a table or view is laid out on one node (the embedded engine or a server) and on a cluster:
// engines, ON CLUSTER, Replicated paths, Distributed tables, TTL and the deduplication window.
// table-ddl.ts and view-ddl.ts say what is stored; this says where.

export interface SchemaOptions {
  /**
   * The TTL days the released migrations create tables with (0: none). Each table's TTL is then
   * set from storage.retention (retention.ts), which falls back to these days.
   */
  ttlDays: number;
  /** A cluster of the server's remote_servers: every statement runs ON CLUSTER with Replicated engines. */
  cluster?: string;
  /**
   * The database, named in a cluster's Distributed tables: an ON CLUSTER statement runs on the
   * other servers in their default database, where currentDatabase() would name the wrong one.
   */
  database?: string;
}

/** A metric series: its resource, name and attributes. */
const METRIC_SERIES_KEY = 'cityHash64(ResourceAttributes, MetricName, Attributes)';

/**
 * On a cluster, the tables that grow with the telemetry are spread over the shards by these keys:
 * each is stored as `<name>_local` (Replicated, one per shard) under a Distributed table `<name>`,
 * so every query — the checkpoint SQL, Grafana's, an analyst's — reads the same names as on one
 * node. The keys are deterministic, so a retried batch lands on the same shards and its
 * deduplication token drops it there; they hash high-cardinality columns, so shards fill evenly.
 * A trace stays on one shard. The checkpoint queries read entity_windows and metric_windows, whose
 * rows the materialized views write on the shard that took the spans, logs or metric points: every shard aggregates its
 * part of a window and the Distributed table merges the states.
 */
const SHARDING_KEYS: Partial<Record<TableName, string>> = {
  otel_traces: 'cityHash64(TraceId)',
  otel_traces_trace_id_ts: 'cityHash64(TraceId)',
  otel_logs: 'cityHash64(Timestamp, Body)',
  // A series stays on one shard, as a trace does.
  otel_metrics_gauge: METRIC_SERIES_KEY,
  otel_metrics_sum: METRIC_SERIES_KEY,
  otel_metrics_histogram: METRIC_SERIES_KEY,
  otel_metrics_exponential_histogram: METRIC_SERIES_KEY,
  otel_metrics_summary: METRIC_SERIES_KEY,
  entity_windows: 'cityHash64(entity_kind, entity)',
  metric_windows: 'cityHash64(entity_kind, entity)',
  service_versions: 'cityHash64(service)',
  change_events: 'cityHash64(entity_kind, entity)',
};

/** The table that holds the rows of `table`: on a cluster, a sharded table's local part. */
export const storedName = (table: TableName, { cluster }: SchemaOptions): string =>
  cluster !== undefined && SHARDING_KEYS[table] !== undefined ? `${table}_local` : table;

export const databaseOf = ({ database }: Pick<SchemaOptions, 'database'>): string => database ?? 'default';

/** How DDL names a table: on a cluster with its database, which the other servers would not assume. */
export const ref = (name: string, options: SchemaOptions): string => (options.cluster === undefined ? name : `${databaseOf(options)}.${name}`);

/** How DDL names the table that holds the rows of `table`. */
export const storedRef = (table: TableName, options: SchemaOptions): string => ref(storedName(table, options), options);

export const onCluster = ({ cluster }: Pick<SchemaOptions, 'cluster'>): string => (cluster === undefined ? '' : ` ON CLUSTER ${cluster}`);

export interface TableSpec {
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
export function createTable({ name, engine, version, columns, layout }: TableSpec, options: SchemaOptions): string[] {
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
export const createView = (name: string, source: TableName, target: TableName, select: (source: string) => string, options: SchemaOptions): string =>
  `\nCREATE MATERIALIZED VIEW IF NOT EXISTS ${ref(name, options)}${onCluster(options)} TO ${storedRef(target, options)} AS\n${select(storedRef(source, options))}`;

export const ttl = (column: string, { ttlDays }: SchemaOptions): string =>
  ttlDays > 0 ? `TTL ${column} + toIntervalDay(${Math.trunc(ttlDays)})` : '';

/**
 * Inserts remembered per table for deduplication. A retried batch carries its first attempt's
 * insert_deduplication_token and is dropped if that insert is among the table's last this many;
 * at a few hundred inserts a second that covers minutes of retries. Every table an insert reaches
 * needs it, materialized views' targets too, or a deduplicated batch is still counted by the views.
 */
const DEDUPLICATION_WINDOW = 10000;

/** The deduplication window as a table setting: Replicated tables deduplicate through Keeper, with a window of their own. */
export const deduplicationWindowSetting = ({ cluster }: SchemaOptions): string =>
  `${cluster === undefined ? 'non_replicated' : 'replicated'}_deduplication_window = ${DEDUPLICATION_WINDOW}`;
