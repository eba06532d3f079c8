import { durationMs, endpoint } from '@rollpoint/proto';
import { z } from 'zod';

export const otlpExporterConfigSchema = z.preprocess(
  (value) => value ?? {},
  z.strictObject({
    /** The backend's OTLP/gRPC endpoint. */
    endpoint: endpoint.default('127.0.0.1:14317'),
    /** gzip (default) or none. */
    compression: z.enum(['gzip', 'none']).default('gzip'),
    /** Deadline of one Export call. */
    timeout: durationMs.default(10000),
    /** Extra gRPC metadata sent with every call. */
    headers: z.record(z.string(), z.string()).default({}),
    /** TLS to the backend: the CA to verify it with, and this agent's certificate for mutual TLS. Absent: plaintext. */
    tls: z
      .strictObject({
        ca_file: z.string().min(1).optional(),
        cert_file: z.string().min(1).optional(),
        key_file: z.string().min(1).optional(),
        /** The name the backend's certificate must carry, when it is not the endpoint's host. */
        server_name: z.string().min(1).optional(),
      })
      .refine((t) => (t.cert_file === undefined) === (t.key_file === undefined), 'cert_file and key_file go together')
      .optional(),
    /** This agent's token for the backend (its otlp.grpc.bearer_tokens), sent as "authorization: Bearer <token>". */
    bearer_token: z.string().min(1).optional(),
    /** Largest request the exporter sends; a larger batch is sent in halves. */
    max_send_msg_size_mib: z.number().positive().max(2047).default(16),
  }),
);

export type OtlpExporterConfig = z.output<typeof otlpExporterConfigSchema>;
