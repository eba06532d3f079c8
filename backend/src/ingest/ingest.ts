import type { Consume, ExportLogsServiceRequest, ExportTraceServiceRequest } from '@rollpoint/proto';
import Long from 'long';
import type { Store } from '../store/store.js';
import { logRows } from './logs.js';
import { traceRows } from './traces.js';

export interface Ingest {
  traces: Consume<ExportTraceServiceRequest>;
  logs: Consume<ExportLogsServiceRequest>;
}

const nowNanos = (): Long => Long.fromNumber(Date.now(), true).multiply(1_000_000);

/** Maps each Export request to rows and stores them in one insert per request. */
export function createIngest(store: Store): Ingest {
  return {
    traces: (request) => store.insert('otel_traces', traceRows(request)),
    logs: (request) => store.insert('otel_logs', logRows(request, nowNanos())),
  };
}
