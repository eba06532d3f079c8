import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/** The agent's own metrics, served at /metrics on the health_check endpoint. */
export function createAgentMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rollpoint_agent_' });
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name: `rollpoint_agent_${name}`, help, labelNames, registers: [registry] });
  return {
    registry,
    acceptedRecords: counter('receiver_accepted_records_total', 'Spans and log records a receiver accepted and passed on.', ['receiver', 'signal']),
    refusedRecords: counter('receiver_refused_records_total', 'Spans and log records a receiver refused as malformed (partial success).', ['receiver', 'signal']),
    grpcRequests: counter('receiver_grpc_requests_total', 'OTLP/gRPC calls by final status (TRANSPORT: ended by grpc-js before decoding).', ['receiver', 'method', 'code']),
    httpRequests: counter('receiver_http_requests_total', 'OTLP/HTTP requests by response status.', ['receiver', 'path', 'code']),
    syslogMessages: counter(
      'receiver_syslog_messages_total',
      'Syslog messages by outcome: received, parsed, failed (kept with rollpoint.parse_error), truncated, invalid_utf8, dropped (lost: UDP with the pipeline full, or given up at shutdown).',
      ['receiver', 'transport', 'outcome'],
    ),
    syslogConnections: counter(
      'receiver_syslog_connections_total',
      'Syslog TCP/TLS connections by outcome: accepted, refused (over max_connections), tls_failed, idle_closed.',
      ['receiver', 'transport', 'outcome'],
    ),
    snmpTraps: counter(
      'receiver_snmp_traps_total',
      'SNMP packets by outcome: received, rejected (wrong community, unknown user, wrong key), malformed (not one whole SNMPv1/v2c/v3 message, undecodable, or a notification without snmpTrapOID.0, which is kept), dropped (the pipeline full).',
      ['receiver', 'version', 'outcome'],
    ),
    memoryRefusedRecords: counter('processor_memory_refused_records_total', 'Spans and log records refused (retryably) while memory was over the soft limit.', ['processor', 'signal']),
    sentRecords: counter('exporter_sent_records_total', 'Spans and log records the backend acknowledged.', ['exporter', 'signal']),
    failedRecords: counter('exporter_send_failed_records_total', 'Spans and log records an export failed for (the sender is told and retries).', ['exporter', 'signal', 'code']),
    partialRejections: counter('exporter_rejected_records_total', 'Spans and log records the backend refused through partial success.', ['exporter', 'signal']),
  };
}

export type AgentMetrics = ReturnType<typeof createAgentMetrics>;
