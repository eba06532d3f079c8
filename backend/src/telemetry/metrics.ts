import { setTimeout as sleep } from 'node:timers/promises';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ScopeSummary } from '../checkpoints/stored.js';
import type { SourceState } from '../ingest/watermarks.js';

/** Longest a scrape waits for the per-scope figures, which come from the store. */
const SCOPE_READ_TIMEOUT_MS = 3000;

/**
 * The backend's own metrics, served at /metrics in the Prometheus text format. A source is stale
 * once silent for `staleAfterMs` (checkpoints.stale_after), as completeness judges it.
 */
export function createBackendMetrics(options: { staleAfterMs: number }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rollpoint_backend_' });
  const sources: { current?: () => ReadonlyMap<string, Readonly<SourceState>> } = {};
  const scopes: { current?: () => Promise<ScopeSummary[]> } = {};
  const sourceGauge = (name: string, help: string, read: (state: Readonly<SourceState>, nowMs: number) => number) =>
    new Gauge({
      name: `rollpoint_backend_source_${name}`,
      help,
      labelNames: ['source', 'kind'],
      registers: [registry],
      collect() {
        this.reset();
        const now = Date.now();
        for (const [source, state] of sources.current?.() ?? []) this.set({ source, kind: state.kind }, read(state, now));
      },
    });
  sourceGauge('watermark_timestamp_seconds', "Each source's watermark: an agent's reported one, a direct sender's latest event time.", (s) => s.watermarkMs / 1000);
  sourceGauge('last_seen_timestamp_seconds', 'When each source last exported (data or heartbeat).', (s) => s.lastSeenMs / 1000);
  sourceGauge('staleness_seconds', 'Seconds since each source last exported.', (s, now) => Math.max(0, now - s.lastSeenMs) / 1000);
  sourceGauge('stale', '1 when a source has been silent longer than checkpoints.stale_after (left out of completeness).', (s, now) => (now - s.lastSeenMs > options.staleAfterMs ? 1 : 0));
  const scopeGauge = (name: string, help: string, read: (s: ScopeSummary, nowSeconds: number) => number | null) =>
    new Gauge({
      name: `rollpoint_backend_${name}`,
      help,
      labelNames: ['scope'],
      registers: [registry],
      async collect() {
        // A store that cannot answer (starting, or a server lost) leaves the gauge empty within a
        // few seconds; the rest of the scrape stands.
        const summary = scopes.current?.().catch(() => undefined);
        const rows = (await Promise.race([summary, sleep(SCOPE_READ_TIMEOUT_MS, undefined, { ref: false })])) ?? [];
        this.reset();
        for (const row of rows) {
          const value = read(row, Date.now() / 1000);
          if (value !== null) this.set({ scope: row.scope }, value);
        }
      },
    });
  scopeGauge('open_incidents', 'Incidents still open per scope, as the latest recompute stored them.', (s) => s.openIncidents);
  scopeGauge('checkpoint_age_seconds', "Seconds since each scope's latest checkpoint (absent while none is found).", (s, now) => (s.checkpointSeconds === null ? null : now - s.checkpointSeconds));
  return {
    registry,
    /** The sources the watermark gauges read. */
    sources,
    /** The per-scope summary the incident and checkpoint gauges read. */
    scopes,
    ingestedRecords: new Counter({
      name: 'rollpoint_backend_ingested_records_total',
      help: 'Spans, log records and metric data points stored, per signal and source (agent id, token name or sender address).',
      labelNames: ['signal', 'source'] as const,
      registers: [registry],
    }),
    insertSeconds: new Histogram({
      name: 'rollpoint_backend_insert_duration_seconds',
      help: 'Time of one coalesced insert (the rows of many Exports) into ClickHouse.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    inserts: new Counter({
      name: 'rollpoint_backend_inserts_total',
      help: 'Coalesced inserts written, per table.',
      labelNames: ['table'] as const,
      registers: [registry],
    }),
    insertedRows: new Counter({
      name: 'rollpoint_backend_inserted_rows_total',
      help: 'Rows written by coalesced inserts, per table: spans, log records, and metric data points in each otel_metrics_* table.',
      labelNames: ['table'] as const,
      registers: [registry],
    }),
    ledgerFailures: new Counter({
      name: 'rollpoint_backend_ledger_failures_total',
      help: 'Coalesced inserts whose rows were stored but whose batch ids could not be written to the ledger (a retry of those batches would be stored again).',
      labelNames: ['table'] as const,
      registers: [registry],
    }),
    duplicateBatches: new Counter({
      name: 'rollpoint_backend_duplicate_batches_total',
      help: 'Batches acknowledged without storing them again: the ledger showed them stored (a retry after a lost acknowledgement).',
      labelNames: ['table'] as const,
      registers: [registry],
    }),
    webhookDeliveries: new Counter({
      name: 'rollpoint_backend_webhook_deliveries_total',
      help: 'Webhook notifications per webhook, event and outcome (delivered, or failed after the last attempt).',
      labelNames: ['webhook', 'event', 'outcome'] as const,
      registers: [registry],
    }),
    webhookAttemptFailures: new Counter({
      name: 'rollpoint_backend_webhook_attempt_failures_total',
      help: 'Webhook POSTs that failed (timeout, connection error, non-2xx answer), retried or not.',
      labelNames: ['webhook'] as const,
      registers: [registry],
    }),
    acceptedRecords: new Counter({
      name: 'rollpoint_backend_accepted_records_total',
      help: 'Spans, log records and metric data points stored.',
      labelNames: ['signal'] as const,
      registers: [registry],
    }),
    rejectedRecords: new Counter({
      name: 'rollpoint_backend_rejected_records_total',
      help: 'Spans, log records and metric data points refused as malformed (reported to the sender as partial success).',
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
      help: 'Requests to /api/v1/* refused for a missing or wrong API token (401).',
      registers: [registry],
    }),
    apiForbidden: new Counter({
      name: 'rollpoint_backend_api_forbidden_total',
      help: 'Requests to /api/v1/* refused to a known token (403): reason role (too low), scope (outside its scopes), tables (its SQL reading more than rollpoint’s tables, or below admin the admin’s), unlisted (a route not in the access table).',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    auditUnrecorded: new Counter({
      name: 'rollpoint_backend_audit_unrecorded_total',
      help: 'Refused /api/ writes without a known token (401) past the audit log’s cap of 60 a minute: counted here, not written to audit_log.',
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
