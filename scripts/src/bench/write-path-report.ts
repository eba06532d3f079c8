import { cpus } from 'node:os';
import { logs, traces } from '@rollpoint/proto';
import { makeRequests } from './otlp.js';
import { logExports, measureEngineInsert, measureIngest, measureSchemaCost, SCHEMA_VARIANTS, type IngestResult, type SchemaVariant, type SendPlan } from './write-path.js';

// `npm run bench`'s write-path section: the backend alone against its ceiling, with 1 and 2 decode workers.

const BIG = { exports: 200, records: 1000 };
const SMALL = { exports: 2000, records: 100, clients: 50 };
const SPANS = { exports: 300, spans: 500 };
const TRICKLE = { perSecond: 2000, seconds: 5, records: 10 };
export const WORKER_COUNTS = [1, 2];

interface Case {
  name: string;
  records: number;
  plan: SendPlan;
}

export interface WritePathResult {
  engine: { logs10k: number; logs50k: number; spans10k: number };
  schema: { logs: Record<SchemaVariant, number>; traces: Record<SchemaVariant, number> };
  cases: string[];
  runs: Array<{ workers: number; results: IngestResult[] }>;
  /** The small exports again, with quiet_period 0: inserts only at send_batch_size or the timeout. */
  trickleWithoutQuiet: IngestResult;
}

export async function measureWritePath(say: (line: string) => void): Promise<WritePathResult> {
  const big = logExports(BIG.exports, BIG.records, 1);
  const small = logExports(SMALL.exports, SMALL.records, 2);
  const spans = makeRequests(7, SPANS.exports, SPANS.spans);
  const trickle = logExports(TRICKLE.perSecond * TRICKLE.seconds, TRICKLE.records, 4);
  const engine = {
    logs10k: await measureEngineInsert('logs', big, 10_000),
    logs50k: await measureEngineInsert('logs', big, 50_000),
    spans10k: await measureEngineInsert('traces', spans, 10_000),
  };
  say(`engine alone: ${JSON.stringify(engine)}`);
  const schema = { logs: await measureSchemaCost('logs', big.slice(0, 100), 10_000), traces: await measureSchemaCost('traces', spans.slice(0, 200), 10_000) };
  say(`schema cost: ${JSON.stringify(schema)}`);
  const cases: Case[] = [
    { name: `log records, exports of ${BIG.records}, 8 in flight`, records: BIG.exports * BIG.records, plan: { method: logs.grpcMethod, exports: big, clients: 8, inFlight: 8 } },
    { name: `log records, exports of ${BIG.records}, 32 in flight`, records: BIG.exports * BIG.records, plan: { method: logs.grpcMethod, exports: big, clients: 8, inFlight: 32 } },
    {
      name: `log records, exports of ${SMALL.records} from ${SMALL.clients} senders, one in flight each`,
      records: SMALL.exports * SMALL.records,
      plan: { method: logs.grpcMethod, exports: small, clients: SMALL.clients, inFlight: SMALL.clients },
    },
    { name: `spans, exports of ${SPANS.spans}, 8 in flight`, records: SPANS.exports * SPANS.spans, plan: { method: traces.grpcMethod, exports: spans, clients: 8, inFlight: 8 } },
    { name: `spans, exports of ${SPANS.spans}, 32 in flight`, records: SPANS.exports * SPANS.spans, plan: { method: traces.grpcMethod, exports: spans, clients: 8, inFlight: 32 } },
    {
      name: `${TRICKLE.perSecond.toLocaleString('en')} small exports a second (${TRICKLE.records} log records each) for ${TRICKLE.seconds} s`,
      records: trickle.length * TRICKLE.records,
      plan: { method: logs.grpcMethod, exports: trickle, clients: 20, inFlight: 1000, ratePerSecond: TRICKLE.perSecond },
    },
  ];
  const runs: WritePathResult['runs'] = [];
  for (const workers of WORKER_COUNTS) {
    const results = await measureIngest(
      cases.map((c) => c.plan),
      workers,
      cases.map((c) => c.records),
    );
    say(`write path, ${workers} decode worker(s): ${JSON.stringify(results)}`);
    runs.push({ workers, results });
  }
  const trickleCase = cases[cases.length - 1]!;
  const [trickleWithoutQuiet] = await measureIngest([trickleCase.plan], 1, [trickleCase.records], { quiet_period: 0 });
  say(`small exports, quiet_period 0: ${JSON.stringify(trickleWithoutQuiet)}`);
  return { engine, schema, cases: cases.map((c) => c.name), runs, trickleWithoutQuiet: trickleWithoutQuiet! };
}

