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
    /** This agent's token for the backend (its otlp.grpc.bearer_tokens), sent as "authorization: Bearer <token>". */
    bearer_token: z.string().min(1).optional(),
    /** Largest request the exporter sends; a larger batch is sent in halves. */
    max_send_msg_size_mib: z.number().positive().max(2047).default(16),
  }),
);

export type OtlpExporterConfig = z.output<typeof otlpExporterConfigSchema>;
