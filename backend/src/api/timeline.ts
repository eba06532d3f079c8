import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { windowSchema } from '../checkpoints/config.js';
import { DEFAULT_SCOPE, type CheckpointEngine } from '../checkpoints/engine.js';
import { visibleScopes } from './access.js';
import { parse, time } from './params.js';

// What the timeline page draws: per-entity lanes of judged windows with the incidents (each with
// its checkpoint and suspects) and the changes of the range; and what happened in one window.

const HOUR_SECONDS = 3600;
/** Incidents resolved (checkpoint, suspects) per request: the latest ones. */
const MAX_INCIDENTS = 50;
const MAX_CHANGES = 1000;

const timelineQuery = z
  .strictObject({
    scope: z.string().default(DEFAULT_SCOPE),
    window: windowSchema.optional(),
    /** Default: an hour before `to`. */
    from: time.optional(),
    /** Default: now. */
    to: time.optional(),
    max_entities: z.coerce.number().int().positive().max(500).default(50),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, 'from must be before to');

const windowQuery = z.strictObject({
  scope: z.string().default(DEFAULT_SCOPE),
  window: windowSchema.optional(),
  /** Any moment in the window. */
  start: time,
  limit: z.coerce.number().int().positive().max(100).default(10),
});

export function registerTimelineRoutes(app: FastifyInstance, engine: CheckpointEngine): void {
  app.get('/api/v1/timeline', async (request, reply) => {
    const query = parse(timelineQuery, request.query, reply);
    if (!query) return reply;
    const judge = engine.withWindow(query.window);
    const completeness = await judge.completeness();
    const to = query.to ?? Date.now() / 1000;
    const from = query.from ?? to - HOUR_SECONDS;
    const lanes = await judge.lanes(query.scope, from, to, completeness.completeUntilSeconds, query.max_entities);
    const incidents = (await judge.incidents(query.scope, from, to, completeness.completeUntilSeconds)).slice(-MAX_INCIDENTS);
    const resolved = [];
    for (const incident of incidents) resolved.push(await judge.resolve(incident));
    return {
      scope: query.scope,
      scopes: visibleScopes(request, engine.scopeNames()),
      from: new Date(from * 1000).toISOString(),
      to: new Date(to * 1000).toISOString(),
      windowSeconds: judge.windowSeconds,
      completeUntil: completeness.completeUntil,
      lanes,
      incidents: resolved,
      changes: await judge.changes(query.scope, from, to, MAX_CHANGES),
    };
  });

  app.get('/api/v1/timeline/window', async (request, reply) => {
    const query = parse(windowQuery, request.query, reply);
    if (!query) return reply;
    return engine.withWindow(query.window).windowDetail(query.scope, query.start, query.limit);
  });
}
