import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';

export interface RawAnswer {
  code: status;
  details: string;
  response?: Buffer;
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
      resolve(err ? { code: err.code, details: err.details } : { code: status.OK, details: '', ...(response ? { response } : {}) });
    });
  });
}
