import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { startEmbeddedEngineServer, TEST_PASSWORD, TEST_USER, type ClickHouseServer } from '../testing/clickhouse-servers.js';
import { SCENARIO_SCOPES, sendIncidentScenario, type IncidentScenario } from '../testing/incident-scenario.js';
import { CLI_MAIN } from '../testing/paths.js';
import { freePort } from '../testing/ports.js';
import { metricValue, startBackendProcess, tempFolder, waitUntil, type BackendProcess } from '../testing/processes.js';

// The API's roles on a real backend process: every endpoint asked with no token, a read, a write
// and an admin token, and a read token limited to the scope `shop`, answered as the README's
// table says; the audit log holding each write (refused ones too) with its token's name and
// address, never the token; no token in the backend's log. Tokens come from the three places the
// configuration takes them: the file, a variable the file names, and ROLLPOINT_API_TOKENS. Paths
// spelled otherwise (percent-encoded, doubled slashes, another case, dot segments) are decided as
// the router routes them.

const run = promisify(execFile);
const TOKENS = {
  read: 'reader-token-0123456789abcdef',
  write: 'writer-token-0123456789abcdef',
  admin: 'admin-token-0123456789abcdef',
  scoped: 'shop-reader-token-0123456789',
  scopedWriter: 'shop-writer-token-0123456789',
} as const;
type Caller = 'none' | 'read' | 'write' | 'admin' | 'scoped';
const CALLERS: readonly Caller[] = ['none', 'read', 'write', 'admin', 'scoped'];
const NAMES: Record<Exclude<Caller, 'none'>, string> = { read: 'reader', write: 'writer', admin: 'ops', scoped: 'shop-reader' };

