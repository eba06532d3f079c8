import { Metadata, Server, ServerCredentials, ServerInterceptingCall, status, type handleUnaryCall, type ServerInterceptor, type StatusObject } from '@grpc/grpc-js';
import type { EventEmitter } from 'node:events';
import {
  logs,
  metrics,
  rawExportService,
  traces,
  type ExportLogsServiceRequest,
  type ExportMetricsServiceRequest,
  type ExportTraceServiceRequest,
  type Rejection,
  type Signal,
  type SignalName,
} from '@rollpoint/proto';
import { splitEndpoint } from './config-file.js';
import { isPermanent, RetryLaterError, UndecodableError } from './errors.js';
import { exportMetaFrom, type ExportMeta } from './export-meta.js';
import type { Accepted, Consume, ConsumeEncoded } from './pipeline.js';
import { encodeRpcStatus } from './rpc-status.js';

/** Hooks through which the agent and the backend count and log what their OTLP servers do. */
export interface ExportObserver {
  accepted(signal: SignalName, records: number): void;
  rejected(signal: SignalName, rejection: Rejection): void;
  failed(signal: SignalName, error: Error): void;
  /** Every call's final gRPC status; "TRANSPORT" for calls grpc-js ended before a handler ran. */
  finished(method: string, code: string): void;
  /** A client that failed the TLS handshake (no certificate, an expired one, another CA…). */
  tlsRefused?(reason: string, peer: string | undefined): void;
}

export interface OtlpGrpcServerOptions {
  endpoint: string;
  /** Largest request accepted, after decompression; larger ones get RESOURCE_EXHAUSTED. */
  maxRecvMsgBytes: number;
  traces?: Consume<ExportTraceServiceRequest>;
  logs?: Consume<ExportLogsServiceRequest>;
  metrics?: Consume<ExportMetricsServiceRequest>;
  /** Consumers of undecoded Exports, instead of `traces`, `logs` and `metrics`. */
  encoded?: { traces: ConsumeEncoded; logs: ConsumeEncoded; metrics?: ConsumeEncoded };
  observer: ExportObserver;
  /**
   * Who may export: given the call's metadata, the name of the sender it proves to be, or undefined
   * to refuse it with UNAUTHENTICATED. Absent: everyone may.
   */
  authenticate?: (metadata: Metadata) => string | undefined;
  /** TLS (PEM contents); absent: plaintext. */
  tls?: ServerTls;
  /**
   * Request bytes being handled at once, beyond which more calls are refused with UNAVAILABLE
   * (retried by senders); one call alone is always taken. Absent: no bound.
   */
  maxInFlightBytes?: number;
}

export interface ServerTls {
  cert: Buffer;
  key: Buffer;
  /** CA certificates client certificates are verified with. */
  clientCa?: Buffer;
  /** Refuse clients without a certificate that clientCa verifies (mutual TLS). */
  requireClientCert: boolean;
}

function serverCredentials(tls: ServerTls | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(tls.clientCa ?? null, [{ cert_chain: tls.cert, private_key: tls.key }], tls.requireClientCert);
}

/**
 * The Export call for one signal: decode (undecodable -> INVALID_ARGUMENT), accept, and answer only
 * once the data was passed on; a failure downstream answers UNAVAILABLE, which senders retry, unless
 * the data itself was refused (INVALID_ARGUMENT: retrying would not help).
 */
function exportHandler<Req>(signal: Signal<Req>, consume: Consume<Req> | { encoded: ConsumeEncoded }, options: OtlpGrpcServerOptions, load: InFlight): handleUnaryCall<Buffer, Buffer> {
  const { observer, authenticate } = options;
  return (call, callback) => {
    const sender = authenticate?.(call.metadata);
    if (authenticate && sender === undefined) {
      // The token is neither echoed nor logged: it may be a near miss of a real one.
      callback({ code: status.UNAUTHENTICATED, details: 'missing or unknown bearer token (send "authorization: Bearer <token>")' });
      return;
    }
    const size = call.request.length;
    if (options.maxInFlightBytes !== undefined && load.bytes > 0 && load.bytes + size > options.maxInFlightBytes) {
      callback({ code: status.UNAVAILABLE, details: `busy: ${load.bytes} bytes of exports in flight; try again shortly` });
      return;
    }
    load.bytes += size;
    const done = callback;
    callback = (error, value) => {
      load.bytes -= size;
      done(error, value);
    };
    const undecodable = (err: Error) => callback({ code: status.INVALID_ARGUMENT, details: `undecodable OTLP ${signal.name} request: ${err.message}` });
    const meta = exportMetaFrom(call.metadata, call.getPeer(), sender);
    const answer = (rejection: Rejection) => callback(null, Buffer.from(signal.encodeResponse(rejection)));
    const fail = (error: Error) => (error instanceof UndecodableError ? undecodable(error) : callback(failureStatus(signal, error)));
    if (typeof consume !== 'function') {
      acceptEncoded(signal, call.request, meta, consume.encoded, observer).then(answer, fail);
      return;
    }
    let request: Req;
    try {
      request = signal.decode(call.request);
    } catch (err) {
      undecodable(err as Error);
      return;
    }
    acceptExport(signal, request, (r) => consume(r, meta), observer).then(answer, fail);
  };
}

