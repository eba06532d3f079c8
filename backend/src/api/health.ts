import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './server.js';

export function registerHealthRoutes(app: FastifyInstance, context: ApiContext): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    if (context.isReady()) return { status: 'ready' };
    return reply.code(503).send({ status: 'not ready' });
  });
}
