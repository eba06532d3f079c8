import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ChdbStore, coalescedInserts, encodeExport, INSERT_COLUMNS, migrate, type EncodedExport } from '@rollpoint/backend';
import { logs, SCOPE_SYSLOG, type ExportLogsServiceRequest, type KeyValue, type LogRecord, type SignalName } from '@rollpoint/proto';
import Long from 'long';
import { metricValue, startBackendProcess, tempFolder, type BackendProcess } from '../testing/processes.js';
import { measureCpu } from './cpu.js';

// The backend's write path alone: OTLP Exports from a raw gRPC client (pre-encoded, so the sender
// costs little), stored through the backend's coalesced inserts, beside the engine's own insert of
// the same rows (RowBinary, 10,000 rows an insert, in this process: the ceiling).

const identity = (bytes: Buffer): Buffer => bytes;
const text = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });
const int = (key: string, value: number): KeyValue => ({ key, value: { intValue: Long.fromNumber(value) } });

/** An nginx access line as the agent's syslog receiver makes it: BSD syslog attributes, a device resource. */
function syslogRecord(n: number, timeNanos: Long): LogRecord {
  return {
    timeUnixNano: timeNanos,
    observedTimeUnixNano: timeNanos,
    severityNumber: 9,
    severityText: 'INFO',
    body: { stringValue: `10.0.${n % 250}.${n % 200} - - "GET /api/items/${n} HTTP/1.1" 200 ${512 + (n % 1000)} "-" "curl/8.5.0"` },
    attributes: [
      text('appname', 'nginx'),
      text('hostname', `web-${n % 20}`),
      text('proc_id', String(1000 + (n % 7))),
      int('facility', 23),
      int('priority', 190),
      text('network.peer.address', '127.0.0.1'),
    ],
  };
}

/** `exports` Exports of `records` syslog-shaped log records each, all different. */
export function logExports(exports: number, records: number, seed: number): Uint8Array[] {
  const base = Long.fromNumber(Date.now(), true).multiply(1_000_000);
  return Array.from({ length: exports }, (_, e) => {
    const request: ExportLogsServiceRequest = {
      resourceLogs: [
        {
          resource: { attributes: [text('host.name', `web-${e % 20}`)] },
          scopeLogs: [{ scope: { name: SCOPE_SYSLOG }, logRecords: Array.from({ length: records }, (_, r) => syslogRecord(seed * 1e7 + e * records + r, base.add((e * records + r) * 1000))) }],
        },
      ],
    };
    return logs.encode(request);
  });
}

export interface SendPlan {
  method: string;
  exports: Uint8Array[];
  /** gRPC connections (senders) and Exports in flight over them. */
  clients: number;
  inFlight: number;
  /** Exports per second to pace at; absent: as fast as answers come. */
  ratePerSecond?: number;
}

