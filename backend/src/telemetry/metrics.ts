import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { SourceState } from '../ingest/watermarks.js';

/** The backend's own metrics, served at /metrics in the Prometheus text format. */
export function createBackendMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rollpoint_backend_' });
  const sources: { current?: () => ReadonlyMap<string, Readonly<SourceState>> } = {};
  const sourceGauge = (name: string, help: string, read: (state: Readonly<SourceState>) => number) =>
    new Gauge({
      name: `rollpoint_backend_source_${name}`,
      help,
      labelNames: ['source', 'kind'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [source, state] of sources.current?.() ?? []) this.set({ source, kind: state.kind }, read(state));
      },
    });
  sourceGauge('watermark_timestamp_seconds', "Each source's watermark: an agent's reported one, a direct sender's latest event time.", (s) => s.watermarkMs / 1000);
  sourceGauge('last_seen_timestamp_seconds', 'When each source last exported (data or heartbeat).', (s) => s.lastSeenMs / 1000);
  return {
    registry,
    /** The sources the watermark gauges read. */
    sources,
    acceptedRecords: new Counter({
      name: 'rollpoint_backend_accepted_records_total',
      help: 'Spans and log records stored.',
      labelNames: ['signal'] as const,
      registers: [registry],
    }),
    rejectedRecords: new Counter({
      name: 'rollpoint_backend_rejected_records_total',
      help: 'Spans and log records refused as malformed (reported to the sender as partial success).',
      labelNames: ['signal'] as const,
      registers: [registry],
    }),
    grpcRequests: new Counter({
      name: 'rollpoint_backend_grpc_requests_total',
      help: 'OTLP/gRPC Export calls by final status code (TRANSPORT: ended by grpc-js before decoding: too large, bad compression, cancelled).',
      labelNames: ['method', 'code'] as const,
      registers: [registry],
    }),
    tlsRefused: new Counter({
      name: 'rollpoint_backend_tls_handshake_failures_total',
      help: 'OTLP/gRPC clients refused in the TLS handshake (no certificate, an expired one, another CA).',
      registers: [registry],
    }),
    apiUnauthorized: new Counter({
      name: 'rollpoint_backend_api_unauthorized_total',
      help: 'Requests to /api/v1/* refused for a missing or wrong API token.',
      registers: [registry],
    }),
    sqlQueries: new Counter({
      name: 'rollpoint_backend_sql_queries_total',
      help: 'Statements run through /api/v1/sql, by outcome.',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
  };
}

export type BackendMetrics = ReturnType<typeof createBackendMetrics>;
