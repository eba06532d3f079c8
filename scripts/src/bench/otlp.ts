// OTLP throughput: spans through agent -> backend -> embedded store, beside the store's own insert
// rate for the same rows, and protobuf decoding by reflection beside protobufjs's static code.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { ChdbStore, coalescedInserts, encodeExport, migrate } from '@rollpoint/backend';
import { traces, type ExportTraceServiceRequest, type Span } from '@rollpoint/proto';
import Long from 'long';
import { rawExport } from '../testing/grpc.js';
import { bytesPerRow } from './disk.js';
import { REPO_ROOT } from '../testing/paths.js';
import { startAgentProcess, startBackendProcess, tempFolder, waitUntil } from '../testing/processes.js';

export const REQUESTS = 200;
export const SPANS_PER_REQUEST = 500;
// Enough concurrent senders to fill the agent's batches (8192 spans): each sender waits for its
// acknowledgement, which comes only after the batch holding its spans was stored.
export const IN_FLIGHT = 32;
export const RUNS = 3;
export const TOTAL = REQUESTS * SPANS_PER_REQUEST;

/** Spans shaped like an instrumented HTTP service's: a few attributes, some errors, one event in ten. */
export function makeRequests(run: number, count = REQUESTS, spansPerRequest = SPANS_PER_REQUEST): Uint8Array[] {
  const base = Long.fromNumber(Date.now(), true).multiply(1_000_000);
  const requests: Uint8Array[] = [];
  for (let r = 0; r < count; r++) {
    const spans: Span[] = [];
    for (let s = 0; s < spansPerRequest; s++) {
      const n = r * spansPerRequest + s;
      const traceId = Buffer.alloc(16);
      traceId.writeUInt32BE(run + 1, 0);
      traceId.writeUInt32BE(n + 1, 12);
      const spanId = Buffer.alloc(8);
      spanId.writeUInt32BE(n + 1, 4);
      const start = base.add(n * 1000);
      spans.push({
        traceId,
        spanId,
        name: `GET /api/items/{id}`,
        kind: 2,
        startTimeUnixNano: start,
        endTimeUnixNano: start.add(1_000_000 + (n % 997) * 1000),
        attributes: [
          { key: 'http.request.method', value: { stringValue: 'GET' } },
          { key: 'http.response.status_code', value: { intValue: Long.fromNumber(n % 50 === 0 ? 500 : 200) } },
          { key: 'url.path', value: { stringValue: `/api/items/${n % 1000}` } },
          { key: 'server.address', value: { stringValue: 'items.internal' } },
        ],
        events: n % 10 === 0 ? [{ timeUnixNano: start.add(500), name: 'cache.miss', attributes: [{ key: 'cache.key', value: { stringValue: `item:${n % 1000}` } }] }] : [],
        status: { code: n % 50 === 0 ? 2 : 0 },
      });
    }
    const request: ExportTraceServiceRequest = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'items' } }, { key: 'service.version', value: { stringValue: '3.1.0' } }] },
          scopeSpans: [{ scope: { name: 'bench', version: '1' }, spans }],
        },
      ],
    };
    requests.push(traces.encode(request));
  }
  return requests;
}

export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
export const perSecond = (count: number, ms: number): number => Math.round((count / ms) * 1000);

/** Sends every request to the agent, IN_FLIGHT at a time, and waits until the backend stored them all. */
async function pipelineRun(agentPort: number, count: () => Promise<number>, requests: Uint8Array[], already: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const answer = await rawExport(agentPort, traces.grpcMethod, requests[next++]!);
      if (answer.code !== status.OK) throw new Error(`export failed: ${answer.details}`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  await waitUntil(async () => (await count()) >= already + TOTAL, 'every span to be stored', 300000);
  return performance.now() - started;
}

export async function measurePipeline(): Promise<number[]> {
  const backend = await startBackendProcess();
  const agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort });
  const count = async () => Number((await backend.sql('SELECT count() AS n FROM otel_traces'))[0]!.n);
  try {
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) times.push(await pipelineRun(agent.grpcPort, count, makeRequests(run), run * TOTAL));
    return times;
  } finally {
    await agent.stop();
    await backend.stop();
  }
}

/**
 * Inserts the same rows straight into the store, in batches of the agent's default size (8192);
 * then the disk they take per span.
 */
export async function measureStore(): Promise<{ times: number[]; bytesPerSpan: Record<string, number> }> {
  const folder = tempFolder('bench');
  const store = new ChdbStore({ path: folder, readOnlyMaxRows: 10, readOnlyTimeoutMs: 1000 });
  try {
    await migrate(store, { ttlDays: 30 });
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const encoded = makeRequests(RUNS + run).map((bytes) => encodeExport({ signal: 'traces', bytes, receivedAtNanos: 0n }));
      const started = performance.now();
      for (let i = 0; i < encoded.length; i += 20) {
        for (const insert of coalescedInserts(encoded.slice(i, i + 20), `store-${run}-${i}`)) await store.insertRowBinary(insert);
      }
      times.push(performance.now() - started);
    }
    return { times, bytesPerSpan: await bytesPerRow(store, ['otel_traces', 'otel_traces_trace_id_ts']) };
  } finally {
    await store.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

interface Decoder {
  decode(bytes: Uint8Array): unknown;
}

/** Decodes the same requests with reflection (what rollpoint uses) and with protobufjs's static code. */
export async function measureDecoding(): Promise<{ staticMs: number; reflectionMs: number }> {
  // The static module is generated for its TypeScript types; loaded here only to be compared.
  const generated = (await import(join(REPO_ROOT, 'proto', 'generated', 'otlp.js'))) as {
    opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: Decoder } } } } };
  };
  const staticDecoder = generated.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
  const requests = makeRequests(0);
  const time = (decode: (bytes: Uint8Array) => unknown) => {
    const started = performance.now();
    for (const bytes of requests) decode(bytes);
    return performance.now() - started;
  };
  const decoders = { static: (b: Uint8Array) => staticDecoder.decode(b), reflection: (b: Uint8Array) => traces.decode(b) };
  // Warm both up fully, then alternate, so neither gains from running second.
  Object.values(decoders).forEach(time);
  const runs = { static: [] as number[], reflection: [] as number[] };
  for (let i = 0; i < 5; i++) for (const [name, decode] of Object.entries(decoders)) runs[name as keyof typeof runs].push(time(decode));
  return { staticMs: median(runs.static), reflectionMs: median(runs.reflection) };
}
