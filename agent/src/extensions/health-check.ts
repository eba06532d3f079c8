import { splitEndpoint } from '@rollpoint/runtime';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AgentMetrics } from '../telemetry/metrics.js';

/** The agent's own HTTP port: /healthz (alive), /readyz (pipelines running) and /metrics. */
export async function startHealthCheck(endpoint: string, metrics: AgentMetrics, logger: Logger, isReady: () => boolean): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: logger.child({ extension: 'health_check' }, { level: 'warn' }) as FastifyBaseLogger });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => (isReady() ? { status: 'ready' } : reply.code(503).send({ status: 'not ready' })));
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  const { host, port } = splitEndpoint(endpoint);
  await app.listen({ host, port });
  return app;
}
