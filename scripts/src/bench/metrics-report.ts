import { cpus } from 'node:os';
import { HOSTMETRICS_INTERVAL_MS, HOSTMETRICS_SECONDS, measureHostmetrics, type HostmetricsResult } from './hostmetrics.js';
import {
  exportsAsTheAgentSends,
  measureMetricsBackendAlone,
  measureMetricsPipeline,
  METRIC_EXPORTS,
  METRIC_IN_FLIGHT,
  METRIC_INSTANCES,
  METRIC_POINTS,
  METRIC_RUNS,
  POINTS_PER_EXPORT,
  type PipelineRun,
} from './metrics.js';
import { median, perSecond } from './otlp.js';
import { measureEngineInsert, type IngestResult } from './write-path.js';

// `npm run bench`'s metrics section: data points/s end to end, the backend alone and the engine's
// own insert; the hostmetrics receiver's CPU per collection.

export const METRICS_HEADING = '## Metric data points through agent → backend → embedded store';
const ENGINE_GROUPS = [10_000, 50_000];
/** The agent that `npm start` runs collects every 10 s. */
const DEFAULT_INTERVAL_S = 10;

export interface MetricsResult {
  pipeline: PipelineRun[];
  backendAlone: IngestResult;
  /** The engine's points/s at each of ENGINE_GROUPS points an insert cycle, median of METRIC_RUNS. */
  engine: number[];
  hostmetrics: HostmetricsResult;
}

export async function measureMetrics(say: (line: string) => void): Promise<MetricsResult> {
  const pipeline = await measureMetricsPipeline();
  say(`metrics, agent -> backend -> store: ${JSON.stringify(pipeline)}`);
  const exports = exportsAsTheAgentSends();
  const backendAlone = await measureMetricsBackendAlone(exports);
  say(`metrics, backend alone: ${JSON.stringify(backendAlone)}`);
  const engine: number[] = [];
  for (const points of ENGINE_GROUPS) {
    const rates: number[] = [];
    for (let run = 0; run < METRIC_RUNS; run++) rates.push(await measureEngineInsert('metrics', exports, points));
    engine.push(median(rates));
  }
  say(`metrics, engine alone: ${JSON.stringify(engine)}`);
  say(`hostmetrics: agents collecting every ${HOSTMETRICS_INTERVAL_MS} ms for ${HOSTMETRICS_SECONDS} s …`);
  const hostmetrics = await measureHostmetrics();
  say(`hostmetrics: ${JSON.stringify(hostmetrics)}`);
  return { pipeline, backendAlone, engine, hostmetrics };
}

const number = (n: number): string => Math.round(n).toLocaleString('en');
const coreShare = (cpuMs: number, digits: number): string => `${((cpuMs / (DEFAULT_INTERVAL_S * 1000)) * 100).toFixed(digits)} %`;