const number = (n: number): string => Math.round(n).toLocaleString('en');

export function writePathSection({ engine, schema, cases, runs, trickleWithoutQuiet }: WritePathResult): string {
  const header = `| load | ${runs.map((r) => `${r.workers} decode worker${r.workers === 1 ? '' : 's'}: records/s stored (per backend CPU-second)`).join(' | ')} | inserts/s into the table |`;
  const rows = cases.map((name, i) => {
    const cells = runs.map((r) => `${number(r.results[i]!.recordsPerSecond)} (${number(r.results[i]!.recordsPerCpuSecond)})`);
    const inserts = Math.max(...Object.values(runs[0]!.results[i]!.insertsPerSecond));
    return `| ${name} | ${cells.join(' | ')} | ${inserts.toFixed(1)} |`;
  });
  return `## The backend's write path alone

OTLP/gRPC Exports from a raw gRPC client in the bench process (encoded beforehand, each with its own
\`rollpoint-batch-id\`), stored by a backend on the embedded engine with its default settings
(\`storage.insert_batch\`: 50,000 rows or 200 ms, or at once when its senders have gone quiet for 5 ms, at most every 50 ms). A
sender is answered once the coalesced insert holding its records has succeeded, so throughput is
what is in flight over how long an insert cycle takes. Log records are syslog-shaped (an nginx line,
six attributes, a device resource), spans HTTP-server-like. "Inserts/s" is
\`rollpoint_backend_inserts_total\` of the table over the run (1 worker). Sender and backend share
the ${cpus().length} cores.

The ceiling: the engine's own insert of the same rows, already encoded, in RowBinary, from one
process with nothing else running: log records ${number(engine.logs10k)}/s in inserts of 10,000 rows, ${number(engine.logs50k)}/s in inserts of 50,000;
spans ${number(engine.spans10k)}/s in inserts of 10,000.

${header}
| --- | ${runs.map(() => '---:').join(' | ')} | ---: |
${rows.join('\n')}

The small exports come from the bench's one sender process; more than 5 inserts a second means the
buffer found them quiet for 5 ms that often (the timeout alone writes at most 5 a second, and
20,000 rows a second never fill \`send_batch_size\`). With
\`storage.insert_batch.quiet_period: 0\` (inserts only at \`send_batch_size\` or the timeout) the same
load is stored at ${number(trickleWithoutQuiet.recordsPerSecond)} records/s with ${Math.max(...Object.values(trickleWithoutQuiet.insertsPerSecond)).toFixed(1)} inserts a second into the table.

### What the schema costs an insert

The engine's CPU per 100,000 rows inserted (10,000 an insert, RowBinary, in this process), into the
full schema and into the same schema with the signal table's materialized views or skip indexes
dropped:

| | ${SCHEMA_VARIANTS.join(' | ')} |
| --- | ${SCHEMA_VARIANTS.map(() => '---:').join(' | ')} |
| otel_logs (syslog-shaped) | ${SCHEMA_VARIANTS.map((v) => `${schema.logs[v].toFixed(2)} s`).join(' | ')} |
| otel_traces | ${SCHEMA_VARIANTS.map((v) => `${schema.traces[v].toFixed(2)} s`).join(' | ')} |`;
}
