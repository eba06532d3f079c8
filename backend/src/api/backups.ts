import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { BackupRefusedError, type Backups } from '../backups/backups.js';
import { parse } from './params.js';

const createBody = z.strictObject({
  /** Only what changed since the newest backup; it needs that one to restore. */
  incremental: z.boolean().default(false),
});

/**
 * POST /api/v1/backups starts a backup of rollpoint's database and answers 202 with it as being
 * made (a backup may outlast any HTTP timeout); GET lists the catalogue, where it ends made or failed.
 */
export function registerBackupRoutes(app: FastifyInstance, backups: Backups): void {
  app.get('/api/v1/backups', async () => ({ backups: await backups.list() }));

  app.post('/api/v1/backups', async (request, reply) => {
    const body = parse(createBody, request.body, reply);
    if (!body) return reply;
    try {
      const { started, done } = await backups.start(body);
      request.auditDetail = started.base ? `incremental ${started.name} on ${started.base}` : `full ${started.name}`;
      // The catalogue records a failure; the log says it too.
      done.catch((err: Error) => request.log.error({ backup: started.name, err: err.message }, 'backup failed'));
      return reply.code(202).send(started);
    } catch (err) {
      if (err instanceof BackupRefusedError) return reply.code(409).send({ error: 'conflict', message: err.message });
      throw err;
    }
  });
}