/** acceptExport for a consumer of undecoded Exports, which validates them itself. */
async function acceptEncoded<Req>(signal: Signal<Req>, bytes: Uint8Array, meta: ExportMeta, consume: ConsumeEncoded, observer: ExportObserver): Promise<Rejection> {
  let accepted: Accepted;
  try {
    accepted = await consume(bytes, meta);
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    if (!(error instanceof UndecodableError)) observer.failed(signal.name, error);
    throw error;
  }
  if (accepted.rejection.rejected > 0) observer.rejected(signal.name, accepted.rejection);
  observer.accepted(signal.name, accepted.records);
  return accepted.rejection;
}

/**
 * The answer to an Export that could not be passed on: INVALID_ARGUMENT when the data itself was
 * refused, RESOURCE_EXHAUSTED with RetryInfo when the receiver said when to come back (a full
 * queue), UNAVAILABLE otherwise; all but the first are retried by OTLP senders.
 */
function failureStatus<Req>(signal: Signal<Req>, error: Error): Partial<StatusObject> {
  const details = `the ${signal.records} could not be passed on: ${error.message}`;
  if (isPermanent(error)) return { code: status.INVALID_ARGUMENT, details };
  if (error instanceof RetryLaterError) {
    const metadata = new Metadata();
    metadata.set('grpc-status-details-bin', Buffer.from(encodeRpcStatus(status.RESOURCE_EXHAUSTED, details, error.retryAfterMs)));
    return { code: status.RESOURCE_EXHAUSTED, details, metadata };
  }
  return { code: status.UNAVAILABLE, details };
}

/**
 * The part of an Export that OTLP/gRPC and OTLP/HTTP share: drop malformed records (to be reported
 * as partial success), hand the rest on and count the outcome. Rejects when `consume` fails; the
 * caller then answers with a retryable status, so the sender keeps the data.
 */
export async function acceptExport<Req>(signal: Signal<Req>, request: Req, consume: Consume<Req>, observer: ExportObserver): Promise<Rejection> {
  const rejection = signal.rejectInvalid(request);
  if (rejection.rejected > 0) observer.rejected(signal.name, rejection);
  const accepted = signal.countRecords(request);
  try {
    await consume(request);
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    observer.failed(signal.name, error);
    throw error;
  }
  observer.accepted(signal.name, accepted);
  return rejection;
}

function unimplemented(message: string): handleUnaryCall<Buffer, Buffer> {
  return (_call, callback) => callback({ code: status.UNIMPLEMENTED, details: message });
}

/**
 * grpc-js answers some calls itself (a message over the size limit, a body that does not
 * decompress, a cancelled call); those never pass through sendStatus here, only through onCancel.
 */
function countingInterceptor(observer: ExportObserver): ServerInterceptor {
  return (method, call) => {
    let counted = false;
    const count = (code: string): void => {
      if (!counted) observer.finished(method.path, code);
      counted = true;
    };
    return new ServerInterceptingCall(call, {
      // grpc-js chains this listener before the next one, so the handler still hears of the cancel.
      start: (next) => next({ onCancel: () => count('TRANSPORT') }),
      sendStatus: (outcome, next) => {
        count(status[outcome.code] ?? String(outcome.code));
        next(outcome);
      },
    });
  };
}

interface InFlight {
  bytes: number;
}

/** An OTLP/gRPC server for traces, logs and metrics; a signal with no consumer answers UNIMPLEMENTED. */
export async function startOtlpGrpcServer(options: OtlpGrpcServerOptions): Promise<{ server: Server; port: number }> {
  const server = new Server({
    'grpc.max_receive_message_length': options.maxRecvMsgBytes,
    interceptors: [countingInterceptor(options.observer)],
  });
  const load: InFlight = { bytes: 0 };
  const serve = <Req>(signal: Signal<Req>, decoded: Consume<Req> | undefined, encoded: ConsumeEncoded | undefined): void => {
    const consumer = options.encoded ? encoded && { encoded } : decoded;
    server.addService(rawExportService(signal.grpcMethod), {
      Export: consumer ? exportHandler(signal, consumer, options, load) : unimplemented(`this rollpoint endpoint does not take ${signal.name}`),
    });
  };
  serve(traces, options.traces, options.encoded?.traces);
  serve(logs, options.logs, options.encoded?.logs);
  serve(metrics, options.metrics, options.encoded?.metrics);
  const { host, port } = splitEndpoint(options.endpoint);
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, serverCredentials(options.tls), (err, p) => (err ? reject(err) : resolve(p))),
  );
  if (options.tls && options.observer.tlsRefused) watchTlsHandshakes(server, options.observer.tlsRefused);
  return { server, port: bound };
}

/**
 * grpc-js refuses a failed TLS handshake without telling the application; its HTTP/2 servers do
 * emit 'tlsClientError', so the backend can say why it refused a client. grpc-js keeps them in a
 * private map: if that changes, the refusals go unlogged, nothing else.
 */
function watchTlsHandshakes(server: Server, refused: (reason: string, peer: string | undefined) => void): void {
  const http2Servers = (server as unknown as { http2Servers?: Map<EventEmitter, unknown> }).http2Servers;
  for (const http2Server of http2Servers?.keys() ?? []) {
    http2Server.on('tlsClientError', (error: Error, socket: { remoteAddress?: string }) => refused(error.message, socket?.remoteAddress));
  }
}

/** Stops taking calls and waits for those in flight, so nothing acknowledged is cut off. */
export function stopGrpcServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.tryShutdown(() => resolve()));
}
