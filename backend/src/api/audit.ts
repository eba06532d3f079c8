import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { auditEntriesQuery, recordAuditEntry } from '../audit/audit-log.js';
import { queryDecoded } from '../store/row-decoder.js';
import { accessOf } from './access.js';
import { parse, time } from './params.js';
import type { ApiContext } from './server.js';

// The audit trail of the API: every request that is not a GET (a write, or a route not in the
// access table) is recorded once answered, refused ones too; GET /api/v1/audit lists them.

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const auditQuery = z.strictObject({
  /** Default: from the beginning. */
  since: time.optional(),
  limit: z.coerce.number().int().positive().max(10000).default(100),
});

/** A line about what a write asked for, from its body (absent when it was refused before the body was read). */
const DETAILS: Record<string, (body: Record<string, unknown>) => string> = {
  marker: (b) => `${String(b.entity_kind)} ${String(b.entity)}: ${String(b.kind ?? 'marker')}`,
  recompute: (b) => `from ${String(b.from)} to ${String(b.to)}`,
};

/** What the request did, for the audit log: the access table's action, else the route below /api/v1/; undefined for a read. */
function actionOf(request: FastifyRequest): string | undefined {
  if (READ_METHODS.has(request.method)) return undefined;
  const access = accessOf(request);
  if (access !== undefined) return access.action;
  return (request.routeOptions.url ?? request.url.split('?')[0]!).replace(/^\/api\/v1\//, '');
}

export function registerAuditRoutes(app: FastifyInstance, { store, logger }: Pick<ApiContext, 'store' | 'logger'>): void {
  app.addHook('onResponse', async (request, reply) => {
    if (!request.url.startsWith('/api/')) return;
    const action = actionOf(request);
    if (action === undefined) return;
    const body = typeof request.body === 'object' && request.body !== null ? (request.body as Record<string, unknown>) : undefined;
    const entry = {
      tokenName: request.caller?.name ?? '',
      role: request.caller?.role ?? '',
      address: request.ip,
      method: request.method,
      route: request.routeOptions.url ?? request.url.split('?')[0]!,
      action,
      detail: body && DETAILS[action] ? DETAILS[action](body) : '',
      status: reply.statusCode,
    };
    await recordAuditEntry(store, entry).catch((err: Error) => logger.error({ err: err.message, action, tokenName: entry.tokenName }, 'recording an audit entry failed'));
  });

  app.get('/api/v1/audit', async (request, reply) => {
    const query = parse(auditQuery, request.query, reply);
    if (!query) return reply;
    return { entries: await queryDecoded(store, auditEntriesQuery(query.since ?? 0, query.limit)) };
  });
}
