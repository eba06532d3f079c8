import type { ServiceDefinition } from '@grpc/grpc-js';
import Long from 'long';
import { LOG_ID_PATHS, parseOtlpJson, TRACE_ID_PATHS } from './otlp-json.js';
import {
  ExportLogsServiceRequest,
  ExportLogsServiceResponse,
  ExportTraceServiceRequest,
  ExportTraceServiceResponse,
  type Resource,
} from './otlp.js';
import { rejectInvalidLogRecords, rejectInvalidSpans, type Rejection } from './validate.js';

export type SignalName = 'traces' | 'logs';

/**
 * Everything signal-specific that generic code (receivers, processors, exporters, the backend's
 * export handler) needs, so that each of those is written once for both traces and logs.
 */
export interface Signal<Req> {
  readonly name: SignalName;
  /** What one record is called in messages and metrics: "spans", "log records". */
  readonly records: string;
  /** The OTLP/HTTP path, e.g. /v1/traces. */
  readonly httpPath: string;
  /** The full gRPC method name of the collector service's Export. */
  readonly grpcMethod: string;
  /** Decodes protobuf; throws on truncated input and, for proto3 string fields, on invalid UTF-8. */
  decode(bytes: Uint8Array): Req;
  encode(request: Req): Uint8Array;
  fromJson(text: string): Req;
  /** The resource of each resource group (created when missing, so processors can add to it). */
  resources(request: Req): Resource[];
  /** One request holding the resource groups of all `requests`, in order. */
  merge(requests: readonly Req[]): Req;
  countRecords(request: Req): number;
  /** Removes malformed records in place and reports them. */
  rejectInvalid(request: Req): Rejection;
  encodeResponse(rejection: Rejection): Uint8Array;
  decodeResponse(bytes: Uint8Array): Rejection;
  /** The OTLP/JSON form of a response. */
  responseJson(rejection: Rejection): Record<string, unknown>;
}

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function ensureResource(group: { resource?: Resource | null }): Resource {
  group.resource ??= { attributes: [] };
  group.resource.attributes ??= [];
  return group.resource;
}


export const traces: Signal<ExportTraceServiceRequest> = {
  name: 'traces',
  records: 'spans',
  httpPath: '/v1/traces',
  grpcMethod: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  decode: (bytes) => ExportTraceServiceRequest.decode(bytes),
  encode: (request) => ExportTraceServiceRequest.encode(request).finish(),
  fromJson: (text) => ExportTraceServiceRequest.fromObject(parseOtlpJson(text, TRACE_ID_PATHS)),
  resources: (request) => (request.resourceSpans ?? []).map(ensureResource),
  merge: (requests) => ({ resourceSpans: requests.flatMap((r) => r.resourceSpans ?? []) }),
  countRecords: (request) =>
    (request.resourceSpans ?? []).reduce((n, rs) => n + (rs.scopeSpans ?? []).reduce((m, ss) => m + (ss.spans?.length ?? 0), 0), 0),
  rejectInvalid: rejectInvalidSpans,
  encodeResponse: ({ rejected, errorMessage }) =>
    ExportTraceServiceResponse.encode(rejected > 0 ? { partialSuccess: { rejectedSpans: Long.fromNumber(rejected), errorMessage } } : {}).finish(),
  decodeResponse: (bytes) => {
    const partial = ExportTraceServiceResponse.decode(bytes).partialSuccess;
    return { rejected: partial?.rejectedSpans?.toNumber() ?? 0, errorMessage: partial?.errorMessage ?? '' };
  },
  responseJson: ({ rejected, errorMessage }) =>
    rejected > 0 ? { partialSuccess: { rejectedSpans: String(rejected), errorMessage } } : {},
};

export const logs: Signal<ExportLogsServiceRequest> = {
  name: 'logs',
  records: 'log records',
  httpPath: '/v1/logs',
  grpcMethod: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  decode: (bytes) => ExportLogsServiceRequest.decode(bytes),
  encode: (request) => ExportLogsServiceRequest.encode(request).finish(),
  fromJson: (text) => ExportLogsServiceRequest.fromObject(parseOtlpJson(text, LOG_ID_PATHS)),
  resources: (request) => (request.resourceLogs ?? []).map(ensureResource),
  merge: (requests) => ({ resourceLogs: requests.flatMap((r) => r.resourceLogs ?? []) }),
  countRecords: (request) =>
    (request.resourceLogs ?? []).reduce((n, rl) => n + (rl.scopeLogs ?? []).reduce((m, sl) => m + (sl.logRecords?.length ?? 0), 0), 0),
  rejectInvalid: rejectInvalidLogRecords,
  encodeResponse: ({ rejected, errorMessage }) =>
    ExportLogsServiceResponse.encode(rejected > 0 ? { partialSuccess: { rejectedLogRecords: Long.fromNumber(rejected), errorMessage } } : {}).finish(),
  decodeResponse: (bytes) => {
    const partial = ExportLogsServiceResponse.decode(bytes).partialSuccess;
    return { rejected: partial?.rejectedLogRecords?.toNumber() ?? 0, errorMessage: partial?.errorMessage ?? '' };
  },
  responseJson: ({ rejected, errorMessage }) =>
    rejected > 0 ? { partialSuccess: { rejectedLogRecords: String(rejected), errorMessage } } : {},
};

export const METRICS_GRPC_METHOD = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

/**
 * A gRPC service with one unary Export method whose request and response stay raw bytes: the
 * handler decodes them itself, so that undecodable input becomes INVALID_ARGUMENT (grpc-js would
 * answer INTERNAL for a failing deserializer) and is counted.
 */
export function rawExportService(grpcMethod: string): ServiceDefinition {
  return {
    Export: {
      path: grpcMethod,
      requestStream: false,
      responseStream: false,
      requestSerialize: asBuffer,
      requestDeserialize: (bytes: Buffer) => bytes,
      responseSerialize: asBuffer,
      responseDeserialize: (bytes: Buffer) => bytes,
      originalName: 'export',
    },
  };
}
