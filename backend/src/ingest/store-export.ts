import { ExportMetricsServiceRequest, logs, traces, type ExportLogsServiceRequest, type ExportTraceServiceRequest } from '@rollpoint/proto';
import { createHash } from 'node:crypto';
import type { InsertColumn, RowBinaryInsert, Store } from '../store/store.js';
import { encodeExport, nowNanos } from './encode.js';
import { LOG_COLUMNS } from './logs.js';
import { METRIC_COLUMNS } from './metrics.js';
import { SPAN_COLUMNS } from './traces.js';
import type { EncodedExport } from './wire/encoded-export.js';

export type SignalRequest =
  | { signal: 'logs'; request: ExportLogsServiceRequest }
  | { signal: 'traces'; request: ExportTraceServiceRequest }
  | { signal: 'metrics'; request: ExportMetricsServiceRequest };

/** The tables the write path inserts into, each with the columns its rows are encoded in. */
export const INSERT_COLUMNS = {
  otel_logs: LOG_COLUMNS,
  otel_traces: SPAN_COLUMNS,
  ...METRIC_COLUMNS,
} as const satisfies Record<string, readonly InsertColumn[]>;

export type IngestTable = keyof typeof INSERT_COLUMNS;

/** One insert per table of the rows of `encoded`, the Exports' rows one after the other, named `token`. */
export function coalescedInserts(encoded: readonly EncodedExport[], token: string): RowBinaryInsert[] {
  const byTable = new Map<IngestTable, RowBinaryInsert & { chunks: Uint8Array[] }>();
  for (const { table, rows, count } of encoded.flatMap((e) => e.tables)) {
    const insert = byTable.get(table) ?? { table, columns: INSERT_COLUMNS[table], chunks: [], rows: 0, deduplicationToken: token };
    insert.chunks.push(rows);
    insert.rows += count;
    byTable.set(table, insert);
  }
  return [...byTable.values()];
}

const encodeRequest = (request: SignalRequest): Uint8Array => {
  switch (request.signal) {
    case 'logs':
      return logs.encode(request.request);
    case 'traces':
      return traces.encode(request.request);
    case 'metrics':
      return ExportMetricsServiceRequest.encode(request.request).finish();
  }
};

/**
 * Stores one Export's records as the write path encodes them, in an insert of its own per table
 * (no buffer, no ledger): synthetic data for checkpoint scenarios and benchmarks, and tests of what
 * is stored.
 */
export async function storeExport(
  store: Store,
  request: SignalRequest,
  { receivedAtNanos = nowNanos(), deduplicationToken }: { receivedAtNanos?: bigint; deduplicationToken?: string } = {},
): Promise<EncodedExport> {
  const encoded = encodeExport({ signal: request.signal, bytes: encodeRequest(request), receivedAtNanos });
  // By default the rows' own digest: the same rows stored twice are stored once, and the statement is the same on every driver.
  const digest = createHash('sha256');
  for (const { rows } of encoded.tables) digest.update(rows);
  const token = deduplicationToken ?? digest.digest('hex');
  for (const insert of coalescedInserts([encoded], token)) await store.insertRowBinary(insert);
  return encoded;
}
