import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { BackupRefusedError, type Backups } from '../backups/backups.js';
import { parse } from './params.js';

const createBody = z.strictObject({
  /** Only what changed since the newest backup; it needs that one to restore. */
  incremental: z.boolean().default(false),
});

/** POST /api/v1/backups makes a backup of rollpoint's database (answered once it is made); GET lists the catalogue. */
export function registerBackupRoutes(app: FastifyInstance, backups: Backups): void {
  app.get('/api/v1/backups', async () => ({ backups: await backups.list() }));

  app.post('/api/v1/backups', async (request, reply) => {
    const body = parse(createBody, request.body, reply);
    if (!body) return reply;
    try {
      return reply.code(201).send(await backups.create(body));
    } catch (err) {
      if (err instanceof BackupRefusedError) return reply.code(409).send({ error: 'conflict', message: err.message });
      return reply.code(500).send({ error: 'backup_failed', message: (err as Error).message });
    }
  });
}
