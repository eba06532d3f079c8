import type { ServiceDefinition } from '@grpc/grpc-js';
import Long from 'long';
import { LOG_ID_PATHS, parseOtlpJson, TRACE_ID_PATHS, type IdPaths } from './otlp-json.js';
import {
  ExportLogsServiceRequest,
  ExportLogsServiceResponse,
  ExportTraceServiceRequest,
  ExportTraceServiceResponse,
  type Resource,
} from './otlp.js';
import { rejectInvalidLogRecords, rejectInvalidSpans, type Rejection } from './validate.js';

export type SignalName = 'traces' | 'logs' | 'metrics';

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
  /** Two requests holding the first and second half of the records; undefined for fewer than two. */
  halve(request: Req): [Req, Req] | undefined;
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


/** protobufjs's API of one request or response message type. */
interface MessageType {
  decode(bytes: Uint8Array): object;
  encode(message: object): { finish(): Uint8Array };
  fromObject(object: Record<string, unknown>): object;
}

/** What differs between the signals; `defineSignal` derives the rest. */
interface SignalShape {
  name: SignalName;
  records: string;
  httpPath: string;
  grpcMethod: string;
  request: MessageType;
  response: MessageType;
  idPaths: IdPaths;
  /** The field names of the request's nesting: resourceSpans -> scopeSpans -> spans. */
  groups: string;
  scopes: string;
  items: string;
  rejectInvalid(request: never): Rejection;
  /** The count field of the partial-success message: rejectedSpans, rejectedLogRecords. */
  rejectedField: string;
}

type Group = { resource?: Resource | null };
type PartialSuccess = { partialSuccess?: ({ errorMessage?: string | null } & Record<string, Long | string | null | undefined>) | null };

type Nested = Record<string, unknown>;

function defineSignal<Req>(shape: SignalShape): Signal<Req> {
  const list = <T>(parent: unknown, field: string): T[] => ((parent as Record<string, T[] | null | undefined>)[field] ?? []);
  const groupsOf = (request: Req): Group[] => list<Group>(request, shape.groups);
  const countRecords = (request: Req): number =>
    groupsOf(request).reduce((n, group) => n + list<Nested>(group, shape.scopes).reduce((m, scope) => m + list(scope, shape.items).length, 0), 0);
  const wrap = (groups: Group[]): Req => ({ [shape.groups]: groups }) as Req;
  // Splits at the middle record, copying the resource and scope around each part.
  const halve = (request: Req): [Req, Req] | undefined => {
    let budget = Math.floor(countRecords(request) / 2);
    if (budget === 0) return undefined;
    const first: Group[] = [];
    const second: Group[] = [];
    for (const group of groupsOf(request)) {
      const [a, b]: Nested[][] = [[], []];
      for (const scope of list<Nested>(group, shape.scopes)) {
        const items = list(scope, shape.items);
        const take = Math.min(budget, items.length);
        budget -= take;
        if (take > 0) a.push({ ...scope, [shape.items]: items.slice(0, take) });
        if (take < items.length) b.push({ ...scope, [shape.items]: items.slice(take) });
      }
      if (a.length > 0) first.push({ ...group, [shape.scopes]: a });
      if (b.length > 0) second.push({ ...group, [shape.scopes]: b });
    }
    return [wrap(first), wrap(second)];
  };
  const partial = ({ rejected, errorMessage }: Rejection, count: Long | string) =>
    rejected > 0 ? { partialSuccess: { [shape.rejectedField]: count, errorMessage } } : {};
  return {
    name: shape.name,
    records: shape.records,
    httpPath: shape.httpPath,
    grpcMethod: shape.grpcMethod,
    decode: (bytes) => shape.request.decode(bytes) as Req,
    encode: (request) => shape.request.encode(request as object).finish(),
    fromJson: (text) => shape.request.fromObject(parseOtlpJson(text, shape.idPaths)) as Req,
    resources: (request) => groupsOf(request).map(ensureResource),
    merge: (requests) => wrap(requests.flatMap(groupsOf)),
    countRecords,
    halve,
    rejectInvalid: (request) => shape.rejectInvalid(request as never),
    encodeResponse: (rejection) => shape.response.encode(partial(rejection, Long.fromNumber(rejection.rejected))).finish(),
    decodeResponse: (bytes) => {
      const answer = (shape.response.decode(bytes) as PartialSuccess).partialSuccess;
      const count = answer?.[shape.rejectedField];
      return { rejected: count ? Long.fromValue(count).toNumber() : 0, errorMessage: answer?.errorMessage ?? '' };
    },
    responseJson: (rejection) => partial(rejection, String(rejection.rejected)),
  };
}

export const traces: Signal<ExportTraceServiceRequest> = defineSignal({
  name: 'traces',
  records: 'spans',
  httpPath: '/v1/traces',
  grpcMethod: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  request: ExportTraceServiceRequest,
  response: ExportTraceServiceResponse,
  idPaths: TRACE_ID_PATHS,
  groups: 'resourceSpans',
  scopes: 'scopeSpans',
  items: 'spans',
  rejectInvalid: rejectInvalidSpans,
  rejectedField: 'rejectedSpans',
});

export const logs: Signal<ExportLogsServiceRequest> = defineSignal({
  name: 'logs',
  records: 'log records',
  httpPath: '/v1/logs',
  grpcMethod: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  request: ExportLogsServiceRequest,
  response: ExportLogsServiceResponse,
  idPaths: LOG_ID_PATHS,
  groups: 'resourceLogs',
  scopes: 'scopeLogs',
  items: 'logRecords',
  rejectInvalid: rejectInvalidLogRecords,
  rejectedField: 'rejectedLogRecords',
});

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
