import { hostname } from 'node:os';
import type { ExportMetricsServiceRequest } from '@rollpoint/proto';
import { expect } from 'chai';
import { startMetricsSink, type MetricsSink } from '../testing/otlp-sink.js';
import { metricValue, startAgentProcess, waitUntil, type AgentProcess } from '../testing/processes.js';

// A real agent process with the hostmetrics receiver in its metrics pipeline delivers this host's
// metrics through its processors and disk queue to a real OTLP/gRPC server.

const scopesOf = (request: ExportMetricsServiceRequest) => (request.resourceMetrics ?? []).flatMap((rm) => (rm.scopeMetrics ?? []).map((sm) => ({ resource: rm.resource, scope: sm.scope?.name, metrics: sm.metrics ?? [] })));

describe('hostmetrics through the agent', function () {
  this.timeout(60000);
  let sink: MetricsSink;
  let agent: AgentProcess;

  before(async function () {
    sink = await startMetricsSink();
    agent = await startAgentProcess({ backendGrpcPort: sink.port, batch: { timeout: '10ms' }, hostmetrics: { collection_interval: '1s', initial_delay: '0s' } });
  });

  after(async function () {
    await agent?.stop();
    await sink?.stop();
  });

  it("delivers every scraper's metrics with this host's name, the agent's id on the resource", async function () {
    const utilization = () => sink.arrived.some(({ request }) => scopesOf(request).some((s) => s.metrics.some((m) => m.name === 'system.cpu.utilization')));
    await waitUntil(async () => utilization(), 'a second collection (CPU utilization) delivered', 30000, agent);
    const scopes = sink.arrived.flatMap(({ request }) => scopesOf(request));
    expect(new Set(scopes.map((s) => s.scope))).to.deep.equal(new Set(['cpu', 'memory', 'load', 'filesystem', 'disk', 'network', 'paging', 'processes'].map((type) => `rollpoint/hostmetrics/${type}`)));
    const resource = Object.fromEntries(scopes[0]!.resource!.attributes!.map((kv) => [kv.key, kv.value?.stringValue]));
    // The receiver names the host; the resource processor adds the agent without overwriting it.
    expect(resource).to.deep.include({ 'host.name': hostname(), 'os.type': 'linux', 'rollpoint.agent.id': 'agent-under-test' });
    expect(scopes.flatMap((s) => s.metrics.map((m) => m.name))).to.include.members(['system.memory.utilization', 'system.filesystem.utilization', 'system.cpu.load_average.1m', 'system.network.io']);
    const text = await agent.metrics();
    expect(metricValue(text, 'rollpoint_agent_receiver_hostmetrics_scrapes_total{receiver="hostmetrics",scraper="filesystem",outcome="ok"}')).to.be.at.least(2);
  });
});
