import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** What the queue gauges read, per exporter. */
export interface QueueGaugeSource {
  readonly depth: number;
  readonly records: number;
  readonly bytes: number;
  oldestWatermarkMs(): number | undefined;
}

/** The agent's own metrics, served at /metrics on the health_check endpoint. */
export function createAgentMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rollpoint_agent_' });
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name: `rollpoint_agent_${name}`, help, labelNames, registers: [registry] });
  const queues = new Map<string, QueueGaugeSource>();
  const queueGauge = (name: string, help: string, read: (queue: QueueGaugeSource) => number) =>
    new Gauge({
      name: `rollpoint_agent_exporter_queue_${name}`,
      help,
      labelNames: ['exporter'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [exporter, queue] of queues) this.set({ exporter }, read(queue));
      },
    });
  queueGauge('batches', 'Batches in the disk queue not yet acknowledged by the backend.', (q) => q.depth);
  queueGauge('records', 'Records (spans, log records, metric data points) in the disk queue not yet acknowledged by the backend.', (q) => q.records);
  queueGauge('size_bytes', 'Bytes the disk queue takes on disk (what sending_queue.max_size_mib bounds).', (q) => q.bytes);
  const watermark: { current?: () => number } = {};
  new Gauge({
    name: 'rollpoint_agent_watermark_timestamp_seconds',
    help: 'The agent watermark: everything it received before this Unix time has been delivered to the backend.',
    registers: [registry],
    collect() {
      if (watermark.current) this.set(watermark.current() / 1000);
    },
  });
  return {
    registry,
    /** Read by the watermark gauge. */
    watermark,
    /** The exporters' queues, read by the queue gauges when /metrics is scraped. */
    queues,
    acceptedRecords: counter('receiver_accepted_records_total', 'Records (spans, log records, metric data points) a receiver accepted and passed on.', ['receiver', 'signal']),
    refusedRecords: counter('receiver_refused_records_total', 'Records (spans, log records, metric data points) a receiver refused as malformed (partial success).', ['receiver', 'signal']),
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
    journaldEntries: counter(
      'receiver_journald_entries_total',
      'Journal entries by outcome: received (a line from journalctl), malformed (a line that is not a JSON entry; skipped), accepted (taken by the pipeline; the stored cursor moved past them), dropped (refused for good by the pipeline).',
      ['receiver', 'outcome'],
    ),
    journalctlFailures: counter(
      'receiver_journald_journalctl_failures_total',
      'journalctl runs of a journald receiver that failed, by reason: missing (journalctl is not installed), exited (it stopped: the journal is unreadable, or it was killed); each is started again after a backoff.',
      ['receiver', 'reason'],
    ),
    hostmetricsScrapes: counter(
      'receiver_hostmetrics_scrapes_total',
      'Scrapes of the hostmetrics receiver by scraper and outcome: ok (delivered), failed (the host could not be read; logged, the other scrapers went on), dropped (the pipeline did not take the collection).',
      ['receiver', 'scraper', 'outcome'],
    ),
    prometheusScrapes: counter(
      'receiver_prometheus_scrapes_total',
      'Prometheus scrapes by job and outcome: up, failed (no connection, TLS refused, an HTTP status other than 200), timeout (over scrape_timeout), malformed (the exposition does not parse), dropped (scraped, but the pipeline refused it).',
      ['receiver', 'job', 'outcome'],
    ),
    udpReceiveBufferBytes: new Gauge({
      name: 'rollpoint_agent_receiver_udp_receive_buffer_bytes',
      help: "The receive buffer the kernel granted a receiver's UDP socket (requests are capped at net.core.rmem_max; Linux reports twice the size it books).",
      labelNames: ['receiver'],
      registers: [registry],
    }),
    memoryRefusedRecords: counter('processor_memory_refused_records_total', 'Records (spans, log records, metric data points) refused (retryably) while memory was over the soft limit.', ['processor', 'signal']),
    filterDroppedRecords: counter('processor_filter_dropped_records_total', 'Records (log records) a filter processor dropped: they matched its exclude block or missed its include block.', ['processor', 'signal']),
    queuedRecords: counter('exporter_queued_records_total', 'Records (spans, log records, metric data points) written to the disk queue (the sender was then acknowledged).', ['exporter', 'signal']),
    queueRefusedRecords: counter('exporter_queue_refused_records_total', 'Records (spans, log records, metric data points) refused because the disk queue was full (the sender is told to retry).', ['exporter', 'signal']),
    queueTornRecords: counter('exporter_queue_torn_records_total', 'Torn records (a write cut short by a crash) found and skipped when the disk queue was opened.', ['exporter']),
    retriedRecords: counter('exporter_retried_records_total', 'Records (spans, log records, metric data points) of exports that failed and are retried after a backoff.', ['exporter', 'signal']),
    deadLetteredRecords: counter('exporter_dead_lettered_records_total', 'Records (spans, log records, metric data points) the backend refused for good, written to the dead-letter folder.', ['exporter', 'signal']),
    heartbeats: counter('exporter_heartbeats_total', 'Empty exports sent when idle to carry the agent id and watermark, by outcome.', ['exporter', 'outcome']),
    sentRecords: counter('exporter_sent_records_total', 'Records (spans, log records, metric data points) the backend acknowledged.', ['exporter', 'signal']),
    failedRecords: counter('exporter_send_failed_records_total', 'Records (spans, log records, metric data points) of failed export attempts, by gRPC code (each is then retried or dead-lettered).', ['exporter', 'signal', 'code']),
    partialRejections: counter('exporter_rejected_records_total', 'Records (spans, log records, metric data points) the backend refused through partial success.', ['exporter', 'signal']),
  };
}

export type AgentMetrics = ReturnType<typeof createAgentMetrics>;