describe('API roles, scope-limited tokens and the audit trail (backend process)', function () {
  this.timeout(180000);
  let backend: BackendProcess;
  let scenario: IncidentScenario;
  let shopIncident: string;
  let lateIncident: string;

  const backupsPath = join(tempFolder('roles-backups'), 'backups');

  const call = async (caller: Caller | keyof typeof TOKENS, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
    const headers: Record<string, string> = caller === 'none' ? {} : { authorization: `Bearer ${TOKENS[caller]}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${backend.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  before(async function () {
    backend = await startBackendProcess({
      apiToken: TOKENS.read,
      env: {
        ROLES_WRITER_TOKEN: TOKENS.write,
        ROLLPOINT_API_TOKENS: JSON.stringify([{ name: 'ops', token: TOKENS.admin, role: 'admin' }]),
      },
      extra: {
        log: { level: 'info' },
        backups: { path: backupsPath },
        checkpoints: { scopes: SCENARIO_SCOPES },
        api: {
          tokens: [
            { name: 'reader', token: TOKENS.read, role: 'read' },
            { name: 'writer', token: '${env:ROLES_WRITER_TOKEN}', role: 'write' },
            { name: 'shop-reader', token: TOKENS.scoped, role: 'read', scopes: ['shop'] },
            { name: 'shop-writer', token: TOKENS.scopedWriter, role: 'write', scopes: ['shop'] },
          ],
        },
      },
    });
    scenario = await sendIncidentScenario(backend, { authorization: `Bearer ${TOKENS.write}` });
    const incidentOf = async (scope: string) => ((await call('admin', 'GET', `/api/v1/incidents?scope=${scope}&from=${scenario.t0 / 1000}`)).body.incidents as Array<{ id: string }>)[0]!.id;
    shopIncident = await incidentOf('shop');
    lateIncident = await incidentOf('late');
  });

  after(async function () {
    await backend?.stop();
    rmSync(join(backupsPath, '..'), { recursive: true, force: true });
  });

  // Expected status per caller: none, read, write, admin, scope-limited (read, scope shop).
  const matrix = (): Array<[string, string, unknown, number[]]> => {
    const window = new Date(scenario.at(28)).toISOString();
    const marker = { entity_kind: 'service', entity: 'shop-cart', title: 'roles test marker', kind: 'deploy' };
    const range = { from: new Date(scenario.at(20)).toISOString(), to: new Date(scenario.at(30)).toISOString() };
    return [
      ['GET', '/api/v1/incidents?scope=shop', undefined, [401, 200, 200, 200, 200]],
      ['GET', '/api/v1/incidents?scope=late', undefined, [401, 200, 200, 200, 403]],
      ['GET', `/api/v1/incidents/${encodeURIComponent(shopIncident)}`, undefined, [401, 200, 200, 200, 200]],
      ['GET', `/api/v1/incidents/${encodeURIComponent(lateIncident)}`, undefined, [401, 200, 200, 200, 403]],
      ['GET', '/api/v1/checkpoint?scope=shop', undefined, [401, 200, 200, 200, 200]],
      ['GET', '/api/v1/checkpoint?scope=default', undefined, [401, 200, 200, 200, 403]],
      ['GET', '/api/v1/changes?scope=shop', undefined, [401, 200, 200, 200, 200]],
      ['GET', '/api/v1/changes?scope=late', undefined, [401, 200, 200, 200, 403]],
      ['GET', '/api/v1/timeline?scope=shop', undefined, [401, 200, 200, 200, 200]],
      ['GET', '/api/v1/timeline?scope=late', undefined, [401, 200, 200, 200, 403]],
      ['GET', `/api/v1/timeline/window?scope=shop&start=${window}`, undefined, [401, 200, 200, 200, 200]],
      ['GET', `/api/v1/timeline/window?scope=late&start=${window}`, undefined, [401, 200, 200, 200, 403]],
      ['POST', '/api/v1/sql', { sql: 'SELECT count() AS n FROM otel_traces' }, [401, 200, 200, 200, 200]],
      ['POST', '/api/v1/sql', { sql: 'SELECT name FROM system.tables' }, [401, 200, 200, 200, 403]],
      ['POST', '/api/v1/sql', { sql: 'SELECT 1, now()' }, [401, 200, 200, 200, 200]],
      ['POST', '/api/v1/sql', { sql: 'SELECT count() FROM audit_log' }, [401, 403, 403, 200, 403]],
      ['POST', '/api/v1/sql', { sql: 'SELECT count() FROM backups' }, [401, 403, 403, 200, 403]],
      ['POST', '/api/v1/sql', { sql: 'SELECT count() FROM system.backups' }, [401, 403, 403, 200, 403]],
      ['POST', '/api/v1/changes', marker, [401, 403, 201, 201, 403]],
      ['POST', '/api/v1/recompute', range, [401, 403, 200, 200, 403]],
      ['GET', '/api/v1/status', undefined, [401, 403, 403, 200, 403]],
      ['GET', '/api/v1/audit', undefined, [401, 403, 403, 200, 403]],
      ['GET', '/api/v1/backups', undefined, [401, 403, 403, 200, 403]],
      ['POST', '/api/v1/backups', {}, [401, 403, 403, 202, 403]],
    ];
  };

  it('answers each endpoint as documented for no token, read, write, admin and a scope-limited token', async function () {
    const answers: string[] = [];
    const expected: string[] = [];
    for (const [method, path, body, statuses] of matrix()) {
      for (const [i, caller] of CALLERS.entries()) {
        const answer = await call(caller, method, path, body);
        answers.push(`${method} ${path} as ${caller}: ${answer.status}`);
        expected.push(`${method} ${path} as ${caller}: ${statuses[i]}`);
        // Each refusal says why, in words.
        if (answer.status === 401) expect(answer.body).to.include({ error: 'unauthorized' }).and.have.property('message').that.includes('authorization: Bearer');
        if (answer.status === 403) expect(answer.body).to.have.property('message').that.matches(/needs the (write|admin) role; token "[\w-]+" has|limited to scope|only an admin token's SQL may read/);
      }
    }
    expect(answers).to.deep.equal(expected);
  });

  it('says which role a route needs, and which scopes a token has', async function () {
    expect((await call('read', 'GET', '/api/v1/status')).body.message).to.equal('GET /api/v1/status needs the admin role; token "reader" has read');
    expect((await call('scoped', 'GET', '/api/v1/incidents?scope=late')).body.message).to.equal('token "shop-reader" is limited to scope shop; scope "late" is outside them');
    expect((await call('scopedWriter', 'POST', '/api/v1/recompute', { from: scenario.t0 / 1000, to: scenario.t0 / 1000 + 60 })).body.message).to.equal(
      'POST /api/v1/recompute covers every scope; token "shop-writer" is limited to scope shop',
    );
    const wrong = await fetch(`${backend.url}/api/v1/incidents`, { headers: { authorization: 'Bearer not-a-known-token-0123456789' } });
    expect(wrong.status).to.equal(401);
    expect(((await wrong.json()) as { message: string }).message).to.include('not one the backend knows');
    expect((await call('scoped', 'POST', '/api/v1/sql', { sql: 'SELECT * FROM numbers(3)' })).body.message).to.include('the table function numbers()');
  });

  it('gives a scope-limited token its own scope by default, and only its scopes in the timeline', async function () {
    const incidents = await call('scoped', 'GET', `/api/v1/incidents?from=${scenario.t0 / 1000}`);
    expect(incidents.body.scope).to.equal('shop');
    expect((incidents.body.incidents as Array<{ id: string }>).map((i) => i.id)).to.include(shopIncident);
    const timeline = await call('scoped', 'GET', '/api/v1/timeline');
    expect(timeline.body).to.include({ scope: 'shop' });
    expect(timeline.body.scopes).to.deep.equal(['shop']);
    expect((await call('read', 'GET', '/api/v1/timeline')).body.scopes).to.have.members(['default', 'shop', 'late']);
    // The CLI asks without a scope unless told: the token's own.
    const cli = JSON.parse((await run(process.execPath, [CLI_MAIN, '--url', backend.url, '--token', TOKENS.scoped, '--json', 'incidents', '--since', String(scenario.t0 / 1000)])).stdout);
    expect(cli.scope).to.equal('shop');
  });

  it('records each write in the audit log, refused ones too, with the token’s name and address and never the token', async function () {
    const writes = matrix().filter(([method, path]) => method === 'POST' && path !== '/api/v1/sql');
    let entries: Array<Record<string, unknown>> = [];
    // Each write's entry is stored once its answer has gone out.
    await waitUntil(async () => {
      entries = (await call('admin', 'GET', '/api/v1/audit?limit=1000')).body.entries as Array<Record<string, unknown>>;
      return writes.every(([, path]) => CALLERS.every((caller) => entries.some((e) => e.route === path && e.tokenName === (caller === 'none' ? '' : NAMES[caller]))));
    }, 'every write of the matrix in the audit log');
    const marker = entries.find((e) => e.action === 'marker' && e.tokenName === 'writer' && e.detail === 'service shop-cart: deploy')!;
    expect(marker).to.include({ role: 'write', address: '127.0.0.1', method: 'POST', route: '/api/v1/changes', status: 201 });
    expect(entries.find((e) => e.action === 'marker' && e.tokenName === 'reader')).to.include({ role: 'read', status: 403 });
    expect(entries.find((e) => e.action === 'recompute' && e.tokenName === '')).to.include({ role: '', status: 401 });
    expect(entries.find((e) => e.action === 'recompute' && e.tokenName === 'ops')).to.have.property('detail').that.matches(/^from \S+ to \S+$/);
    // SQL is a read: not audited.
    expect(entries.filter((e) => e.route === '/api/v1/sql')).to.deep.equal([]);
    const stored = JSON.stringify((await call('admin', 'POST', '/api/v1/sql', { sql: 'SELECT * FROM audit_log' })).body.rows);
    for (const token of Object.values(TOKENS)) expect(stored).not.to.include(token);

    const table = (await run(process.execPath, [CLI_MAIN, '--url', backend.url, '--token', TOKENS.admin, 'audit', '--limit', '500'])).stdout;
    expect(table).to.match(/writer\s.*write\s.*127\.0\.0\.1\s.*marker\s.*service shop-cart: deploy\s.*201/);
    const refused = (await run(process.execPath, [CLI_MAIN, '--url', backend.url, '--token', TOKENS.read, 'audit']).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include('needs the admin role');
  });

  it('names the backup and its kind in its audit entry', async function () {
    type Backup = { name: string; status: string };
    let first: Backup | undefined;
    await waitUntil(async () => {
      first = ((await call('admin', 'GET', '/api/v1/backups')).body.backups as Backup[])[0];
      return first?.status === 'created';
    }, "the matrix's backup made");
    const incremental = await call('admin', 'POST', '/api/v1/backups', { incremental: true });
    expect(incremental.status).to.equal(202);
    const details = async () => ((await call('admin', 'GET', '/api/v1/audit?limit=1000')).body.entries as Array<Record<string, unknown>>).filter((e) => e.action === 'backup' && e.tokenName === 'ops').map((e) => e.detail);
    await waitUntil(async () => (await details()).length === 2, 'both backups in the audit log');
    expect(await details()).to.have.members([`full ${first!.name}`, `incremental ${String(incremental.body.name)} on ${first!.name}`]);
    await waitUntil(async () => ((await call('admin', 'GET', '/api/v1/backups')).body.backups as Backup[]).every((b) => b.status !== 'creating'), 'the incremental backup done');
  });

  /** A request with its path sent as written (fetch would resolve its dot segments); resolves to the status. */
  const raw = (caller: Caller | keyof typeof TOKENS, method: string, path: string, body?: unknown): Promise<number> =>
    new Promise((resolve, reject) => {
      const headers = { ...(caller === 'none' ? {} : { authorization: `Bearer ${TOKENS[caller]}` }), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) };
      const sent = request({ host: '127.0.0.1', port: backend.httpPort, method, path, headers }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode!));
      });
      sent.on('error', reject);
      sent.end(body === undefined ? undefined : JSON.stringify(body));
    });

  it('decides on the route a path reaches, however it is spelled', async function () {
    // Percent-encoded: the router decodes them to the API's routes.
    for (const path of ['/%61pi/v1/status', '/%61%70%69/v1/status', '/api/v1/st%61tus']) {
      expect([await raw('none', 'GET', path), await raw('read', 'GET', path), await raw('admin', 'GET', path)], path).to.deep.equal([401, 403, 200]);
    }
    expect(await raw('scoped', 'GET', `/%61pi/v1/incidents?scope=late`)).to.equal(403);
    for (const [path, body] of [
      ['/%61pi/v1/changes', { entity_kind: 'service', entity: 'shop-cart', title: 'encoded path marker' }],
      ['/%61pi/v1/recompute', { from: scenario.t0 / 1000, to: scenario.t0 / 1000 + 60 }],
      ['/%61pi/v1/sql', { sql: 'SELECT 1' }],
      ['/%61pi/v1/backups', {}],
    ] as const) {
      expect(await raw('none', 'POST', path, body), path).to.equal(401);
      expect(await raw('read', 'POST', path, body), path).to.equal(path === '/%61pi/v1/sql' ? 200 : 403);
    }
    // Spelled otherwise, a path reaches no route: refused or not found, never answered.
    for (const path of ['//api/v1/status', '/API/v1/status', '/api/v1/../v1/status', '/api/v1/./status', '/api/v1/status/', '/api%2Fv1/status', '/%2561pi/v1/status']) {
      const answers = [await raw('none', 'GET', path), await raw('read', 'GET', path), await raw('admin', 'GET', path)];
      expect(answers, path).to.satisfy((a: number[]) => JSON.stringify(a) === '[401,403,200]' || (a[1] === 404 && a[2] === 404 && [401, 404].includes(a[0]!)));
    }
    // The encoded writes are in the audit log under their routes.
    await waitUntil(async () => {
      const entries = (await call('admin', 'GET', '/api/v1/audit?limit=1000')).body.entries as Array<Record<string, unknown>>;
      return ['/api/v1/changes', '/api/v1/recompute', '/api/v1/backups'].every((route) => entries.some((e) => e.route === route && e.tokenName === 'reader' && e.status === 403));
    }, 'the encoded writes in the audit log');
  });

  it('records refusals without a token up to a cap a minute, and counts the rest', async function () {
    // To a path of its own, so that only the flood's entries are counted.
    const recorded = async () => Number(((await call('admin', 'POST', '/api/v1/sql', { sql: "SELECT count() FROM audit_log WHERE route = '/api/v1/flood'" })).body.rows as string[][])[0]![0]);
    const unrecorded = async () => metricValue(await backend.metrics(), 'rollpoint_backend_audit_unrecorded_total');
    const unrecordedBefore = await unrecorded();
    const sent = 200;
    const startMinute = Math.floor(Date.now() / 60000);
    for (let i = 0; i < sent; i++) expect(await raw('none', 'POST', '/api/v1/flood', { i })).to.equal(401);
    const minutes = Math.floor(Date.now() / 60000) - startMinute + 1;
    let stored = 0;
    let counted = 0;
    await waitUntil(async () => {
      [stored, counted] = [await recorded(), (await unrecorded()) - unrecordedBefore];
      return stored + counted === sent;
    }, 'each refusal stored or counted');
    // At most 60 a minute stored, in each minute the flood touched.
    expect(stored).to.be.at.most(60 * minutes);
    expect(counted).to.be.at.least(sent - 60 * minutes);
  });

  it('counts refusals by reason and logs no token', async function () {
    const metrics = await backend.metrics();
    expect(metricValue(metrics, 'rollpoint_backend_api_unauthorized_total')).to.be.greaterThan(0);
    expect(metricValue(metrics, 'rollpoint_backend_audit_unrecorded_total')).to.be.greaterThan(0);
    for (const reason of ['role', 'scope', 'tables']) expect(metricValue(metrics, `rollpoint_backend_api_forbidden_total{reason="${reason}"}`), reason).to.be.greaterThan(0);
    for (const token of Object.values(TOKENS)) expect(backend.output()).not.to.include(token);
  });
});

describe('the API of a backend not ready yet, however its paths are spelled (backend process)', function () {
  this.timeout(180000);
  let backend: BackendProcess;

  before(async function () {
    // A ClickHouse server nobody runs: the backend waits for it, not ready.
    backend = await startBackendProcess({
      waitReady: false,
      extra: {
        storage: { driver: 'clickhouse', clickhouse: { url: `http://127.0.0.1:${await freePort()}` } },
        api: { tokens: [{ name: 'ops', token: TOKENS.admin, role: 'admin' }] },
      },
    });
    await waitUntil(async () => (await fetch(`${backend.url}/healthz`).catch(() => undefined))?.ok === true, 'the backend to listen', 60000, backend);
  });
  after(async function () {
    await backend?.stop();
  });

  it('answers 503 to every API route, encoded paths too', async function () {
    for (const path of ['/api/v1/status', '/%61pi/v1/status', '/%61pi/v1/incidents']) {
      const response = await fetch(`${backend.url}${path}`, { headers: { authorization: `Bearer ${TOKENS.admin}` } });
      expect(response.status, path).to.equal(503);
      expect(await response.json(), path).to.include({ error: 'not_ready' });
    }
  });
});