export function metricsSection({ pipeline, backendAlone, engine, hostmetrics }: MetricsResult): string {
  const endToEnd = perSecond(METRIC_POINTS, median(pipeline.map((run) => run.ms)));
  const ceiling = Math.max(...engine);
  const cpu = (pick: (run: PipelineRun) => number) => (METRIC_POINTS * pipeline.length) / pipeline.reduce((total, run) => total + pick(run), 0);
  const all = hostmetrics.costs.find((c) => c.scrapers === 'all')!;
  const singles = hostmetrics.costs.filter((c) => c !== all).reduce((total, c) => total + c.cpuMs, 0);
  return `${METRICS_HEADING}

The load is ${number(METRIC_POINTS)} data points per run in ${METRIC_EXPORTS} OTLP/gRPC Exports of ${number(POINTS_PER_EXPORT)}, each
one collection of one of ${METRIC_INSTANCES} service instances (\`service.name\`, \`service.instance.id\`,
\`host.name\`) as an SDK exports it: 4 gauges, 4 cumulative sums (3 monotonic) and 2 cumulative
histograms (the semantic conventions' 14 duration bounds), 100 series each. So 40 % of the points
go to \`otel_metrics_gauge\`, 40 % to \`otel_metrics_sum\` and 20 % to \`otel_metrics_histogram\`;
${number(METRIC_INSTANCES * POINTS_PER_EXPORT)} series in all, their cumulative values going on from run to run. A raw gRPC client
sends them to the agent ${METRIC_IN_FLIGHT} at a time; a run ends when the three tables hold every point. The
agent runs its default pipeline (resource, batch of 8192, disk queue, OTLP/gRPC with gzip, 4
consumers); the backend coalesces the Exports into inserts.

"Backend alone" sends the same Exports (stamped with the agent's id, as the agent sends them) from
raw gRPC senders straight to a backend, ${METRIC_IN_FLIGHT} in flight. Both backends run with the checkpoint
engine's recompute off (\`checkpoints.recompute_interval: 1h\`), as in the write path's section:
these are the write path's figures. The engine's own insert takes the rows the backend stores for
the same Exports, already encoded, in RowBinary, into the full schema (its materialized views
included), from one process with nothing else running: one insert per table for every ${number(ENGINE_GROUPS[0]!)}
(or ${number(ENGINE_GROUPS[1]!)}) points, median of ${METRIC_RUNS}; the ceiling is the faster of the two. Agent, backend and load
generator share the ${cpus().length} cores.

| path | data points/s | data points per CPU-second |
| --- | ---: | ---: |
| agent → backend → store (end to end, median of ${METRIC_RUNS}) | ${number(endToEnd)} | agent ${number(cpu((r) => r.agentCpu))}, backend ${number(cpu((r) => r.backendCpu))} |
| backend alone | ${number(backendAlone.recordsPerSecond)} | backend ${number(backendAlone.recordsPerCpuSecond)} |
${ENGINE_GROUPS.map((points, i) => `| engine's own insert, ${number(points)} points a cycle | ${number(engine[i]!)} | |`).join('\n')}
| **ratio end to end / ceiling** | **${((endToEnd / ceiling) * 100).toFixed(0)} %** | |

### The hostmetrics receiver's CPU per collection

Agents whose only source is the hostmetrics receiver, collecting every ${HOSTMETRICS_INTERVAL_MS} ms for ${HOSTMETRICS_SECONDS} s: one
with all eight scrapers, one per scraper alone, and an agent with the same pipelines collecting
nothing, all at once against one backend, each with a batch timeout of 10 ms (a collection waits
until its batch is queued, so each is shipped on its own, as at the default interval). A
collection's cost is the agent's CPU (user + system, from /proc) over those seconds, less the idle
agent's, over the collections made: the scrape and the collection's way through the processors,
the disk queue and the exporter. The host ran ${number(hostmetrics.processes)} processes (the processes scraper reads
each one's \`/proc/<pid>/stat\`).

| scrapers | collections measured | data points per collection | agent CPU per collection | share of one core at \`collection_interval: ${DEFAULT_INTERVAL_S}s\` |
| --- | ---: | ---: | ---: | ---: |
${hostmetrics.costs.map((c) => `| ${c.scrapers === 'all' ? '**all eight**' : c.scrapers} | ${c.collections} | ${c.points.toFixed(0)} | ${c.cpuMs.toFixed(2)} ms | ${coreShare(c.cpuMs, 3)} |`).join('\n')}

A collection that takes longer than the interval skips the ticks it missed, so fewer than
${(HOSTMETRICS_SECONDS * 1000) / HOSTMETRICS_INTERVAL_MS} collections are made where the cores are busy. Each single-scraper row also carries a
collection's fixed cost (one request through the processors, the queue and the exporter), which
the agent with all eight pays once; the single rows sum to ${singles.toFixed(2)} ms. At the default interval
all eight cost the agent ${coreShare(all.cpuMs, 2)} of one core.`;
}
