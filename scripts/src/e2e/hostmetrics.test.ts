import { execFile } from 'node:child_process';
import { hostname } from 'node:os';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { metricValue, startAgentProcess, startBackendProcess, waitUntil, type AgentProcess, type BackendProcess } from '../testing/processes.js';

// A real agent process with the hostmetrics receiver in its metrics pipeline delivers this host's
// metrics through its processors and disk queue to a real backend, which stores them in the
// Collector exporter's tables; what is stored agrees with df (coreutils, Essential in Debian).

const SCRAPERS = ['cpu', 'memory', 'load', 'filesystem', 'disk', 'network', 'paging', 'processes'];

/** df's Use% of the filesystem mounted at `/`, as a share: used / (used + available). */
async function rootUtilization(): Promise<number> {
  const { stdout } = await promisify(execFile)('df', ['-B1', '--output=used,avail', '/']);
  const [used, avail] = stdout.trim().split('\n')[1]!.trim().split(/\s+/).map(Number);
  return used! / (used! + avail!);
}

describe('hostmetrics stored: this host’s metrics through agent and backend', function () {
  this.timeout(60000);
  let backend: BackendProcess;
  let agent: AgentProcess;

  before(async function () {
    backend = await startBackendProcess();
    agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort, batch: { timeout: '10ms' }, hostmetrics: { collection_interval: '1s', initial_delay: '0s' } });
  });

  after(async function () {
    await agent?.stop();
    await backend?.stop();
  });

  it("stores every scraper's metrics with this host's name and the agent's id, the root filesystem's utilization as df has it", async function () {
    // CPU utilization needs two collections.
    const utilizationRows = async () => Number((await backend.sql("SELECT count() AS n FROM otel_metrics_gauge WHERE MetricName = 'system.cpu.utilization'"))[0]!.n);
    await waitUntil(async () => (await utilizationRows()) > 0, 'a second collection (CPU utilization) stored', 30000, agent);
    const scopes = await backend.sql(
      "SELECT DISTINCT ScopeName AS scope FROM (SELECT ScopeName FROM otel_metrics_gauge UNION ALL SELECT ScopeName FROM otel_metrics_sum) ORDER BY scope",
    );
    expect(scopes.map((row) => row.scope)).to.deep.equal(SCRAPERS.map((type) => `rollpoint/hostmetrics/${type}`).sort());
    const [resource] = await backend.sql(
      "SELECT ResourceAttributes['host.name'] AS host, ResourceAttributes['os.type'] AS os, ResourceAttributes['rollpoint.agent.id'] AS agent_id FROM otel_metrics_sum LIMIT 1",
    );
    expect(resource).to.deep.equal({ host: hostname(), os: 'linux', agent_id: 'agent-under-test' });

    const [root] = await backend.sql(
      "SELECT argMax(Value, TimeUnix) AS utilization FROM otel_metrics_gauge WHERE MetricName = 'system.filesystem.utilization' AND Attributes['mountpoint'] = '/'",
    );
    expect(Number(root!.utilization)).to.be.closeTo(await rootUtilization(), 0.02);
    const text = await agent.metrics();
    expect(metricValue(text, 'rollpoint_agent_receiver_hostmetrics_scrapes_total{receiver="hostmetrics",scraper="filesystem",outcome="ok"}')).to.be.at.least(2);
  });
});
