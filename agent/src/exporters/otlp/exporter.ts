import { readFileSync } from 'node:fs';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { isRetryableGrpcCode, PermanentError, type Consume, type Signal } from '@rollpoint/proto';
import type { ComponentContext, Exporter } from '../../component.js';
import type { OtlpExporterConfig } from './config.js';

const MIB = 1024 * 1024;
// grpc-js's numbering of compression algorithms.
const GZIP = 2;
const identity = (bytes: Buffer): Buffer => bytes;

/** Ships OTLP requests to the backend over gRPC, one Export call per request. */
export class OtlpGrpcExporter implements Exporter {
  private readonly client: Client;
  private readonly metadata = new Metadata();

  constructor(
    private readonly config: OtlpExporterConfig,
    private readonly context: ComponentContext,
  ) {
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
      ...(config.compression === 'gzip' ? { 'grpc.default_compression_algorithm': GZIP } : {}),
    });
    for (const [key, value] of Object.entries(config.headers)) this.metadata.set(key, value);
    if (config.bearer_token) this.metadata.set('authorization', `Bearer ${config.bearer_token}`);
  }

  consumer<Req>(signal: Signal<Req>): Consume<Req> {
    return (request) => this.send(signal, request);
  }

  /** Sends one request; one larger than max_send_msg_size_mib goes as halves, recursively. */
  private async send<Req>(signal: Signal<Req>, request: Req): Promise<void> {
    const bytes = Buffer.from(signal.encode(request));
    if (bytes.length <= this.config.max_send_msg_size_mib * MIB) return this.call(signal, request, bytes);
    const halves = signal.halve(request);
    if (!halves) throw new PermanentError(`one of the ${signal.records} is ${bytes.length} bytes, over max_send_msg_size_mib (${this.config.max_send_msg_size_mib})`);
    for (const half of halves) await this.send(signal, half);
  }

  private call<Req>(signal: Signal<Req>, request: Req, bytes: Buffer): Promise<void> {
    const { id, metrics, logger } = this.context;
    const records = signal.countRecords(request);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        signal.grpcMethod,
        identity,
        identity,
        bytes,
        this.metadata,
        { deadline: Date.now() + this.config.timeout },
        (err: ServiceError | null, response?: Buffer) => {
          if (err) {
            metrics.failedRecords.inc({ exporter: id, signal: signal.name, code: status[err.code] ?? String(err.code) }, records);
            const message = `export to ${this.config.endpoint} failed: ${status[err.code]}: ${err.details}`;
            reject(isRetryableGrpcCode(err.code) ? new Error(message) : new PermanentError(message));
            return;
          }
          const rejection = signal.decodeResponse(response ?? Buffer.alloc(0));
          // Partial success is final: the backend keeps the rest and says why it refused some.
          if (rejection.rejected > 0) {
            metrics.partialRejections.inc({ exporter: id, signal: signal.name }, rejection.rejected);
            logger.warn({ exporter: id, signal: signal.name, rejected: rejection.rejected, reason: rejection.errorMessage }, 'backend refused records');
          }
          metrics.sentRecords.inc({ exporter: id, signal: signal.name }, records - rejection.rejected);
          resolve();
        },
      );
    });
  }

  async start(): Promise<void> {}

  async shutdown(): Promise<void> {
    this.client.close();
  }
}
