import type { Readable } from 'node:stream';
import { createGunzip, type Gunzip } from 'node:zlib';
import { status } from '@grpc/grpc-js';
import { logs, metrics, traces, type Signal } from '@rollpoint/proto';
import { acceptExport, encodeRpcStatus, isPermanent, RetryLaterError, splitEndpoint, type Consume, type ExportObserver } from '@rollpoint/runtime';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ComponentContext, ReceiverConsumers } from '../../component.js';

const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

interface HttpOptions {
  endpoint: string;
  maxBodyBytes: number;
  consumers: ReceiverConsumers;
  observer: ExportObserver;
  context: ComponentContext;
}

const isJson = (request: FastifyRequest): boolean => (request.headers['content-type'] ?? '').startsWith(JSON_TYPE);

/** Answers with a google.rpc.Status, encoded as the request was (OTLP/HTTP's error body). */
function sendStatus(request: FastifyRequest, reply: FastifyReply, httpCode: number, grpcCode: status, message: string, retryAfterMs?: number): FastifyReply {
  reply.code(httpCode);
  if (retryAfterMs !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  if (isJson(request) || !(request.headers['content-type'] ?? '').startsWith(PROTOBUF)) return reply.type(JSON_TYPE).send({ code: grpcCode, message });
  return reply.type(PROTOBUF).send(Buffer.from(encodeRpcStatus(grpcCode, message, retryAfterMs)));
}

function exportRoute<Req>(signal: Signal<Req>, consume: Consume<Req> | undefined, observer: ExportObserver) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!consume) return sendStatus(request, reply, 404, status.UNIMPLEMENTED, `this rollpoint endpoint does not take ${signal.name}`);
    let decoded: Req;
    try {
      decoded = isJson(request) ? signal.fromJson(request.body as string) : signal.decode(request.body as Buffer);
    } catch (err) {
      return sendStatus(request, reply, 400, status.INVALID_ARGUMENT, `undecodable OTLP ${signal.name} request: ${(err as Error).message}`);
    }
    let rejection;
    try {
      rejection = await acceptExport(signal, decoded, consume, observer);
    } catch (err) {
      const message = `the ${signal.records} could not be passed on: ${(err as Error).message}`;
      if (isPermanent(err)) return sendStatus(request, reply, 400, status.INVALID_ARGUMENT, message);
      // The queue is full: 429 with Retry-After, which OTLP/HTTP senders wait out and retry.
      if (err instanceof RetryLaterError) return sendStatus(request, reply, 429, status.RESOURCE_EXHAUSTED, message, err.retryAfterMs);
      // 503 is retryable in OTLP/HTTP: the sender keeps the data and tries again.
      return sendStatus(request, reply, 503, status.UNAVAILABLE, message);
    }
    if (isJson(request)) return reply.type(JSON_TYPE).send(signal.responseJson(rejection));
    return reply.type(PROTOBUF).send(Buffer.from(signal.encodeResponse(rejection)));
  };
}

/**
 * Decompresses a gzip body. Fastify checks the body against Content-Length, which counts the
 * compressed bytes; `receivedEncodedLength` is how a preParsing stream tells it that count.
 */
function gunzip(payload: NodeJS.ReadableStream): Readable {
  const stream = createGunzip() as Gunzip & { receivedEncodedLength: number };
  stream.receivedEncodedLength = 0;
  payload.on('data', (chunk: Buffer) => {
    stream.receivedEncodedLength += chunk.length;
  });
  return payload.pipe(stream);
}

/** OTLP/HTTP: POST /v1/traces, /v1/logs and /v1/metrics, protobuf or JSON, optionally gzip-compressed. */
export async function startOtlpHttpServer({ endpoint, maxBodyBytes, consumers, observer, context }: HttpOptions): Promise<FastifyInstance> {
  const logger = context.logger.child({ receiver: context.id }, { level: 'warn' }) as FastifyBaseLogger;
  const app = Fastify({ loggerInstance: logger, bodyLimit: maxBodyBytes });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(PROTOBUF, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  // JSON stays text here: OTLP/JSON is parsed by the shared parser (hex ids, 64-bit integers).
  app.addContentTypeParser(JSON_TYPE, { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = request.headers['content-encoding'] ?? 'identity';
    if (encoding === 'identity') return payload;
    if (encoding === 'gzip') return gunzip(payload);
    throw Object.assign(new Error(`unsupported content-encoding "${encoding}" (use gzip or none)`), { statusCode: 415 });
  });
  // On shutdown, answers still in flight ask the client to close its keep-alive connection, or the
  // server would wait for that idle connection to time out before it could close.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    context.metrics.httpRequests.inc({ receiver: context.id, path: request.routeOptions.url ?? 'unknown', code: String(reply.statusCode) });
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, request, reply) => {
    // zlib reports a corrupt gzip body with Z_* codes; that is the sender's fault.
    const httpCode = err.code?.startsWith('Z_') ? 400 : (err.statusCode ?? 500);
    const grpcCode = httpCode === 413 ? status.RESOURCE_EXHAUSTED : httpCode < 500 ? status.INVALID_ARGUMENT : status.INTERNAL;
    return sendStatus(request, reply, httpCode, grpcCode, err.message);
  });
  app.post(traces.httpPath, exportRoute(traces, consumers.traces, observer));
  app.post(logs.httpPath, exportRoute(logs, consumers.logs, observer));
  app.post(metrics.httpPath, exportRoute(metrics, consumers.metrics, observer));
  const { host, port } = splitEndpoint(endpoint);
  await app.listen({ host, port });
  context.logger.info({ receiver: context.id, port: (app.server.address() as { port: number }).port }, 'OTLP/HTTP listening');
  return app;
}
