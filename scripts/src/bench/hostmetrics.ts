// What the hostmetrics receiver costs the agent per collection: agents that only collect this
// host's metrics at a short interval (all eight scrapers, then each scraper alone), beside an agent
// that collects nothing, all running over the same seconds.
import { readdirSync } from 'node:fs';
import { metricValue, startAgentProcess, startBackendProcess, waitUntil, type AgentProcess } from '../testing/processes.js';
import { cpuSeconds } from './cpu.js';

export const SCRAPERS = ['cpu', 'memory', 'load', 'filesystem', 'disk', 'network', 'paging', 'processes'] as const;
export type ScraperName = (typeof SCRAPERS)[number];
export const HOSTMETRICS_INTERVAL_MS = 100;
export const HOSTMETRICS_SECONDS = 15;

export interface CollectionCost {
  /** The scrapers the agent ran: all eight, or one. */
  scrapers: 'all' | ScraperName;
  collections: number;
  /** Agent CPU milliseconds per collection, beyond what the idle agent used over the same seconds. */
  cpuMs: number;
  /** Data points per collection. */
  points: number;
}

export interface HostmetricsResult {
  costs: CollectionCost[];
  /** Processes on this host while measuring: what the processes scraper reads one by one. */
  processes: number;
}

const scrapesOk = (text: string, scraper: ScraperName): number =>
  metricValue(text, `rollpoint_agent_receiver_hostmetrics_scrapes_total{receiver="hostmetrics",scraper="${scraper}",outcome="ok"}`);
const pointsAccepted = (text: string): number => metricValue(text, 'rollpoint_agent_receiver_accepted_records_total{receiver="hostmetrics",signal="metrics"}');

interface Collector {
  scrapers: 'all' | ScraperName;
  /** The scraper whose scrapes count the agent's collections. */
  counted: ScraperName;
  agent: AgentProcess;
}

interface Reading {
  cpu: number;
  collections: number;
  points: number;
}

async function read({ agent, counted }: Collector): Promise<Reading> {
  const text = await agent.metrics();
  return { cpu: cpuSeconds(agent.child.pid!), collections: scrapesOk(text, counted), points: pointsAccepted(text) };
}

export async function measureHostmetrics(): Promise<HostmetricsResult> {
  const backend = await startBackendProcess();
  const agents: AgentProcess[] = [];
  try {
    // A collection waits until its batch is queued: a batch timeout well inside the interval keeps
    // the collections at their interval, each shipped on its own as at the default 10 s.
    const batch = { timeout: '10ms' };
    // The idle agent has the same pipelines, its metrics pipeline fed by nothing.
    const idle = await startAgentProcess({ backendGrpcPort: backend.grpcPort, batch, metrics: true });
    agents.push(idle);
    // One at a time: agents starting together can race for the free ports they were given.
    const collectors: Collector[] = [];
    for (const scrapers of ['all', ...SCRAPERS] as const) {
      const agent = await startAgentProcess({
        backendGrpcPort: backend.grpcPort,
        batch,
        hostmetrics: { collection_interval: `${HOSTMETRICS_INTERVAL_MS}ms`, initial_delay: '0s', scrapers: Object.fromEntries((scrapers === 'all' ? SCRAPERS : [scrapers]).map((s) => [s, {}])) },
      });
      agents.push(agent);
      collectors.push({ scrapers, counted: scrapers === 'all' ? 'cpu' : scrapers, agent });
    }
    // Past start-up and the first collections (the first CPU reading has no utilization yet).
    for (const c of collectors) await waitUntil(async () => (await read(c)).collections >= 5, 'the first collections', 30000, c.agent);
    const reading = async () => ({ idle: cpuSeconds(idle.child.pid!), collectors: await Promise.all(collectors.map(read)) });
    const before = await reading();
    await new Promise((resolve) => setTimeout(resolve, HOSTMETRICS_SECONDS * 1000));
    const after = await reading();
    const processes = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).length;
    const idleCpu = after.idle - before.idle;
    const costs = collectors.map(({ scrapers }, i): CollectionCost => {
      const [b, a] = [before.collectors[i]!, after.collectors[i]!];
      const collections = a.collections - b.collections;
      return { scrapers, collections, cpuMs: ((a.cpu - b.cpu - idleCpu) * 1000) / collections, points: (a.points - b.points) / collections };
    });
    return { costs, processes };
  } finally {
    await Promise.all(agents.map((agent) => agent.stop()));
    await backend.stop();
  }
}
