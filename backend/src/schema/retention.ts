import type { Query, Store } from '../store/store.js';
import { onCluster, storedName, storedRef, type SchemaOptions } from './layout.js';
import type { TableName } from './tables.js';

// Retention per signal: how long each family of tables keeps its rows (storage.retention), as the
// TTL of each table. Applied at start to existing tables: a table whose TTL differs from the wanted
// one is altered (MODIFY TTL), so changing the setting changes tables created long ago.

export const RETENTION_FAMILIES = ['logs', 'traces', 'metrics', 'checkpoints'] as const;
export type RetentionFamily = (typeof RETENTION_FAMILIES)[number];

/** Seconds each family keeps its rows; 0 keeps them forever. */
export type Retention = Record<RetentionFamily, number>;

interface RetainedTable {
  table: TableName;
  family: RetentionFamily;
  /** The column that dates a row: its oldest value is the table's oldest row. */
  column: string;
  /** That time as a DateTime, for the TTL. */
  time: string;
  /** The time the row was stored (migration 10): the TTL counts from it when `time` is implausible. */
  stored?: string;
}

const signal = (table: TableName, family: RetentionFamily, column: string, time: string): RetainedTable => ({ table, family, column, time, stored: 'StoredTime' });
const metrics = (table: TableName): RetainedTable => signal(table, 'metrics', 'TimeUnix', 'toDateTime(TimeUnix)');

/**
 * Every table whose rows age out, by family. The checkpoint family holds what the checkpoint engine
 * derives and remembers: window aggregates, verdicts, incidents, checkpoints, the changes it ranks
 * (deploys, markers, device config changes) and the webhook notifications sent for its incidents.
 * Not here: KEPT_TABLES.
 */
export const RETAINED_TABLES: readonly RetainedTable[] = [
  signal('otel_logs', 'logs', 'TimestampTime', 'TimestampTime'),
  signal('otel_traces', 'traces', 'Timestamp', 'toDateTime(Timestamp)'),
  signal('otel_traces_trace_id_ts', 'traces', 'Start', 'Start'),
  metrics('otel_metrics_gauge'),
  metrics('otel_metrics_sum'),
  metrics('otel_metrics_histogram'),
  metrics('otel_metrics_exponential_histogram'),
  metrics('otel_metrics_summary'),
  { table: 'entity_windows', family: 'checkpoints', column: 'window_start', time: 'window_start' },
  { table: 'metric_windows', family: 'checkpoints', column: 'window_start', time: 'window_start' },
  { table: 'window_health', family: 'checkpoints', column: 'window', time: 'window' },
  { table: 'incidents', family: 'checkpoints', column: 'start', time: 'start' },
  { table: 'checkpoints', family: 'checkpoints', column: 'computed_at', time: 'toDateTime(computed_at)' },
  { table: 'service_versions', family: 'checkpoints', column: 'last_seen', time: 'toDateTime(last_seen)' },
  { table: 'change_events', family: 'checkpoints', column: 'time', time: 'toDateTime(time)', stored: 'stored_at' },
  { table: 'webhook_deliveries', family: 'checkpoints', column: 'time', time: 'toDateTime(time)' },
];

const DAY_SECONDS = 86400;

/** A table whose rows storage.retention does not age out: kept `seconds` (0: forever), dated by `column`. */
interface KeptTable {
  table: TableName;
  column: string;
  seconds: number;
}

/** ingested_batches keeps a week (the longest an agent retries a batch); the others are kept forever. */
export const KEPT_TABLES: readonly KeptTable[] = [
  { table: 'ingested_batches', column: 'stored_at', seconds: 7 * DAY_SECONDS },
  { table: 'source_watermarks', column: 'last_seen', seconds: 0 },
  { table: 'learned_devices', column: 'learned_at', seconds: 0 },
  { table: 'config_commits', column: 'time', seconds: 0 },
  { table: 'audit_log', column: 'time', seconds: 0 },
  { table: 'backups', column: 'time', seconds: 0 },
  { table: 'rollpoint_schema_migrations', column: 'applied_at', seconds: 0 },
];

/** Each table as `rollpoint status` shows it: its family ('fixed' for KEPT_TABLES) and how long it keeps its rows. */
export interface TableRetention {
  table: TableName;
  family: RetentionFamily | 'fixed';
  /** The column that dates a row: its oldest value is the table's oldest row. */
  column: string;
  /** 0: forever. */
  seconds: number;
}

/** Every table rollpoint stores rows in, with its retention. */
export const tableRetentions = (retention: Retention): TableRetention[] => [
  ...RETAINED_TABLES.map(({ table, family, column }) => ({ table, family, column, seconds: retention[family] })),
  ...KEPT_TABLES.map(({ table, column, seconds }) => ({ table, family: 'fixed' as const, column, seconds })),
];

