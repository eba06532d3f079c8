import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

// The timeline page: static files from backend/web and the charting library (uPlot) from its
// package. They load without the API token; the page's own requests to /api/v1 carry it.

const WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));
const UPLOT_DIST = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');

export async function registerUiRoutes(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, { root: WEB_ROOT, prefix: '/ui/', index: false });
  await app.register(fastifyStatic, { root: UPLOT_DIST, prefix: '/ui/vendor/uplot/', decorateReply: false, allowedPath: (path) => /^\/uPlot\.(iife\.min\.js|min\.css)$/.test(path) });
  app.get('/', (_request, reply) => reply.sendFile('index.html'));
}
