import type { FastifyReply } from 'fastify';
import { z } from 'zod';

// Request parsing shared by the API routes: bad input is a 400 that names the problem.

/** A moment: ISO 8601 with a zone, or Unix seconds; as Unix seconds. */
export const time = z.union([z.iso.datetime({ offset: true }).transform((s) => Date.parse(s) / 1000), z.coerce.number().int().positive()]);

function badRequest(reply: FastifyReply, message: string) {
  return reply.code(400).send({ error: 'bad_request', message });
}

/** Parses with `schema`, or answers 400 naming the problem. */
export function parse<T>(schema: z.ZodType<T>, value: unknown, reply: FastifyReply): T | undefined {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  void badRequest(reply, parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return undefined;
}
