import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { status } from '@grpc/grpc-js';
import { logs } from '@rollpoint/proto';
import { expect } from 'chai';
import { rawExport } from '../testing/grpc.js';
import { CLI_MAIN } from '../testing/paths.js';
import { metricValue, startAgentProcess, startBackendProcess, waitUntil, type AgentProcess, type BackendProcess } from '../testing/processes.js';

const run = promisify(execFile);
const AGENT_TOKEN = 'agent-token-0123456789abcdef';
const API_TOKEN = 'api-token-0123456789abcdef';
const UNAUTHENTICATED = `rollpoint_backend_grpc_requests_total{method="${logs.grpcMethod}",code="UNAUTHENTICATED"}`;

const oneLog = (body: string) => logs.encode({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: body } }] }] }] });

describe('bearer tokens: agents to the backend, people to the API', function () {
  let backend: BackendProcess;
  let agent: AgentProcess;

  before(async function () {
    backend = await startBackendProcess({ extra: { otlp: { grpc: { bearer_tokens: { 'agent-under-test': AGENT_TOKEN } } }, http: { api_token: API_TOKEN } }, apiToken: API_TOKEN });
    agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort, batch: { timeout: '20ms' }, exporter: { bearer_token: AGENT_TOKEN } });
  });

  after(async function () {
    await agent?.stop();
    await backend?.stop();
  });

  it('stores what an agent with its token sends', async function () {
    const answer = await rawExport(agent.grpcPort, logs.grpcMethod, oneLog('with-token'));
    expect(answer.code, answer.details).to.equal(status.OK);
    await waitUntil(async () => (await backend.sql("SELECT count() AS n FROM otel_logs WHERE Body = 'with-token'"))[0]!.n === '1', 'the record to be stored');
  });

  it('an agent with a wrong token keeps its batch and says UNAUTHENTICATED; the backend counts it', async function () {
    const before = metricValue(await backend.metrics(), UNAUTHENTICATED);
    const wrong = await startAgentProcess({ backendGrpcPort: backend.grpcPort, batch: { timeout: '20ms' }, exporter: { bearer_token: 'not-the-token-0123456789', sending_queue: { drain_timeout: '100ms' } } });
    try {
      expect((await rawExport(wrong.grpcPort, logs.grpcMethod, oneLog('wrong-agent-token'))).code).to.equal(status.OK);
      const refused = `rollpoint_agent_exporter_send_failed_records_total{exporter="otlp",signal="logs",code="UNAUTHENTICATED"}`;
      await waitUntil(async () => metricValue(await wrong.metrics(), refused) > 0, 'the agent to be refused', 30000, wrong);
      expect(metricValue(await wrong.metrics(), 'rollpoint_agent_exporter_queue_batches{exporter="otlp"}')).to.equal(1);
      expect(wrong.output()).to.include('UNAUTHENTICATED').and.not.include('not-the-token');
    } finally {
      await wrong.stop();
    }
    expect(metricValue(await backend.metrics(), UNAUTHENTICATED)).to.be.greaterThan(before);
    expect(backend.output()).not.to.include('not-the-token');
  });

  it('refuses a sender without a token or with a wrong one (UNAUTHENTICATED), counts it and logs no token', async function () {
    const before = metricValue(await backend.metrics(), UNAUTHENTICATED);
    const missing = await rawExport(backend.grpcPort, logs.grpcMethod, oneLog('no-token'));
    expect(missing.code).to.equal(status.UNAUTHENTICATED);
    expect(missing.details).to.include('bearer token');
    const wrong = await rawExport(backend.grpcPort, logs.grpcMethod, oneLog('wrong-token'), { authorization: 'Bearer guessed-token-0123456789' });
    expect(wrong.code).to.equal(status.UNAUTHENTICATED);
    expect(metricValue(await backend.metrics(), UNAUTHENTICATED)).to.equal(before + 2);
    expect(backend.output()).not.to.include('guessed-token');
    expect(await backend.sql("SELECT count() AS n FROM otel_logs WHERE Body IN ('no-token', 'wrong-token')")).to.deep.equal([{ n: '0' }]);
  });

  it('keeps /api/v1 behind the API token and health endpoints open; the CLI sends the token', async function () {
    expect((await fetch(`${backend.url}/api/v1/status`)).status).to.equal(401);
    expect((await fetch(`${backend.url}/api/v1/status`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).to.equal(401);
    expect((await fetch(`${backend.url}/healthz`)).status).to.equal(200);
    expect((await fetch(`${backend.url}/metrics`)).status).to.equal(200);
    const status = JSON.parse((await run(process.execPath, [CLI_MAIN, '--url', backend.url, '--token', API_TOKEN, '--json', 'status'])).stdout);
    expect(status.ready).to.equal(true);
    const refused = await run(process.execPath, [CLI_MAIN, '--url', backend.url, 'status']).catch((e: { code: number; stderr: string }) => e);
    expect((refused as { code: number }).code).to.equal(1);
    expect((refused as { stderr: string }).stderr).to.include('API token');
    await waitUntil(async () => metricValue(await backend.metrics(), 'rollpoint_backend_api_unauthorized_total') >= 3, 'the refusals to be counted', 5000);
  });
});
