import type { FastifyInstance } from 'fastify';
import { READONLY_ERROR_CODE, StoreError } from '../store/store.js';
import type { ApiContext } from './server.js';

/** The statement from a text/plain body or a JSON body {"sql": "..."}. */
function statementOf(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  if (typeof body === 'object' && body !== null && typeof (body as { sql?: unknown }).sql === 'string') return (body as { sql: string }).sql;
  return undefined;
}

/**
 * POST /api/v1/sql: one read-only statement, answered as {columns, rows}. Read-only is enforced by
 * ClickHouse (readonly=1 on the connection), so a write is refused by the engine, not by a regex.
 */
export function registerSqlRoute(app: FastifyInstance, { store, metrics }: ApiContext): void {
  app.post('/api/v1/sql', async (request, reply) => {
    const sql = statementOf(request.body)?.trim();
    if (!sql) {
      metrics.sqlQueries.inc({ outcome: 'bad_request' });
      return reply.code(400).send({ error: 'bad_request', message: 'send one SQL statement as text/plain, or JSON {"sql": "..."}' });
    }
    try {
      const result = await store.queryReadOnly(sql);
      metrics.sqlQueries.inc({ outcome: 'ok' });
      return result;
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      if (err.code === READONLY_ERROR_CODE) {
        metrics.sqlQueries.inc({ outcome: 'forbidden' });
        return reply.code(403).send({ error: 'read_only', message: `only reading statements are allowed here: ${err.message}` });
      }
      metrics.sqlQueries.inc({ outcome: 'error' });
      return reply.code(400).send({ error: 'query_failed', code: err.code, message: err.message });
    }
  });
}
