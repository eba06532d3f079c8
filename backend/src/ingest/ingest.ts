import type { Consume, ExportLogsServiceRequest, ExportTraceServiceRequest } from '@rollpoint/proto';
import Long from 'long';
import type { Store } from '../store/store.js';
import { logRows } from './logs.js';
import { traceRows } from './traces.js';
import { latestTimestampMs, type SourceWatermarks } from './watermarks.js';

export interface Ingest {
  traces: Consume<ExportTraceServiceRequest>;
  logs: Consume<ExportLogsServiceRequest>;
}

const nowNanos = (): Long => Long.fromNumber(Date.now(), true).multiply(1_000_000);

/**
 * Maps each Export request to rows and stores them in one insert per request, with the sender's
 * batch id as the deduplication token; then notes the source's watermark. An empty request (an
 * agent's heartbeat) only does the latter.
 */
export function createIngest(store: Store, watermarks: SourceWatermarks): Ingest {
  return {
    traces: async (request, meta) => {
      const rows = traceRows(request);
      await store.insert('otel_traces', rows, meta?.batchId);
      watermarks.observe(meta, latestTimestampMs(rows));
    },
    logs: async (request, meta) => {
      const rows = logRows(request, nowNanos());
      await store.insert('otel_logs', rows, meta?.batchId);
      watermarks.observe(meta, latestTimestampMs(rows));
    },
  };
}
