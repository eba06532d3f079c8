import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { auditEntriesQuery } from '../audit/audit-log.js';
import { migrate } from '../schema/migrations.js';
import { ChdbStore } from '../store/chdb.js';
import { queryDecoded } from '../store/row-decoder.js';
import { createBackendMetrics } from '../telemetry/metrics.js';
import { registerAccessControl } from './access.js';
import { registerAuditRoutes } from './audit.js';

// The access table in front of routes it does not own: the backups routes (built elsewhere) are
// admin-only by the table alone, a route missing from it is refused to every token, and the audit
// log records their writes under the route's action, on the real embedded engine.

const TOKENS = [
  { name: 'reader', token: 'reader-token-0123456789', role: 'read' as const },
  { name: 'ops', token: 'admin-token-0123456789ab', role: 'admin' as const },
];

describe('the access table in front of routes it does not know', function () {
  const path = mkdtempSync(join(tmpdir(), 'rollpoint-access-'));
  let store: ChdbStore;
  let app: FastifyInstance;

  before(async function () {
    store = new ChdbStore({ path, readOnlyMaxRows: 1000, readOnlyTimeoutMs: 30000 });
    await migrate(store, { ttlDays: 30 });
    app = Fastify();
    const metrics = createBackendMetrics({ staleAfterMs: 300000 });
    registerAccessControl(app, { tokens: TOKENS, metrics });
    registerAuditRoutes(app, { store, logger: pino({ level: 'silent' }), metrics });
    // Stand-ins for routes other parts register.
    app.get('/api/v1/backups', async () => ({ backups: [] }));
    app.post('/api/v1/backups', async (_request, reply) => reply.code(202).send({ status: 'started' }));
    app.post('/api/v1/unlisted', async () => ({ status: 'done' }));
    await app.listen({ host: '127.0.0.1', port: 0 });
  });
  after(async function () {
    await app.close();
    await store.close();
    rmSync(path, { recursive: true, force: true });
  });

  const call = async (method: string, route: string, token?: string) => {
    const response = await fetch(`http://127.0.0.1:${(app.server.address() as { port: number }).port}${route}`, {
      method,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    return { status: response.status, message: ((await response.json()) as { message?: string }).message };
  };

  it('keeps the backups routes to admin tokens', async function () {
    expect(await call('GET', '/api/v1/backups')).to.include({ status: 401 });
    expect(await call('GET', '/api/v1/backups', 'reader-token-0123456789')).to.deep.equal({ status: 403, message: 'GET /api/v1/backups needs the admin role; token "reader" has read' });
    expect(await call('POST', '/api/v1/backups', 'reader-token-0123456789')).to.include({ status: 403 });
    expect(await call('GET', '/api/v1/backups', 'admin-token-0123456789ab')).to.include({ status: 200 });
    expect(await call('POST', '/api/v1/backups', 'admin-token-0123456789ab')).to.include({ status: 202 });
  });

  it('refuses a route missing from the table to every token, and answers 404 for no route at all', async function () {
    const refused = await call('POST', '/api/v1/unlisted', 'admin-token-0123456789ab');
    expect(refused.status).to.equal(403);
    expect(refused.message).to.include("not in the API's access table");
    expect(await call('GET', '/api/v1/nothing-here', 'admin-token-0123456789ab')).to.include({ status: 404 });
    expect(await call('GET', '/api/v1/nothing-here')).to.include({ status: 401 });
  });

  it('records the writes under the route’s action, refused ones with their status', async function () {
    const expected = ['backup reader 403', 'backup ops 202', 'unlisted ops 403'];
    let seen: string[] = [];
    // Each is recorded once its answer has gone out.
    for (let attempt = 0; attempt < 200 && seen.length < expected.length; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50));
      seen = (await queryDecoded(store, auditEntriesQuery(0, 100))).map((e) => `${e.action} ${e.tokenName} ${e.status}`);
    }
    expect(seen).to.have.members(expected);
  });
});
