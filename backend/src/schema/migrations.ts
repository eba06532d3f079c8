import type { Store } from '../store/store.js';
import {
  changeEventsTable,
  changesView,
  checkpointsTable,
  incidentsTable,
  deduplicationWindows,
  deviceConfigChangesView,
  entityWindowsLogsView,
  entityWindowsTable,
  entityWindowsTracesView,
  migrationsTable,
  otelLogsTable,
  otelTracesTable,
  serviceVersionsTable,
  serviceVersionsView,
  sourceWatermarksTable,
  traceIdTsTable,
  traceIdTsView,
  webhookDeliveriesTable,
  windowHealthTable,
  type SchemaOptions,
} from './ddl.js';

interface Migration {
  version: number;
  name: string;
  statements(options: SchemaOptions): string[];
}

/** Append-only: a released migration is never edited, a change is a new version. */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'otel_logs and otel_traces (Collector ClickHouse exporter layout)',
    statements: (o) => [otelLogsTable(o), otelTracesTable(o), traceIdTsTable(o), traceIdTsView()],
  },
  {
    version: 2,
    name: 'deduplication windows for batch ids; source_watermarks',
    statements: () => [...deduplicationWindows(), sourceWatermarksTable()],
  },
  {
    version: 3,
    name: 'checkpoints: entity windows, service versions, change events, the changes view, incidents and checkpoints',
    statements: (o) => [
      entityWindowsTable(o),
      entityWindowsTracesView(),
      entityWindowsLogsView(),
      serviceVersionsTable(o),
      serviceVersionsView('otel_traces'),
      serviceVersionsView('otel_logs'),
      changeEventsTable(o),
      deviceConfigChangesView(),
      changesView(),
      windowHealthTable(o),
      incidentsTable(o),
      checkpointsTable(o),
    ],
  },
  {
    version: 4,
    name: 'webhook_deliveries',
    statements: (o) => [webhookDeliveriesTable(o)],
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/**
 * Brings the store's schema up to SCHEMA_VERSION. Every statement is idempotent (IF NOT EXISTS, MODIFY SETTING),
 * so two backends starting at once, or a crash between a statement and its record, are harmless.
 */
export async function migrate(store: Store, options: SchemaOptions): Promise<number[]> {
  await store.command(migrationsTable());
  const { rows } = await store.query({ sql: 'SELECT DISTINCT version FROM rollpoint_schema_migrations', params: {} });
  const applied = new Set(rows.map((row) => Number(row[0])));
  const done: number[] = [];
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    for (const statement of migration.statements(options)) await store.command(statement);
    await store.insert('rollpoint_schema_migrations', [{ version: migration.version, name: migration.name }]);
    done.push(migration.version);
  }
  return done;
}
