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
