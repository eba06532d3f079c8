import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { markerSchema } from '../checkpoints/changes.js';
import { windowSchema } from '../checkpoints/config.js';
import { DEFAULT_SCOPE, UnknownScopeError, type CheckpointEngine } from '../checkpoints/engine.js';
import { explain } from '../checkpoints/explain.js';
import type { Recomputer } from '../checkpoints/recompute.js';
import { parse, time } from './params.js';

// The checkpoint API: incidents, one incident with its checkpoint, suspects and story, the
// checkpoint of a scope at a moment, changes (listed and posted), and a recompute on demand.

const rangeQuery = z.strictObject({
  scope: z.string().default(DEFAULT_SCOPE),
  /** Judge over windows of this size (e.g. 5m) instead of the configured one. */
  window: windowSchema.optional(),
  from: time.optional(),
  to: time.optional(),
  limit: z.coerce.number().int().positive().max(10000).default(1000),
});

const checkpointQuery = z.strictObject({ scope: z.string().default(DEFAULT_SCOPE), at: time.optional(), window: windowSchema.optional() });
const recomputeBody = z.strictObject({ from: time, to: time }).refine((r) => r.from < r.to, 'from must be before to');

export function registerCheckpointRoutes(app: FastifyInstance, engine: CheckpointEngine, recomputer: Recomputer, rangeMs: number): void {
  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof UnknownScopeError) return reply.code(404).send({ error: 'not_found', message: error.message });
    return reply.send(error);
  });

  app.get('/api/v1/incidents', async (request, reply) => {
    const query = parse(rangeQuery, request.query, reply);
    if (!query) return reply;
    const completeness = await engine.completeness();
    const to = query.to ?? completeness.completeUntilSeconds;
    const from = query.from ?? to - rangeMs / 1000;
    const incidents = await engine.withWindow(query.window).incidents(query.scope, from, to, completeness.completeUntilSeconds);
    return { scope: query.scope, from: new Date(from * 1000).toISOString(), to: new Date(to * 1000).toISOString(), completeness, incidents: incidents.slice(-query.limit) };
  });

  app.get<{ Params: { id: string } }>('/api/v1/incidents/:id', async (request, reply) => {
    const incident = await engine.findIncident(request.params.id);
    if (!incident) return reply.code(404).send({ error: 'not_found', message: `no incident ${request.params.id} (ids are "<scope>:<start, Unix seconds>")` });
    const detail = await engine.detail(incident);
    return { ...detail, story: explain(detail) };
  });

  app.get('/api/v1/checkpoint', async (request, reply) => {
    const query = parse(checkpointQuery, request.query, reply);
    if (!query) return reply;
    const judge = engine.withWindow(query.window);
    if (query.at === undefined) return judge.checkpointNow(query.scope);
    return judge.checkpoint(query.scope, query.at);
  });

  app.get('/api/v1/changes', async (request, reply) => {
    const query = parse(rangeQuery, request.query, reply);
    if (!query) return reply;
    const to = query.to ?? Date.now() / 1000 + 1;
    const from = query.from ?? to - rangeMs / 1000;
    return { scope: query.scope, changes: await engine.changes(query.scope, from, to, query.limit) };
  });

  app.post('/api/v1/changes', async (request, reply) => {
    const marker = parse(markerSchema, request.body, reply);
    if (!marker) return reply;
    await engine.addMarker(marker);
    return reply.code(201).send({ status: 'recorded' });
  });

  app.post('/api/v1/recompute', async (request, reply) => {
    const body = parse(recomputeBody, request.body, reply);
    if (!body) return reply;
    return recomputer.recompute(body.from, body.to);
  });
}
