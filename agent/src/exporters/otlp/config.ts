import { backoffSettingsSchema, durationMs, endpoint } from '@rollpoint/runtime';
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
    /** The disk queue every batch is written to before its sender is acknowledged. */
    sending_queue: z
      .strictObject({
        /** Default: <agent.data_dir>/queue/<exporter id>. */
        directory: z.string().min(1).optional(),
        /** Disk the queue may take; when full, senders are pushed back (see the docs). */
        max_size_mib: z.number().positive().default(1024),
        /** fsync (the safe default), batch (fsync every sync_interval) or none. */
        durability: z.enum(['fsync', 'batch', 'none']).default('fsync'),
        sync_interval: durationMs.default(1000),
        /** Queued bytes also kept in memory, so sending need not read them back. */
        memory_mib: z.number().nonnegative().default(64),
        /** Batches sent at once. */
        num_consumers: z.number().int().positive().max(64).default(4),
        /** On shutdown, how long to keep sending before leaving the rest on disk for the next start. */
        drain_timeout: durationMs.default(5000),
      })
      .prefault({}),
    /** Retries of retryable failures: exponential backoff with jitter, for as long as it takes. */
    retry_on_failure: backoffSettingsSchema({ initial_interval: 1000, max_interval: 30000, multiplier: 1.5, randomization_factor: 0.5 }).prefault({}),
    /** Where batches the backend refused for good are written, with the reason. Default: <agent.data_dir>/dead-letter/<exporter id>. */
    dead_letter_directory: z.string().min(1).optional(),
    /** With nothing to send for this long, an empty export carries the agent's heartbeat and watermark. */
    heartbeat_interval: durationMs.default(5000),
  }),
);

export type OtlpExporterConfig = z.output<typeof otlpExporterConfigSchema>;
