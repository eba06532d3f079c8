import { readFileSync } from 'node:fs';
import { stopGrpcServer, splitEndpoint, type ServerTls } from '@rollpoint/runtime';
import { pino, type Logger } from 'pino';
import { createApiServer } from './api/server.js';
import { Backups } from './backups/backups.js';
import { backedUpDatabaseOf, backupTargetOf } from './backups/config.js';
import { BackupSchedule } from './backups/schedule.js';
import { apiTokensOf, type BackendConfig } from './config.js';
import { CheckpointEngine } from './checkpoints/engine.js';
import { openConfigRepository } from './configrepo/open.js';
import { Recomputer } from './checkpoints/recompute.js';
import { Arrivals } from './ingest/arrivals.js';
import { deviceAliases } from './ingest/device-names.js';
import { createIngest } from './ingest/ingest.js';
import { SourceWatermarks } from './ingest/watermarks.js';
import { startBackendOtlpServer } from './otlp/server.js';
import { checkSchemaVersion, migrate } from './schema/migrations.js';
import { applyRetention, retentionChanges } from './schema/retention.js';
import { connectStore, openStore, retentionOf, retryWhileUnreachable, schemaOptionsOf, storeLocation, storeRetryOf } from './store/open.js';
import type { Store } from './store/store.js';
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

/**
 * Serves health at once (/readyz: not ready), reaches the store (waiting while a server cannot be
 * reached), brings its schema up to date, then takes data: the OTLP server starts last.
 */
export async function startBackend(config: BackendConfig, logger: Logger = pino({ level: config.log.level })): Promise<RunningBackend> {
  let ready = false;
  const metrics = createBackendMetrics({ staleAfterMs: config.checkpoints.stale_after });
  const store = openStore(config);
  const watermarks = new SourceWatermarks(store);
  metrics.sources.current = () => watermarks.snapshot();
  const configRepository = config.config_repository ? openConfigRepository(config.config_repository, config.devices, store, logger) : undefined;
  const engine = new CheckpointEngine(store, config.checkpoints, configRepository?.diff, deviceAliases(config.devices));
  const webhooks = new WebhookNotifier({ webhooks: config.webhooks, store, metrics, logger, externalUrl: config.http.external_url ?? `http://${config.http.endpoint}` });
  const backups = new Backups({ store, target: backupTargetOf(config), ...backedUpDatabaseOf(config) });
  const backupSchedule = config.backups.schedule ? new BackupSchedule(backups, config.backups.schedule, logger) : undefined;
  const arrivals = new Arrivals();
  const recomputer = new Recomputer(engine, store, {
    arrivals,
    intervalMs: config.checkpoints.recompute_interval,
    rangeMs: config.checkpoints.recompute_range,
    logger,
    notify: (incidents) => webhooks.notify(incidents),
  });
  // Read from the store: only once it is reached and its schema in place.
  metrics.scopes.current = async () => (ready ? recomputer.summary() : []);
  const api = await createApiServer({
    store,
    metrics,
    logger,
    isReady: () => ready,
    apiTokens: apiTokensOf(config),
    checkpoints: { engine, recomputer, rangeMs: config.checkpoints.recompute_range },
    webhooks,
    storage: { layout: schemaOptionsOf(config.storage), retention: retentionOf(config.storage) },
    backups,
  });
  const http = splitEndpoint(config.http.endpoint);
  await api.listen({ host: http.host, port: http.port });
  const httpPort = (api.server.address() as { port: number }).port;
  try {
    await prepareStore(store, config, logger);
    await watermarks.start();
    await webhooks.start();
    for (const backup of await backups.settle()) logger.warn({ backup: backup.name, status: backup.status, error: backup.error }, 'a backup left as being made is settled');
  } catch (err) {
    await api.close();
    await store.close();
    throw err;
  }

  const ingest = createIngest(store, watermarks, metrics, arrivals, {
    buffer: {
      maxRows: config.storage.insert_batch.send_batch_size,
      maxDelayMs: config.storage.insert_batch.timeout,
      quietMs: config.storage.insert_batch.quiet_period,
      maxBufferedBytes: config.storage.insert_batch.max_buffered_mib * 1024 * 1024,
    },
    workers: config.otlp.grpc.decode_workers,
    devices: config.devices,
  }, logger);
  const otlp = await startBackendOtlpServer({
    endpoint: config.otlp.grpc.endpoint,
    maxRecvMsgSizeMib: config.otlp.grpc.max_recv_msg_size_mib,
    bearerTokens: config.otlp.grpc.bearer_tokens,
    maxInFlightMib: config.otlp.grpc.max_in_flight_mib,
    ...(config.otlp.grpc.tls ? { tls: readServerTls(config.otlp.grpc.tls) } : {}),
    ingest,
    metrics,
    logger,
  });
  recomputer.start();
  configRepository?.start();
  backupSchedule?.start();
  ready = true;
  logger.info({ grpc: otlp.port, http: httpPort, store: storeLocation(config.storage) }, 'rollpoint-backend ready');

  return {
    grpcPort: otlp.port,
    httpPort,
    async stop() {
      ready = false;
      await stopGrpcServer(otlp.server);
      await ingest.close();
      await recomputer.stop();
      await configRepository?.stop();
      await backupSchedule?.stop();
      await backups.idle();
      await webhooks.stop();
      await watermarks.close();
      await api.close();
      await store.close();
      logger.info('rollpoint-backend stopped');
    },
  };
}

/**
 * Reaches the store, checks its version and creates or checks the schema. A server lost meanwhile
 * (or a cluster's DDL outlasting the request timeout) is waited for: every DDL statement is
 * idempotent, so the schema step is simply run again.
 */
async function prepareStore(store: Store, config: BackendConfig, logger: Logger): Promise<void> {
  const retry = storeRetryOf(config.storage, logger);
  const version = await connectStore(store, config.storage, retry);
  logger.info({ driver: store.driver, store: retry.location, version }, 'store reached');
  const layout = schemaOptionsOf(config.storage);
  const retention = retentionOf(config.storage);
  if (store.driver === 'clickhouse' && !config.storage.clickhouse.create_schema) {
    await retryWhileUnreachable('the schema check', () => checkSchemaVersion(store), retry);
    const differing = await retryWhileUnreachable('the retention check', () => retentionChanges(store, retention, layout), retry);
    if (differing.length > 0) logger.warn({ statements: differing }, 'tables keep another retention than storage.retention; create_schema is false, so run these statements yourself');
    return;
  }
  const applied = await retryWhileUnreachable('the schema migrations', () => migrate(store, layout), retry);
  if (applied.length > 0) logger.info({ applied }, 'schema migrations applied');
  const retained = await retryWhileUnreachable('the retention', () => applyRetention(store, retention, layout), retry);
  if (retained.length > 0) logger.info({ statements: retained }, 'retention applied to existing tables');
}
