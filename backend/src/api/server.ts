import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Backups } from '../backups/backups.js';
import type { CheckpointEngine } from '../checkpoints/engine.js';
import type { Recomputer } from '../checkpoints/recompute.js';
import type { SchemaOptions } from '../schema/layout.js';
import type { Retention } from '../schema/retention.js';
import type { Store } from '../store/store.js';
import type { BackendMetrics } from '../telemetry/metrics.js';
import { registerUiRoutes } from '../ui/routes.js';
import type { WebhookNotifier } from '../webhooks/notifier.js';
import { apiPathOf, registerAccessControl } from './access.js';
import { registerAuditRoutes } from './audit.js';
import { registerBackupRoutes } from './backups.js';
import { registerCheckpointRoutes } from './checkpoints.js';
import type { ApiTokenConfig } from './config.js';
import { registerHealthRoutes } from './health.js';
import { registerSqlRoute } from './sql.js';
import { registerStatusRoute } from './status.js';
import { registerTimelineRoutes } from './timeline.js';

export interface ApiContext {
  store: Store;
  metrics: BackendMetrics;
  logger: Logger;
  /** False until the schema is in place, and again while shutting down. */
  isReady(): boolean;
  /** The tokens /api/v1/* takes, each with its role; none: anyone may do anything. */
  apiTokens: readonly ApiTokenConfig[];
  checkpoints: { engine: CheckpointEngine; recomputer: Recomputer; rangeMs: number };
  webhooks: WebhookNotifier;
  /** The store's layout and each family's retention, for the status. */
  storage: { layout: SchemaOptions; retention: Retention };
  backups: Backups;
}

/** A request as the log shows it: the timeline page's ?token= left out of its URL, and no headers. */
function requestForLog(request: { method: string; url: string; ip?: string }): Record<string, unknown> {
  return { method: request.method, url: request.url.replace(/([?&]token=)[^&#]*/g, '$1[redacted]'), remoteAddress: request.ip };
}

/** The backend's HTTP port: health, the JSON API under /api/v1, /metrics and the timeline page at /. */
export async function createApiServer(context: ApiContext): Promise<FastifyInstance> {
  // At warn level the per-request info lines stay quiet; errors still reach the log. Whatever a
  // line holds, no token does: not the authorization header, not the page's ?token=.
  const logger = context.logger.child(
    { component: 'http' },
    { level: 'warn', serializers: { req: requestForLog }, redact: { paths: ['req.headers.authorization', 'headers.authorization', 'request.headers.authorization'], censor: '[redacted]' } },
  ) as FastifyBaseLogger;
  const app = Fastify({ loggerInstance: logger, bodyLimit: 1024 * 1024 });
  // Analysts post SQL as plain text as often as in JSON.
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.addHook('onRequest', async (request, reply) => {
    if (apiPathOf(request) !== undefined && !context.isReady()) {
      await reply.code(503).send({ error: 'not_ready', message: 'the backend is still reaching its ClickHouse store; see /readyz and its log' });
    }
  });
  registerAccessControl(app, { tokens: context.apiTokens, metrics: context.metrics });
  registerHealthRoutes(app, context);
  registerSqlRoute(app, context);
  registerStatusRoute(app, context);
  registerAuditRoutes(app, context);
  registerCheckpointRoutes(app, context.checkpoints.engine, context.checkpoints.recomputer, context.checkpoints.rangeMs);
  registerTimelineRoutes(app, context.checkpoints.engine);
  registerBackupRoutes(app, context.backups);
  await registerUiRoutes(app);
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', context.metrics.registry.contentType);
    return context.metrics.registry.metrics();
  });
  return app;
}
