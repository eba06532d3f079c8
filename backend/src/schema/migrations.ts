import { sqlString, StoreError, type Store } from '../store/store.js';
import { runMigrationStatement } from './awaited-mutations.js';
import type { SchemaOptions } from './layout.js';
import { retentionStatements, type Retention } from './retention.js';
import {
  auditLogTable,
  backupsTable,
  changeEventsTable,
  checkpointsTable,
  configCommitsTable,
  deduplicationWindows,
  entityWindowsTable,
  incidentsTable,
  ingestedBatchesTable,
  learnedDevicesTable,
  metricWindowsTable,
  migrationsTable,
  otelLogsTable,
  otelMetricsExponentialHistogramTable,
  otelMetricsGaugeTable,
  otelMetricsHistogramTable,
  otelMetricsSumTable,
  otelMetricsSummaryTable,
  otelTracesTable,
  serviceVersionsTable,
  sourceWatermarksTable,
  storedTimeColumns,
  traceIdTsTable,
  webhookDeliveriesTable,
  windowHealthMetricsColumn,
  windowHealthTable,
} from './table-ddl.js';
import {
  changesView,
  changesWithConfigCommitsView,
  deviceConfigChangesView,
  entityWindowsLogsView,
  entityWindowsTracesView,
  metricWindowsHistogramView,
  metricWindowsValuesView,
  serviceVersionsView,
  traceIdTsView,
} from './view-ddl.js';

interface Migration {
  version: number;
  name: string;
  statements(options: SchemaOptions): string[];
}

/**
 * Append-only: a released migration is never edited, a change is a new version. The builders are
 * kept (they read the shared names and the layout), and what each released migration renders is
 * frozen: released/<version>.<layout>.sql holds its script for a single node and for a
 * cluster, and frozen-migrations.test.ts fails when a builder, a constant or
 * the layout code changes any of them. Databases created before would keep the old shape.
 */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'otel_logs and otel_traces (Collector ClickHouse exporter layout)',
    statements: (o) => [...otelLogsTable(o), ...otelTracesTable(o), ...traceIdTsTable(o), traceIdTsView(o)],
  },
  {
    version: 2,
    name: 'deduplication windows for batch ids; source_watermarks',
    statements: (o) => [...deduplicationWindows(o), ...sourceWatermarksTable(o)],
  },
  {
    version: 3,
    name: 'checkpoints: entity windows, service versions, change events, the changes view, incidents and checkpoints',
    statements: (o) => [
      ...entityWindowsTable(o),
      entityWindowsTracesView(o),
      entityWindowsLogsView(o),
      ...serviceVersionsTable(o),
      serviceVersionsView('otel_traces', o),
      serviceVersionsView('otel_logs', o),
      ...changeEventsTable(o),
      deviceConfigChangesView(o),
      changesView(o),
      ...windowHealthTable(o),
      ...incidentsTable(o),
      ...checkpointsTable(o),
    ],
  },
  {
    version: 4,
    name: 'webhook_deliveries',
    statements: (o) => webhookDeliveriesTable(o),
  },
  {
    version: 5,
    name: 'ingested_batches: the ledger of batch ids the coalesced inserts stored',
    statements: (o) => ingestedBatchesTable(o),
  },
  {
    version: 6,
    name: 'otel_metrics_gauge, _sum, _histogram, _exponential_histogram and _summary (Collector ClickHouse exporter layout)',
    statements: (o) => [
      ...otelMetricsGaugeTable(o),
      ...otelMetricsSumTable(o),
      ...otelMetricsHistogramTable(o),
      ...otelMetricsExponentialHistogramTable(o),
      ...otelMetricsSummaryTable(o),
    ],
  },
  {
    version: 7,
    name: 'rules over metrics: metric_windows fed from the gauge, sum and histogram tables; window_health.metrics',
    statements: (o) => [
      ...metricWindowsTable(o),
      metricWindowsValuesView('otel_metrics_gauge', o),
      metricWindowsValuesView('otel_metrics_sum', o),
      metricWindowsHistogramView(o),
      windowHealthMetricsColumn(o),
    ],
  },
  {
    version: 8,
    name: 'learned_devices: device address and name pairs learned from stored syslog and traps',
    statements: (o) => learnedDevicesTable(o),
  },
  {
    version: 9,
    name: 'config_commits: device config revisions from a config repository; the changes view lists them',
    statements: (o) => [...configCommitsTable(o), changesWithConfigCommitsView(o)],
  },
  {
    version: 10,
    name: 'stored time of logs, spans, metric points and change events: the TTL of rows with an implausible event time counts from it',
    statements: (o) => storedTimeColumns(o),
  },
  {
    version: 11,
    name: 'audit_log: every write through the API, with its token name, source address and answer',
    statements: (o) => auditLogTable(o),
  },
  {
    version: 12,
    name: 'backups: the catalogue of backups made with BACKUP DATABASE',
    statements: (o) => backupsTable(o),
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Brings the store's schema up to SCHEMA_VERSION. Every statement is idempotent (IF NOT EXISTS, MODIFY SETTING),
 * so two backends starting at once, or a crash between a statement and its record, are harmless;
 * a column rewrite an earlier run queued is waited for, not queued again (awaited-mutations.ts).
 */
export async function migrate(store: Store, options: SchemaOptions): Promise<number[]> {
  for (const statement of migrationsTable(options)) await store.command(statement);
  const rows = await store.query<{ version: number }>({ sql: 'SELECT DISTINCT version FROM rollpoint_schema_migrations', params: {} });
  const applied = new Set(rows.map((row) => Number(row.version)));
  const done: number[] = [];
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    for (const statement of migration.statements(options)) await runMigrationStatement(store, statement);
    await store.insert('rollpoint_schema_migrations', [{ version: migration.version, name: migration.name }]);
    done.push(migration.version);
  }
  return done;
}

