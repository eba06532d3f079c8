import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { auditEntriesQuery } from '../audit/audit-log.js';
import { AuditTrail } from '../audit/audit-trail.js';
import { queryDecoded } from '../store/row-decoder.js';
import { accessOf, apiPathOf } from './access.js';
import { parse, time } from './params.js';
import type { ApiContext } from './server.js';

// The audit trail of the API: every request that is not a GET (a write, or a route not in the
// access table) is recorded once answered, refused ones too (401s up to a cap a minute, see
// audit-trail.ts); GET /api/v1/audit lists them.

declare module 'fastify' {
  interface FastifyRequest {
    /** What a write's handler says it did, for the audit log (the backup it started); else DETAILS has it from the body. */
    auditDetail?: string;
  }
}

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
  backup: (b) => (b.incremental === true ? 'incremental' : 'full'),
};

/** What the request to `route` did, for the audit log: the access table's action, else the route below /api/v1/; undefined for a read. */
function actionOf(request: FastifyRequest, route: string): string | undefined {
  if (READ_METHODS.has(request.method)) return undefined;
  const access = accessOf(request);
  if (access !== undefined) return access.action;
  return route.replace(/^\/api\/v1\//, '');
}

function detailOf(request: FastifyRequest, action: string): string {
  if (request.auditDetail !== undefined) return request.auditDetail;
  const body = typeof request.body === 'object' && request.body !== null ? (request.body as Record<string, unknown>) : undefined;
  return body && DETAILS[action] ? DETAILS[action](body) : '';
}

export function registerAuditRoutes(app: FastifyInstance, { store, logger, metrics }: Pick<ApiContext, 'store' | 'logger' | 'metrics'>): void {
  const trail = new AuditTrail({ store, logger, onUnrecorded: () => metrics.auditUnrecorded.inc() });
  app.addHook('onClose', () => trail.close());
  app.addHook('onResponse', async (request, reply) => {
    const route = apiPathOf(request);
    const action = route === undefined ? undefined : actionOf(request, route);
    if (route === undefined || action === undefined) return;
    trail.record({
      tokenName: request.caller?.name ?? '',
      role: request.caller?.role ?? '',
      address: request.ip,
      method: request.method,
      route,
      action,
      detail: detailOf(request, action),
      status: reply.statusCode,
    });
  });

  app.get('/api/v1/audit', async (request, reply) => {
    const query = parse(auditQuery, request.query, reply);
    if (!query) return reply;
    return { entries: await queryDecoded(store, auditEntriesQuery(query.since ?? 0, query.limit)) };
  });
}