/**
 * The longest retention, 50 years (of 365.25 days, as `50y` reads). TTLs add it to 32-bit
 * DateTimes, which wrap after 2106: a row's time plus 100 years comes out in 1990, and the row
 * expires at once.
 */
export const MAX_RETENTION_SECONDS = 50 * 365.25 * DAY_SECONDS;

/** An interval literal: whole days where it is, else hours (the configuration allows whole hours only). */
const interval = (seconds: number): string =>
  seconds % DAY_SECONDS === 0 ? `toIntervalDay(${seconds / DAY_SECONDS})` : `toIntervalHour(${Math.round(seconds / 3600)})`;

/** How far ahead of its stored time an event time may be (clock skew, a wrong time zone) before it is implausible. */
const FUTURE_TOLERANCE = 'toIntervalDay(1)';

/**
 * The TTL `table` should have; '' for none. Where the stored time is known, an implausible event
 * time — older than the retention when the row is stored (it would expire on arrival: a device's
 * clock in 1970 or 2000) or more than FUTURE_TOLERANCE ahead of it — gives way to the stored time.
 */
export function wantedTtl({ family, time, stored }: RetainedTable, retention: Retention): string {
  const seconds = retention[family];
  if (seconds === 0) return '';
  const keep = interval(seconds);
  if (stored === undefined) return `${time} + ${keep}`;
  return `if(${time} < ${stored} - ${keep} OR ${time} > ${stored} + ${FUTURE_TOLERANCE}, ${stored}, ${time}) + ${keep}`;
}

/**
 * The statement that gives `table` the TTL `ttl` ('' removes it). The TTL is materialized
 * (materialize_ttl_after_modify = 1, said here since a server profile may turn it off): without it
 * existing parts keep the TTL they were written with until merged, and with ttl_only_drop_parts an
 * old day's part would be dropped at the old, shorter retention after it was lengthened. Migration
 * 10 made the materialization only recalculate each part's TTL (materialize_ttl_recalculate_only),
 * reading the time columns and rewriting no data; expired parts then go whole in TTL merges.
 */
function retentionStatement(entry: RetainedTable, ttl: string, options: SchemaOptions): string {
  const target = `ALTER TABLE ${storedRef(entry.table, options)}${onCluster(options)}`;
  return ttl === '' ? `${target} REMOVE TTL` : `${target} MODIFY TTL ${ttl}\nSETTINGS materialize_ttl_after_modify = 1`;
}

/** Every retained table given its wanted TTL: what `rollpoint-backend schema --print` appends to the migrations. */
export const retentionStatements = (retention: Retention, options: SchemaOptions): string[] =>
  RETAINED_TABLES.map((entry) => retentionStatement(entry, wantedTtl(entry, retention), options));

/** The engine clause of each retained table's stored table (on a cluster, the local one on this server). */
const currentTtlsQuery = (options: SchemaOptions): Query => ({
  sql: `SELECT name, engine_full FROM system.tables
        WHERE database = currentDatabase() AND has({tables:Array(String)}, name)`,
  params: { tables: RETAINED_TABLES.map(({ table }) => storedName(table, options)) },
});

/** The TTL in an engine clause as system.tables shows it ('' for none). */
export const ttlOf = (engineFull: string): string => / TTL (.+?)(?: SETTINGS |$)/.exec(engineFull)?.[1] ?? '';

/** ClickHouse shows a TTL with parentheses and spacing of its own: compared without them. */
const comparable = (ttl: string): string => ttl.replace(/[\s()]/g, '');

/** The statements that bring every existing retained table to its wanted TTL (none when all match). */
export async function retentionChanges(store: Store, retention: Retention, options: SchemaOptions): Promise<string[]> {
  const rows = await store.query<{ name: string; engine_full: string }>(currentTtlsQuery(options));
  const current = new Map(rows.map((row) => [row.name, ttlOf(row.engine_full)]));
  return RETAINED_TABLES.flatMap((entry) => {
    const now = current.get(storedName(entry.table, options));
    const wanted = wantedTtl(entry, retention);
    return now === undefined || comparable(now) === comparable(wanted) ? [] : [retentionStatement(entry, wanted, options)];
  });
}

/** Applies storage.retention to the existing tables; returns the statements it ran. */
export async function applyRetention(store: Store, retention: Retention, options: SchemaOptions): Promise<string[]> {
  const statements = await retentionChanges(store, retention, options);
  for (const statement of statements) await store.command(statement);
  return statements;
}