describe('the SQL of a scope-limited token with the server driver (ClickHouse’s HTTP interface)', function () {
  this.timeout(180000);
  let server: ClickHouseServer;
  let backend: BackendProcess;

  before(async function () {
    server = await startEmbeddedEngineServer();
    backend = await startBackendProcess({
      extra: {
        storage: { driver: 'clickhouse', clickhouse: { url: server.url, username: TEST_USER, password: TEST_PASSWORD } },
        checkpoints: { scopes: SCENARIO_SCOPES },
        api: { tokens: [{ name: 'shop-reader', token: TOKENS.scoped, role: 'read', scopes: ['shop'] }] },
      },
    });
  });
  after(async function () {
    await backend?.stop();
    await server?.stop();
  });

  const sql = async (statement: string): Promise<{ status: number; message?: string }> => {
    const response = await fetch(`${backend.url}/api/v1/sql`, { method: 'POST', body: statement, headers: { 'content-type': 'text/plain', authorization: `Bearer ${TOKENS.scoped}` } });
    return { status: response.status, ...((await response.json()) as { message?: string }) };
  };

  it('reads rollpoint’s tables and is refused anything else, as on the embedded engine', async function () {
    expect(await sql('SELECT count() AS n FROM otel_logs JOIN incidents ON 1 = 1')).to.include({ status: 200 });
    expect((await sql('SELECT * FROM system.tables')).message).to.include('table system.tables');
    expect((await sql('SELECT * FROM numbers(2)')).message).to.include('numbers()');
    expect(await sql('SHOW TABLES')).to.include({ status: 403 });
    expect(await sql('SELECT * FROM audit_log')).to.include({ status: 403 });
  });
});
