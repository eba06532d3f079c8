import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';

export interface RawAnswer {
  code: status;
  details: string;
  response?: Buffer;
}

const identity = (bytes: Buffer): Buffer => bytes;

/** Sends `bytes` as the request of a unary OTLP Export call, whatever they are, and returns the answer. */
export function rawExport(port: number, method: string, bytes: Uint8Array): Promise<RawAnswer> {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure(), { 'grpc.max_send_message_length': -1 });
  return new Promise((resolve) => {
    client.makeUnaryRequest(method, identity, identity, Buffer.from(bytes), new Metadata(), { deadline: Date.now() + 15000 }, (err: ServiceError | null, response?: Buffer) => {
      client.close();
      resolve(err ? { code: err.code, details: err.details } : { code: status.OK, details: '', ...(response ? { response } : {}) });
    });
  });
}
