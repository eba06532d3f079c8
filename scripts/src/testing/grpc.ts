import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { retryDelayMsOf } from '@rollpoint/runtime';

export interface RawAnswer {
  code: status;
  details: string;
  response?: Buffer;
  /** The delay a RetryInfo in the error's status details asked for. */
  retryDelayMs?: number;
}

function errorAnswer(err: ServiceError): RawAnswer {
  const [details] = err.metadata?.get('grpc-status-details-bin') ?? [];
  const retryDelayMs = Buffer.isBuffer(details) ? retryDelayMsOf(details) : undefined;
  return { code: err.code, details: err.details, ...(retryDelayMs !== undefined ? { retryDelayMs } : {}) };
}

const identity = (bytes: Buffer): Buffer => bytes;

/** Sends `bytes` as the request of a unary OTLP Export call, whatever they are, and returns the answer. */
export function rawExport(port: number, method: string, bytes: Uint8Array, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
  return new Promise((resolve) => {
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
    client.makeUnaryRequest(method, identity, identity, Buffer.from(bytes), metadata, { deadline: Date.now() + 15000 }, (err: ServiceError | null, response?: Buffer) => {
      client.close();
      resolve(err ? errorAnswer(err) : { code: status.OK, details: '', ...(response ? { response } : {}) });
    });
  });
}
