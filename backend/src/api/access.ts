import { createBearerTokenCheck } from '@rollpoint/runtime';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ReadableTables } from '../store/store.js';
import type { BackendMetrics } from '../telemetry/metrics.js';
import { ROLES, type ApiTokenConfig, type Role } from './config.js';

// Who may call what under /api/: one table of every route and method with the role it needs and
// how it meets scopes. A route missing from the table is refused to every token (deny by default).

/** How a route meets a token limited to scopes. */
type ScopeRule =
  /** Its ?scope= must be one of the token's (absent: the token's first). */
  | 'query'
  /** Its :id is an incident, "<scope>:<start>", whose scope must be one of the token's. */
  | 'incident'
  /** SQL: the statement may name rollpoint's tables only (checked by the route). */
  | 'tables'
  /** Covers every scope: refused to a token limited to scopes. */
  | 'every_scope';

interface RouteAccess {
  role: Role;
  scope: ScopeRule;
  /** What the audit log calls a call of it; a route without one is a read, not recorded. */
  action?: string;
}

/** Keyed "<METHOD> <route>" with the route as registered (":id" and all). */
const ACCESS: Readonly<Record<string, RouteAccess>> = {
  'GET /api/v1/incidents': { role: 'read', scope: 'query' },
  'GET /api/v1/incidents/:id': { role: 'read', scope: 'incident' },
  'GET /api/v1/checkpoint': { role: 'read', scope: 'query' },
  'GET /api/v1/changes': { role: 'read', scope: 'query' },
  'GET /api/v1/timeline': { role: 'read', scope: 'query' },
  'GET /api/v1/timeline/window': { role: 'read', scope: 'query' },
  'POST /api/v1/sql': { role: 'read', scope: 'tables' },
  'POST /api/v1/changes': { role: 'write', scope: 'every_scope', action: 'marker' },
  'POST /api/v1/recompute': { role: 'write', scope: 'every_scope', action: 'recompute' },
  'GET /api/v1/status': { role: 'admin', scope: 'every_scope' },
  'GET /api/v1/audit': { role: 'admin', scope: 'every_scope' },
  'GET /api/v1/backups': { role: 'admin', scope: 'every_scope' },
  'POST /api/v1/backups': { role: 'admin', scope: 'every_scope', action: 'backup' },
};

/** Who called: a token's name and role (never the token), and its scopes when it is limited to some. */
export interface Caller {
  name: string;
  role: Role;
  scopes?: readonly string[];
}

/** The caller of a backend without API tokens: anyone may do anything. */
const ANONYMOUS: Caller = { name: 'anonymous', role: 'admin' };

declare module 'fastify' {
  interface FastifyRequest {
    /** Set for every /api/ request the token check let through. */
    caller?: Caller;
  }
}

const atLeast = (role: Role, needed: Role): boolean => ROLES.indexOf(role) >= ROLES.indexOf(needed);

/**
 * The /api/ path a request is for, as the router saw it: the route it matched, or the decoded path
 * of one that matched none; undefined for a request outside /api/. Never the raw URL: the router
 * decodes it, so "/%61pi/v1/status" is GET /api/v1/status.
 */
export function apiPathOf(request: FastifyRequest): string | undefined {
  const path = request.routeOptions.url ?? decodedPath(request.url);
  return path.startsWith('/api/') ? path : undefined;
}

function decodedPath(url: string): string {
  const path = url.split('?')[0]!;
  try {
    return decodeURIComponent(path);
  } catch {
    // Malformed escapes: the router matched nothing either.
    return path;
  }
}

/** The table's entry of a request, by the route it matched; undefined for a route not listed (or none). */
export function accessOf(request: FastifyRequest): RouteAccess | undefined {
  const route = request.routeOptions.url;
  return route === undefined ? undefined : ACCESS[`${request.method} ${route}`];
}

/** Whether `caller` sees scope `scope`. */
const seesScope = (caller: Caller | undefined, scope: string): boolean => caller?.scopes === undefined || caller.scopes.includes(scope);

/** What the request's caller's SQL may read: rollpoint's tables when it is limited to scopes, no admin tables below admin; undefined: anything. */
export function readableTablesOf(request: FastifyRequest): ReadableTables | undefined {
  if (request.caller?.scopes !== undefined) return 'rollpoint_tables';
  return request.caller?.role === 'admin' ? undefined : 'all_but_admin_tables';
}

