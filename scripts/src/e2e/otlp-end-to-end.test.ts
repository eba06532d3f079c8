import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { CLI_MAIN, SDK_APP } from '../testing/paths.js';
import { spawnNode, startAgentProcess, startBackendProcess, waitUntil, type AgentProcess, type BackendProcess } from '../testing/processes.js';

const run = promisify(execFile);

interface Emitted {
  traceId: string;
  spans: { root: string; query: string; charge: string };
  baseSeconds: number;
}

describe('OTLP end to end: SDK app -> agent -> backend -> ClickHouse', function () {
  let backend: BackendProcess;
  let agent: AgentProcess;
  let emitted: Emitted;
  let spans: Map<string, Record<string, unknown>>;
  let logs: Array<Record<string, unknown>>;

  before(async function () {
    backend = await startBackendProcess();
    agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort });
    const app = spawnNode(SDK_APP, [], { OTLP_ENDPOINT: `http://127.0.0.1:${agent.grpcPort}` });
    expect(await app.exited, app.output()).to.equal(0);
    emitted = JSON.parse(app.output().trim().split('\n').pop()!) as Emitted;
    await waitUntil(async () => {
      const [counts] = await backend.sql(
        `SELECT (SELECT count() FROM otel_traces WHERE TraceId = '${emitted.traceId}') AS spans, (SELECT count() FROM otel_logs WHERE TraceId = '${emitted.traceId}') AS logs`,
      );
      return Number(counts!.spans) >= 3 && Number(counts!.logs) >= 3;
    }, 'the spans and logs to be stored');
    const spanRows = await backend.sql(`SELECT * FROM otel_traces WHERE TraceId = '${emitted.traceId}'`);
    spans = new Map(spanRows.map((row) => [String(row.SpanName), row]));
    logs = await backend.sql(`SELECT * FROM otel_logs WHERE TraceId = '${emitted.traceId}' ORDER BY Timestamp`);
  });

  after(async function () {
    await agent?.stop();
    await backend?.stop();
  });

  it('stores exactly the spans the SDK sent, with their ids and parents', function () {
    expect(spans.size).to.equal(3);
    expect(spans.get('POST /checkout')).to.include({ SpanId: emitted.spans.root, ParentSpanId: '' });
    expect(spans.get('SELECT orders')).to.include({ SpanId: emitted.spans.query, ParentSpanId: emitted.spans.root });
    expect(spans.get('charge card')).to.include({ SpanId: emitted.spans.charge, ParentSpanId: emitted.spans.root });
  });

  it('keeps durations in nanoseconds, kinds, status and scope as the Collector exporter writes them', function () {
    expect(spans.get('POST /checkout')).to.include({ Duration: '100000000', SpanKind: 'Server', StatusCode: 'Error', ScopeName: 'rollpoint-e2e', ScopeVersion: '0.1.0' });
    expect(spans.get('SELECT orders')).to.include({ Duration: '20000000', SpanKind: 'Client', StatusCode: 'Unset' });
    expect(spans.get('charge card')).to.include({ Duration: '50000000', SpanKind: 'Internal', StatusCode: 'Error', StatusMessage: 'card declined' });
    const base = new Date(emitted.baseSeconds * 1000).toISOString().replace('T', ' ').replace('Z', '').replace('.000', '');
    expect(spans.get('POST /checkout')!.Timestamp).to.equal(`${base}.000000000`);
    expect(spans.get('SELECT orders')!.Timestamp).to.equal(`${base}.010000000`);
  });

  it('keeps resource and span attributes, and adds the agent’s host and id', function () {
    const root = spans.get('POST /checkout')!;
    expect(root.ServiceName).to.equal('checkout');
    expect(root.ResourceAttributes).to.deep.include({
      'service.name': 'checkout',
      'service.version': '1.4.2',
      'deployment.environment.name': 'e2e',
      'host.name': 'test-host',
      'rollpoint.agent.id': 'agent-under-test',
    });
    expect(root.SpanAttributes).to.deep.equal({
      'cart.express': 'true',
      'cart.items': '3',
      'cart.total': '42.5',
      'http.request.method': 'POST',
      'http.response.status_code': '500',
    });
  });

  it('keeps span events with their time and attributes', function () {
    const charge = spans.get('charge card')!;
    expect(charge['Events.Name']).to.deep.equal(['retry']);
    expect(charge['Events.Attributes']).to.deep.equal([{ attempt: '2' }]);
    expect((charge['Events.Timestamp'] as string[])[0]).to.match(/\.050000000$/);
    expect(spans.get('SELECT orders')!['Events.Name']).to.deep.equal([]);
  });

  it('stores the logs with severity, body, attributes and their span', function () {
    expect(logs.map((l) => [l.Body, l.SeverityText, l.SeverityNumber])).to.deep.equal([
      ['order received', 'INFO', 9],
      ['payment retry', 'WARN', 13],
      ['card declined', 'ERROR', 17],
    ]);
    expect(logs.map((l) => l.SpanId)).to.deep.equal([emitted.spans.root, emitted.spans.charge, emitted.spans.charge]);
    expect(logs[0]).to.include({ ServiceName: 'checkout', ScopeName: 'rollpoint-e2e', TraceFlags: 1 });
    expect(logs[0]!.LogAttributes).to.deep.equal({ 'order.id': 'o-1' });
    expect(logs[1]!.LogAttributes).to.deep.equal({ attempt: '2' });
    expect(logs[2]!.Timestamp).to.match(/\.085000000$/);
  });

  it('answers `rollpoint sql` and `rollpoint status` from the CLI', async function () {
    const sql = await run(process.execPath, [CLI_MAIN, '--url', backend.url, '--json', 'sql', `SELECT count() AS n FROM otel_traces WHERE TraceId = '${emitted.traceId}'`]);
    expect(JSON.parse(sql.stdout)).to.deep.equal({ columns: [{ name: 'n', type: 'UInt64' }], rows: [['3']] });
    const table = await run(process.execPath, [CLI_MAIN, '--url', backend.url, 'sql', 'SELECT SpanName FROM otel_traces ORDER BY SpanName']);
    expect(table.stdout).to.include('charge card').and.include('SELECT orders').and.include('3 row(s)');
    const status = JSON.parse((await run(process.execPath, [CLI_MAIN, '--url', backend.url, '--json', 'status'])).stdout);
    expect(status.ready).to.equal(true);
    expect(status.tables.otel_traces.rows).to.be.at.least(3);
    expect(status.tables.otel_logs.rows).to.be.at.least(3);
  });

  it('refuses writes through the SQL API in the engine itself', async function () {
    for (const statement of ['DROP TABLE otel_logs', "INSERT INTO otel_logs (Body) VALUES ('x')", "SELECT * FROM file('/etc/hostname', 'LineAsString')", 'SET readonly = 0']) {
      const response = await fetch(`${backend.url}/api/v1/sql`, { method: 'POST', body: statement, headers: { 'content-type': 'text/plain' } });
      expect(response.status, statement).to.equal(403);
      expect(((await response.json()) as { error: string }).error).to.equal('read_only');
    }
    const [count] = await backend.sql('SELECT count() AS n FROM otel_logs');
    expect(Number(count!.n)).to.be.at.least(3);
  });
});
