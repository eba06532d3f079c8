import type { Consume, ExportLogsServiceRequest, ExportMeta, ExportTraceServiceRequest } from '@rollpoint/proto';
import Long from 'long';
import type { TableName } from '../schema/tables.js';
import type { Row, Store } from '../store/store.js';
import type { BackendMetrics } from '../telemetry/metrics.js';
import { logRows } from './logs.js';
import { traceRows } from './traces.js';
import type { Arrivals } from './arrivals.js';
import { earliestTimestampMs, latestTimestampMs, sourceOf, type SourceWatermarks } from './watermarks.js';

export interface Ingest {
  traces: Consume<ExportTraceServiceRequest>;
  logs: Consume<ExportLogsServiceRequest>;
}

const nowNanos = (): Long => Long.fromNumber(Date.now(), true).multiply(1_000_000);

/**
 * Maps each Export request to rows and stores them in one insert per request, with the sender's
 * batch id as the deduplication token; then notes the source's watermark, the earliest event time
 * stored (for late data) and counts the rows per source. An empty request (an agent's heartbeat)
 * only does the watermark.
 */
export function createIngest(store: Store, watermarks: SourceWatermarks, metrics: BackendMetrics, arrivals: Arrivals): Ingest {
  const storeRows = async (signal: 'traces' | 'logs', table: TableName, rows: Row[], meta: ExportMeta | undefined) => {
    if (rows.length > 0) {
      const stopTimer = metrics.insertSeconds.startTimer();
      await store.insert(table, rows, meta?.batchId);
      stopTimer();
      metrics.ingestedRecords.inc({ signal, source: sourceOf(meta) }, rows.length);
      arrivals.note(earliestTimestampMs(rows));
    }
    watermarks.observe(meta, latestTimestampMs(rows));
  };
  return {
    traces: (request, meta) => storeRows('traces', 'otel_traces', traceRows(request), meta),
    logs: (request, meta) => storeRows('logs', 'otel_logs', logRows(request, nowNanos()), meta),
  };
}
