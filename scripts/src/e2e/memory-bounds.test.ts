import { status } from '@grpc/grpc-js';
import { logs } from '@rollpoint/proto';
import { expect } from 'chai';
import { rawExport } from '../testing/grpc.js';
import { metricValue, startAgentProcess, startBackendProcess, type AgentProcess, type BackendProcess } from '../testing/processes.js';

describe('memory limiter in a running agent', function () {
  let backend: BackendProcess;
  let agent: AgentProcess;

  before(async function () {
    backend = await startBackendProcess();
    // A soft limit of 1 MiB: any Node.js process is over it, so the agent refuses everything.
    agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort, memoryLimiter: { limit_mib: 2, spike_limit_mib: 1, check_interval: '100ms' } });
  });

  after(async function () {
    await agent?.stop();
    await backend?.stop();
  });

  it('tells OTLP senders to retry (UNAVAILABLE, HTTP 503) while over the soft limit, and counts it', async function () {
    const body = logs.encode({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'over-the-limit' } }] }] }] });
    const answer = await rawExport(agent.grpcPort, logs.grpcMethod, body);
    expect(answer.code).to.equal(status.UNAVAILABLE);
    expect(answer.details).to.include('memory soft limit (1 MiB)');
    const http = await fetch(`http://127.0.0.1:${agent.httpPort}/v1/logs`, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } });
    expect(http.status).to.equal(503);
    expect(metricValue(await agent.metrics(), 'rollpoint_agent_processor_memory_refused_records_total{processor="memory_limiter (logs)",signal="logs"}')).to.equal(2);
    expect((await backend.sql("SELECT count() AS n FROM otel_logs WHERE Body = 'over-the-limit'"))[0]!.n).to.equal('0');
  });
});

describe('in-flight bound on the backend', function () {
  let backend: BackendProcess;

  before(async function () {
    // 16 KiB in flight at most: a burst of 20 exports of 8 KiB cannot all be handled at once.
    backend = await startBackendProcess({ extra: { otlp: { grpc: { max_in_flight_mib: 1 / 64 } } } });
  });

  after(async function () {
    await backend?.stop();
  });

  it('refuses exports beyond it with UNAVAILABLE (retried by senders), counted, and stores the ones it took', async function () {
    const body = (i: number) => logs.encode({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: `burst-${i}-${'x'.repeat(8192)}` } }] }] }] });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => rawExport(backend.grpcPort, logs.grpcMethod, body(i))));
    const busy = answers.filter((a) => a.code === status.UNAVAILABLE);
    const taken = answers.filter((a) => a.code === status.OK);
    expect(busy.length).to.be.at.least(1);
    expect(busy[0]!.details).to.match(/^busy: \d+ bytes of exports in flight/);
    expect(busy.length + taken.length).to.equal(20);
    expect(metricValue(await backend.metrics(), `rollpoint_backend_grpc_requests_total{method="${logs.grpcMethod}",code="UNAVAILABLE"}`)).to.equal(busy.length);
    expect(Number((await backend.sql("SELECT count() AS n FROM otel_logs WHERE startsWith(Body, 'burst-')"))[0]!.n)).to.equal(taken.length);
  });
});