/** Statements as a script: each ends in ";", a blank line between them. */
const scriptOf = (statements: readonly string[]): string => statements.map((statement) => `${statement.trim()};`).join('\n\n');

/**
 * The schema as one script per migration, with the row that records it as applied; version 0
 * creates the table of those rows. What released/ freezes, and what schemaScript joins.
 */
export function migrationScripts(options: SchemaOptions): Array<{ version: number; script: string }> {
  return [
    { version: 0, script: scriptOf(migrationsTable(options)) },
    ...MIGRATIONS.map((migration) => ({
      version: migration.version,
      script: scriptOf([
        ...migration.statements(options),
        `INSERT INTO rollpoint_schema_migrations (version, name) VALUES (${migration.version}, ${sqlString(migration.name)})`,
      ]),
    })),
  ];
}

/**
 * The whole schema as one SQL script, with the rows that record the migrations as applied, then
 * every retained table given its retention: what `rollpoint-backend schema --print` gives operators
 * who own the DDL (`create_schema: false`). clickhouse-client --multiquery runs it.
 */
export const schemaScript = (options: SchemaOptions, retention: Retention): string =>
  `${[...migrationScripts(options).map(({ script }) => script), scriptOf(retentionStatements(retention, options))].join('\n\n')}\n`;

/** The tables and views the migrations create (and created: a later one may drop them), as their DDL names them. */
export const schemaObjectNames = (options: SchemaOptions): string[] =>
  [...migrationScripts(options).map(({ script }) => script).join('\n').matchAll(/CREATE (?:TABLE|VIEW|MATERIALIZED VIEW) IF NOT EXISTS (?:\w+\.)?(\w+)/g)].map((m) => m[1]!);

const UNKNOWN_TABLE_CODE = 60;

/** With create_schema false: the schema must already be at SCHEMA_VERSION, or the message says how to get there. */
export async function checkSchemaVersion(store: Store): Promise<void> {
  let applied = 0;
  try {
    const [row] = await store.query<{ latest: number }>({ sql: 'SELECT max(version) AS latest FROM rollpoint_schema_migrations', params: {} });
    applied = Number(row?.latest ?? 0);
  } catch (err) {
    if (!(err instanceof StoreError) || err.code !== UNKNOWN_TABLE_CODE) throw err;
  }
  if (applied < SCHEMA_VERSION) {
    throw new Error(
      `the database holds rollpoint schema version ${applied}, this backend needs ${SCHEMA_VERSION}; storage.clickhouse.create_schema is false, so apply the DDL yourself: rollpoint-backend schema --print --config <file> | clickhouse-client --multiquery`,
    );
  }
}