type Refusal = { status: 401 | 403; reason: string; message: string };

/** Why a scope-limited caller may not make this request, if it may not. */
function scopeRefusal(request: FastifyRequest, access: RouteAccess, caller: Caller & { scopes: readonly string[] }): Refusal | undefined {
  const limited = `token "${caller.name}" is limited to scope${caller.scopes.length > 1 ? 's' : ''} ${caller.scopes.join(', ')}`;
  const outside = (scope: string): Refusal => ({ status: 403, reason: 'scope', message: `${limited}; scope "${scope}" is outside them` });
  if (access.scope === 'every_scope') return { status: 403, reason: 'scope', message: `${request.method} ${request.routeOptions.url} covers every scope; ${limited}` };
  if (access.scope === 'incident') {
    const id = (request.params as { id: string }).id;
    const scope = id.slice(0, Math.max(0, id.lastIndexOf(':')));
    return seesScope(caller, scope) ? undefined : outside(scope || id);
  }
  if (access.scope === 'query') {
    const query = request.query as Record<string, unknown>;
    // Asked for no scope: the token's first, where an unlimited token gets the default scope (everything).
    if (query.scope === undefined) query.scope = caller.scopes[0];
    return typeof query.scope === 'string' && seesScope(caller, query.scope) ? undefined : outside(String(query.scope));
  }
  return undefined;
}

/** Why the request is refused, if it is: 401 for a missing or unknown token, 403 for too low a role, a scope outside the token's, a route not listed. */
function refusal(request: FastifyRequest, caller: Caller | undefined): Refusal | undefined {
  if (caller === undefined) {
    return request.headers.authorization === undefined
      ? { status: 401, reason: 'missing', message: 'this API needs a token: send one of the API tokens as "authorization: Bearer <token>"' }
      : { status: 401, reason: 'unknown', message: 'the API token sent is not one the backend knows (api.tokens, ROLLPOINT_API_TOKENS, http.api_token); send it as "authorization: Bearer <token>"' };
  }
  // A route that does not exist is a 404, whoever asks.
  if (request.routeOptions.url === undefined) return undefined;
  const access = accessOf(request);
  if (access === undefined) {
    return { status: 403, reason: 'unlisted', message: `${request.method} ${request.routeOptions.url} is not in the API's access table (backend/src/api/access.ts), so no token may call it` };
  }
  if (!atLeast(caller.role, access.role)) {
    return { status: 403, reason: 'role', message: `${request.method} ${request.routeOptions.url} needs the ${access.role} role; token "${caller.name}" has ${caller.role}` };
  }
  if (caller.scopes !== undefined) return scopeRefusal(request, access, caller as Caller & { scopes: readonly string[] });
  return undefined;
}

export interface AccessControlOptions {
  tokens: readonly ApiTokenConfig[];
  metrics: BackendMetrics;
}

/** Checks every /api/ request's token against the access table; sets request.caller for those let through. */
export function registerAccessControl(app: FastifyInstance, { tokens, metrics }: AccessControlOptions): void {
  const check = createBearerTokenCheck(Object.fromEntries(tokens.map((t) => [t.name, t.token])));
  const callers = new Map(tokens.map((t): [string, Caller] => [t.name, { name: t.name, role: t.role, ...(t.scopes ? { scopes: t.scopes } : {}) }]));
  const identify = (request: FastifyRequest): Caller | undefined => (tokens.length === 0 ? ANONYMOUS : callers.get(check(request.headers.authorization) ?? ''));
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (apiPathOf(request) === undefined) return;
    const caller = identify(request);
    if (caller !== undefined) request.caller = caller;
    const refused = refusal(request, caller);
    if (refused === undefined) return;
    if (refused.status === 401) metrics.apiUnauthorized.inc();
    else metrics.apiForbidden.inc({ reason: refused.reason });
    await reply.code(refused.status).send({ error: refused.status === 401 ? 'unauthorized' : 'forbidden', message: refused.message });
  });
}

/** The scopes of `all` the request's caller sees. */
export const visibleScopes = (request: FastifyRequest, all: readonly string[]): string[] => all.filter((scope) => seesScope(request.caller, scope));
