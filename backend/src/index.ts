export { startBackend } from './backend.js';
export type { RunningBackend } from './backend.js';
export { backendConfigSchema, loadBackendConfig } from './config.js';
export type { BackendConfig } from './config.js';
export { traceRows } from './ingest/traces.js';
export { logRows } from './ingest/logs.js';
export { migrate } from './schema/migrations.js';
export { ChdbStore } from './store/chdb.js';
export type { Query, QueryResult, Row, Store } from './store/store.js';
