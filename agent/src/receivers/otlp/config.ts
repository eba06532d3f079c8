import { endpoint } from '@rollpoint/runtime';
import { z } from 'zod';

// A protocol written as a bare key (`grpc:` with nothing under it) is on with its defaults.
const nullAsEmpty = (value: unknown) => (value === null ? {} : value);

const grpcProtocol = z.preprocess(
  nullAsEmpty,
  z.strictObject({
    /** Where OTLP/gRPC is served. */
    endpoint: endpoint.default('127.0.0.1:4317'),
    /** Largest request accepted, after decompression. */
    max_recv_msg_size_mib: z.number().positive().max(2047).default(16),
  }),
);

const httpProtocol = z.preprocess(
  nullAsEmpty,
  z.strictObject({
    /** Where OTLP/HTTP (protobuf and JSON, POST /v1/traces, /v1/logs and /v1/metrics) is served. */
    endpoint: endpoint.default('127.0.0.1:4318'),
    /** Largest request body accepted, after decompression. */
    max_request_body_size_mib: z.number().positive().max(1024).default(16),
  }),
);

export const otlpReceiverConfigSchema = z.preprocess(
  nullAsEmpty,
  z.strictObject({
    /** The protocols to serve; a protocol left out is off. Default: both. */
    protocols: z
      .strictObject({ grpc: grpcProtocol.optional(), http: httpProtocol.optional() })
      .default({ grpc: grpcProtocol.parse({}), http: httpProtocol.parse({}) })
      .refine((p) => p.grpc !== undefined || p.http !== undefined, 'at least one of grpc and http is needed'),
  }),
);

export type OtlpReceiverConfig = z.output<typeof otlpReceiverConfigSchema>;
