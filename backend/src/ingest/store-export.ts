import { logs, traces, type ExportLogsServiceRequest, type ExportTraceServiceRequest } from '@rollpoint/proto';
import { createHash } from 'node:crypto';
import type { Store } from '../store/store.js';
import { encodeExport, nowNanos } from './encode.js';
import { LOG_COLUMNS } from './logs.js';
import { SPAN_COLUMNS } from './traces.js';
import type { EncodedExport } from './wire/encoded-export.js';

export type SignalRequest = { signal: 'logs'; request: ExportLogsServiceRequest } | { signal: 'traces'; request: ExportTraceServiceRequest };

/** Where each signal's rows are inserted, and with which columns. */
export const INGEST_TABLES = {
  logs: { table: 'otel_logs', columns: LOG_COLUMNS },
  traces: { table: 'otel_traces', columns: SPAN_COLUMNS },
} as const;

/**
 * Stores one Export's records as the write path encodes them, in an insert of its own (no buffer,
 * no ledger): synthetic data for checkpoint scenarios and benchmarks, and tests of what is stored.
 */
export async function storeExport(
  store: Store,
  { signal, request }: SignalRequest,
  { receivedAtNanos = nowNanos(), deduplicationToken }: { receivedAtNanos?: bigint; deduplicationToken?: string } = {},
): Promise<EncodedExport> {
  const bytes = signal === 'logs' ? logs.encode(request) : traces.encode(request);
  const encoded = encodeExport({ signal, bytes, receivedAtNanos });
  const { table, columns } = INGEST_TABLES[signal];
  // By default the rows' own digest: the same rows stored twice are stored once, and the statement is the same on every driver.
  const token = deduplicationToken ?? createHash('sha256').update(encoded.rows).digest('hex');
  await store.insertRowBinary({ table, columns, chunks: [encoded.rows], rows: encoded.count, deduplicationToken: token });
  return encoded;
}