/** Sends every Export, each with its own batch id, and returns once all were answered OK. */
export async function send(port: number, plan: SendPlan, batchPrefix: string): Promise<void> {
  const clients = Array.from({ length: plan.clients }, () => new Client(`127.0.0.1:${port}`, credentials.createInsecure(), { 'grpc.max_send_message_length': -1 }));
  const started = performance.now();
  let next = 0;
  const exportOne = (client: Client, i: number) =>
    new Promise<void>((resolve, reject) => {
      const metadata = new Metadata();
      metadata.set('rollpoint-batch-id', `${batchPrefix}-${i}`);
      client.makeUnaryRequest(plan.method, identity, identity, Buffer.from(plan.exports[i]!), metadata, { deadline: Date.now() + 60000 }, (err: ServiceError | null) =>
        err && err.code !== status.OK ? reject(new Error(`export ${i}: ${err.details}`)) : resolve(),
      );
    });
  const lane = async (l: number) => {
    const client = clients[l % clients.length]!;
    while (next < plan.exports.length) {
      const i = next++;
      if (plan.ratePerSecond !== undefined) {
        const due = started + (i / plan.ratePerSecond) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      // UNAVAILABLE (busy) is retried, as an OTLP sender would.
      for (let attempt = 0; ; attempt++) {
        try {
          await exportOne(client, i);
          break;
        } catch (err) {
          if (attempt > 50) throw err;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: plan.inFlight }, (_, l) => lane(l)));
  } finally {
    for (const client of clients) client.close();
  }
}

export interface IngestResult {
  recordsPerSecond: number;
  /** Records stored per backend CPU-second. */
  recordsPerCpuSecond: number;
  /** Inserts per second into each ingest table while the Exports arrived. */
  insertsPerSecond: Record<string, number>;
}

const inserts = (metrics: string, table: string): number => metricValue(metrics, `rollpoint_backend_inserts_total{table="${table}"}`);

/** One backend with `workers` decode threads; every plan's Exports sent to it in turn. */
export async function measureIngest(plans: SendPlan[], workers: number, records: number[], insertBatch: Record<string, unknown> = {}): Promise<IngestResult[]> {
  const backend: BackendProcess = await startBackendProcess({
    extra: { otlp: { grpc: { decode_workers: workers, max_recv_msg_size_mib: 64 } }, storage: { insert_batch: insertBatch }, checkpoints: { recompute_interval: '1h' } },
  });
  try {
    const results: IngestResult[] = [];
    for (const [i, plan] of plans.entries()) {
      const before = await backend.metrics();
      const started = performance.now();
      const { cpu } = await measureCpu([backend.child.pid!], () => send(backend.grpcPort, plan, `bench-${i}`));
      const seconds = (performance.now() - started) / 1000;
      const after = await backend.metrics();
      const insertsPerSecond = Object.fromEntries(
        Object.keys(INSERT_COLUMNS).map((t) => [t, (inserts(after, t) - inserts(before, t)) / seconds]),
      );
      results.push({ recordsPerSecond: records[i]! / seconds, recordsPerCpuSecond: records[i]! / cpu[0]!, insertsPerSecond });
    }
    return results;
  } finally {
    await backend.stop();
  }
}

/** Inserts the encoded Exports' rows, `rowsPerInsert` (or a little more) an insert. */
async function insertGrouped(store: ChdbStore, encoded: EncodedExport[], rowsPerInsert: number): Promise<void> {
  for (let i = 0; i < encoded.length; ) {
    const group: EncodedExport[] = [];
    let rows = 0;
    while (i < encoded.length && rows < rowsPerInsert) {
      group.push(encoded[i]!);
      rows += encoded[i]!.count;
      i++;
    }
    for (const insert of coalescedInserts(group, randomUUID())) await store.insertRowBinary(insert);
  }
}

/** The engine's own RowBinary insert of the same rows, `rowsPerInsert` an insert, after encoding them (untimed). */
export async function measureEngineInsert(signal: SignalName, exports: Uint8Array[], rowsPerInsert: number): Promise<number> {
  const folder = tempFolder('bench-engine');
  const store = new ChdbStore({ path: folder, readOnlyMaxRows: 10, readOnlyTimeoutMs: 1000 });
  try {
    await migrate(store, { ttlDays: 30 });
    const encoded = exports.map((bytes) => encodeExport({ signal, bytes, receivedAtNanos: 0n }));
    const total = encoded.reduce((n, e) => n + e.count, 0);
    const started = performance.now();
    await insertGrouped(store, encoded, rowsPerInsert);
    return total / ((performance.now() - started) / 1000);
  } finally {
    await store.close();
    rmSync(folder, { recursive: true, force: true });
  }
}

export type SchemaVariant = 'full schema' | 'without its materialized views' | 'without its skip indexes' | 'the table alone';
export const SCHEMA_VARIANTS: readonly SchemaVariant[] = ['full schema', 'without its materialized views', 'without its skip indexes', 'the table alone'];

const TABLE_OF = { logs: 'otel_logs', traces: 'otel_traces' } as const;

/** The statements that take the signal table's views or skip indexes away, read from the system tables. */
async function schemaCuts(store: ChdbStore, table: string, variant: SchemaVariant): Promise<string[]> {
  const cuts: string[] = [];
  if (variant === 'without its materialized views' || variant === 'the table alone') {
    const views = await store.query<{ view: string }>({ sql: 'SELECT arrayJoin(dependencies_table) AS view FROM system.tables WHERE database = currentDatabase() AND name = {t:String}', params: { t: table } });
    cuts.push(...views.map(({ view }) => `DROP VIEW ${view}`));
  }
  if (variant === 'without its skip indexes' || variant === 'the table alone') {
    const indexes = await store.query<{ name: string }>({ sql: 'SELECT name FROM system.data_skipping_indices WHERE database = currentDatabase() AND table = {t:String}', params: { t: table } });
    cuts.push(...indexes.map(({ name }) => `ALTER TABLE ${table} DROP INDEX ${name}`));
  }
  return cuts;
}

/**
 * CPU seconds per 100,000 rows of the engine's insert (in this process, so CPU is the engine's) of
 * the same rows into the schema, then into the schema with parts taken away: what each part costs.
 */
export async function measureSchemaCost(signal: 'logs' | 'traces', exports: Uint8Array[], rowsPerInsert: number): Promise<Record<SchemaVariant, number>> {
  const encoded = exports.map((bytes) => encodeExport({ signal, bytes, receivedAtNanos: 0n }));
  const total = encoded.reduce((n, e) => n + e.count, 0);
  const costs = {} as Record<SchemaVariant, number>;
  for (const variant of SCHEMA_VARIANTS) {
    const folder = tempFolder('bench-schema');
    const store = new ChdbStore({ path: folder, readOnlyMaxRows: 10, readOnlyTimeoutMs: 1000 });
    try {
      await migrate(store, { ttlDays: 30 });
      for (const cut of await schemaCuts(store, TABLE_OF[signal], variant)) await store.command(cut);
      const started = process.cpuUsage();
      await insertGrouped(store, encoded, rowsPerInsert);
      const used = process.cpuUsage(started);
      costs[variant] = ((used.user + used.system) / 1e6) * (100_000 / total);
    } finally {
      await store.close();
      rmSync(folder, { recursive: true, force: true });
    }
  }
  return costs;
}
