import { readFileSync } from 'node:fs';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { Rejection, Signal } from '@rollpoint/proto';
import { AGENT_ID_HEADER, BATCH_ID_HEADER, isRetryableGrpcCode, retryDelayMsOf, WATERMARK_HEADER } from '@rollpoint/runtime';
import type { OtlpExporterConfig } from './config.js';

const MIB = 1024 * 1024;
// grpc-js's numbering of compression algorithms.
const GZIP = 2;
const identity = (bytes: Buffer): Buffer => bytes;

/** Why an Export failed, and whether and when it may be tried again. */
export class SendFailure extends Error {
  constructor(
    message: string,
    /** The gRPC status name, e.g. "UNAVAILABLE". */
    readonly code: string,
    /** Retrying cannot help: the batch goes to the dead-letter folder. */
    readonly permanent: boolean,
    /** The delay the backend asked for (RetryInfo), if it did. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'SendFailure';
  }
}

/** What goes with an Export besides the data. */
export interface ExportHeaders {
  batchId?: string;
  agentId: string;
  watermarkMs: number;
}

/** One gRPC channel to the backend, and Export calls over it with rollpoint's headers. */
export class GrpcSender {
  private readonly client: Client;
  private readonly metadata = new Metadata();

  constructor(private readonly config: OtlpExporterConfig) {
    const tls = config.tls;
    const channelCredentials = tls
      ? credentials.createSsl(
          tls.ca_file ? readFileSync(tls.ca_file) : null,
          tls.key_file ? readFileSync(tls.key_file) : null,
          tls.cert_file ? readFileSync(tls.cert_file) : null,
        )
      : credentials.createInsecure();
    this.client = new Client(config.endpoint, channelCredentials, {
      ...(tls?.server_name ? { 'grpc.ssl_target_name_override': tls.server_name } : {}),
      'grpc.max_send_message_length': config.max_send_msg_size_mib * MIB,
      // grpc-js backs off reconnecting up to 120 s by default: after an outage the backend would be
      // back long before the agent looked. Reconnect on the exporter's own retry schedule instead.
      'grpc.initial_reconnect_backoff_ms': config.retry_on_failure.initial_interval,
      'grpc.max_reconnect_backoff_ms': config.retry_on_failure.max_interval,
      ...(config.compression === 'gzip' ? { 'grpc.default_compression_algorithm': GZIP } : {}),
    });
    for (const [key, value] of Object.entries(config.headers)) this.metadata.set(key, value);
    if (config.bearer_token) this.metadata.set('authorization', `Bearer ${config.bearer_token}`);
  }

  /** One Export call; resolves with the backend's partial-success answer, rejects with a SendFailure. */
  export<Req>(signal: Signal<Req>, bytes: Uint8Array, headers: ExportHeaders): Promise<Rejection> {
    const metadata = this.metadata.clone();
    if (headers.batchId !== undefined) metadata.set(BATCH_ID_HEADER, headers.batchId);
    metadata.set(AGENT_ID_HEADER, headers.agentId);
    metadata.set(WATERMARK_HEADER, String(Math.floor(headers.watermarkMs)));
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        signal.grpcMethod,
        identity,
        identity,
        Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        metadata,
        { deadline: Date.now() + this.config.timeout },
        (err: ServiceError | null, response?: Buffer) => {
          if (err) reject(toSendFailure(err, this.config.endpoint));
          else resolve(signal.decodeResponse(response ?? Buffer.alloc(0)));
        },
      );
    });
  }

  close(): void {
    this.client.close();
  }
}

function toSendFailure(err: ServiceError, endpoint: string): SendFailure {
  const code = status[err.code] ?? String(err.code);
  const message = `export to ${endpoint} failed: ${code}: ${err.details}`;
  if (err.code === status.RESOURCE_EXHAUSTED) {
    // Retried only when the server said when (RetryInfo); otherwise it refused the data itself
    // (too large), as the OTLP specification reads it.
    const [details] = err.metadata?.get('grpc-status-details-bin') ?? [];
    const delayMs = Buffer.isBuffer(details) ? retryDelayMsOf(details) : undefined;
    return new SendFailure(message, code, delayMs === undefined, delayMs);
  }
  return new SendFailure(message, code, !isRetryableGrpcCode(err.code));
}
