import type { FastifyInstance } from 'fastify';
import { oldestRowsQuery, tableSizesQuery } from '../schema/introspection.js';
import { SCHEMA_VERSION } from '../schema/migrations.js';
import { tableRetentions } from '../schema/retention.js';
import type { ApiContext } from './server.js';

/** GET /api/v1/status: readiness, store driver, schema version, each table's retention (retained by storage.retention or kept: family fixed), rows, oldest row and size, and webhook deliveries. */
export function registerStatusRoute(app: FastifyInstance, { store, isReady, webhooks, storage }: ApiContext): void {
  app.get('/api/v1/status', async () => {
    const [sizes, oldest] = await Promise.all([
      store.query<{ name: string; rows: string; bytes_on_disk: string }>(tableSizesQuery(storage.layout)),
      store.query<{ name: string; oldest: number | string | null }>(oldestRowsQuery()),
    ]);
    const sizeOf = new Map(sizes.map((row) => [row.name, row]));
    const oldestOf = new Map(oldest.map((row) => [row.name, row.oldest]));
    return {
      ready: isReady(),
      store: { driver: store.driver, schema_version: SCHEMA_VERSION },
      tables: Object.fromEntries(
        tableRetentions(storage.retention).map(({ table, family, seconds: retention }) => {
          const seconds = oldestOf.get(table);
          const details = {
            family,
            retention_seconds: retention,
            rows: Number(sizeOf.get(table)?.rows ?? 0),
            oldest_row: seconds === null || seconds === undefined ? null : new Date(Number(seconds) * 1000).toISOString(),
            bytes_on_disk: Number(sizeOf.get(table)?.bytes_on_disk ?? 0),
          };
          return [table, details];
        }),
      ),
      webhooks: await webhooks.status(),
    };
  });
}
