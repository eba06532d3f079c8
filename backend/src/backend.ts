import { readFileSync } from 'node:fs';
import { stopGrpcServer, splitEndpoint, type ServerTls } from '@rollpoint/proto';
import { pino, type Logger } from 'pino';
import { createApiServer } from './api/server.js';
import type { BackendConfig } from './config.js';
import { CheckpointEngine } from './checkpoints/engine.js';
import { Recomputer } from './checkpoints/recompute.js';
import { createIngest } from './ingest/ingest.js';
import { SourceWatermarks } from './ingest/watermarks.js';
import { startBackendOtlpServer } from './otlp/server.js';
import { migrate } from './schema/migrations.js';
import { ChdbStore } from './store/chdb.js';
import { createBackendMetrics } from './telemetry/metrics.js';
import { WebhookNotifier } from './webhooks/notifier.js';

export interface RunningBackend {
  grpcPort: number;
  httpPort: number;
  /** Stops taking data, lets in-flight exports finish storing, then closes the store. */
  stop(): Promise<void>;
}

function readServerTls(tls: NonNullable<BackendConfig['otlp']['grpc']['tls']>): ServerTls {
  return {
    cert: readFileSync(tls.cert_file),
    key: readFileSync(tls.key_file),
    ...(tls.client_ca_file ? { clientCa: readFileSync(tls.client_ca_file) } : {}),
    requireClientCert: tls.require_client_cert,
  };
}

/** Opens the store, brings its schema up to date and starts the OTLP and HTTP servers. */
export async function startBackend(config: BackendConfig, logger: Logger = pino({ level: config.log.level })): Promise<RunningBackend> {
  let ready = false;
  const metrics = createBackendMetrics({ staleAfterMs: config.checkpoints.stale_after });
  const store = new ChdbStore({
    path: config.storage.chdb.path,
    readOnlyMaxRows: config.sql.max_rows,
    readOnlyTimeoutMs: config.sql.timeout,
  });
  const applied = await migrate(store, { ttlDays: config.storage.ttl_days });
  if (applied.length > 0) logger.info({ applied }, 'schema migrations applied');
  const watermarks = new SourceWatermarks(store);
  await watermarks.start();
  metrics.sources.current = () => watermarks.snapshot();

  const engine = new CheckpointEngine(store, config.checkpoints);
  const webhooks = new WebhookNotifier({ webhooks: config.webhooks, store, metrics, logger, externalUrl: config.http.external_url ?? `http://${config.http.endpoint}` });
  await webhooks.start();
  const recomputer = new Recomputer(engine, store, {
    intervalMs: config.checkpoints.recompute_interval,
    rangeMs: config.checkpoints.recompute_range,
    logger,
    notify: (incidents) => webhooks.notify(incidents),
  });
  metrics.scopes.current = () => recomputer.summary();
  const api = await createApiServer({
    store,
    metrics,
    logger,
    isReady: () => ready,
    ...(config.http.api_token ? { apiToken: config.http.api_token } : {}),
    checkpoints: { engine, recomputer, rangeMs: config.checkpoints.recompute_range },
    webhooks,
  });
  const http = splitEndpoint(config.http.endpoint);
  await api.listen({ host: http.host, port: http.port });
  const httpPort = (api.server.address() as { port: number }).port;

  const otlp = await startBackendOtlpServer({
    endpoint: config.otlp.grpc.endpoint,
    maxRecvMsgSizeMib: config.otlp.grpc.max_recv_msg_size_mib,
    bearerTokens: config.otlp.grpc.bearer_tokens,
    maxInFlightMib: config.otlp.grpc.max_in_flight_mib,
    ...(config.otlp.grpc.tls ? { tls: readServerTls(config.otlp.grpc.tls) } : {}),
    ingest: createIngest(store, watermarks, metrics),
    metrics,
    logger,
  });
  recomputer.start();
  ready = true;
  logger.info({ grpc: otlp.port, http: httpPort, store: config.storage.chdb.path }, 'rollpoint-backend ready');

  return {
    grpcPort: otlp.port,
    httpPort,
    async stop() {
      ready = false;
      await stopGrpcServer(otlp.server);
      await recomputer.stop();
      await webhooks.stop();
      await watermarks.close();
      await api.close();
      await store.close();
      logger.info('rollpoint-backend stopped');
    },
  };
}
