import type { FastifyInstance } from 'fastify';
import { tableRowCountsQuery } from '../schema/introspection.js';
import { SCHEMA_VERSION } from '../schema/migrations.js';
import type { ApiContext } from './server.js';

/** GET /api/v1/status: readiness, store driver, schema version, rows per table and webhook deliveries. */
export function registerStatusRoute(app: FastifyInstance, { store, isReady, webhooks }: ApiContext): void {
  app.get('/api/v1/status', async () => {
    const rows = await store.query<{ name: string; rows: string }>(tableRowCountsQuery());
    return {
      ready: isReady(),
      store: { driver: store.driver, schema_version: SCHEMA_VERSION },
      tables: Object.fromEntries(rows.map(({ name, rows: count }) => [name, Number(count)])),
      webhooks: await webhooks.status(),
    };
  });
}
