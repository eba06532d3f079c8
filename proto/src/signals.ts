import type { ServiceDefinition } from '@grpc/grpc-js';
import Long from 'long';
import { LOG_ID_PATHS, METRIC_ID_PATHS, parseOtlpJson, TRACE_ID_PATHS, type IdPaths } from './otlp-json.js';
import {
  ExportLogsServiceRequest,
  ExportLogsServiceResponse,
  ExportMetricsServiceRequest,
  ExportMetricsServiceResponse,
  ExportTraceServiceRequest,
  ExportTraceServiceResponse,
  type Resource,
} from './otlp.js';
import { rejectInvalidDataPoints, rejectInvalidLogRecords, rejectInvalidSpans, type Rejection } from './validate.js';

export type SignalName = 'traces' | 'logs' | 'metrics';

/**
 * Everything signal-specific that generic code (receivers, processors, exporters, the backend's
 * export handler) needs, so that each of those is written once for traces, logs and metrics.
 */
export interface Signal<Req> {
  readonly name: SignalName;
  /** What one record is called in messages and metrics: "spans", "log records", "data points". */
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
  /** Records as the Collector counts them: spans, log records, data points (not metrics). */
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
  /** The request's nesting down to its records, the resource groups first: resourceSpans -> scopeSpans -> spans. */
  nesting: readonly [{ list: string }, ...Level[]];
  rejectInvalid(request: never): Rejection;
  /** The count field of the partial-success message: rejectedSpans, rejectedLogRecords, rejectedDataPoints. */
  rejectedField: string;
}

/**
 * One level of a request's nesting: a repeated field, or a oneof of message fields of which one
 * is set (a metric's gauge, sum, histogram…, each holding the data points).
 */
type Level = { list: string } | { oneOf: readonly string[] };

type Group = { resource?: Resource | null };
type PartialSuccess = { partialSuccess?: ({ errorMessage?: string | null } & Record<string, Long | string | null | undefined>) | null };

type Nested = Record<string, unknown>;

const list = <T>(parent: unknown, field: string): T[] => ((parent as Record<string, T[] | null | undefined>)[field] ?? []);
/** The field of `node` that `level` leads through; undefined for a oneof with none set. */
const fieldAt = (level: Level, node: Nested): string | undefined =>
  'list' in level ? level.list : level.oneOf.find((field) => node[field] !== undefined && node[field] !== null);

/** The records under `node`, which sits above `levels`; a node with no levels below it is one record. */
function countUnder(node: Nested, levels: readonly Level[]): number {
  const [level, ...rest] = levels;
  if (!level) return 1;
  const field = fieldAt(level, node);
  if (field === undefined) return 0;
  if ('oneOf' in level) return countUnder(node[field] as Nested, rest);
  return list<Nested>(node, field).reduce((n, child) => n + countUnder(child, rest), 0);
}

/**
 * `node` as two nodes, the first holding the first `budget.left` records (which it uses up), each
 * with copies of the enclosing messages (resource, scope, metric…) around its records; undefined
 * for a part that would hold nothing.
 */
function splitUnder(node: Nested, levels: readonly Level[], budget: { left: number }): [Nested | undefined, Nested | undefined] {
  const [level, ...rest] = levels;
  const whole = countUnder(node, levels);
  if (whole <= budget.left) {
    budget.left -= whole;
    return [node, undefined];
  }
  if (budget.left === 0) return [undefined, node];
  // Here the node holds more records than are left in the budget, so it has a level below it.
  const field = fieldAt(level!, node)!;
  if ('oneOf' in level!) {
    const [a, b] = splitUnder(node[field] as Nested, rest, budget);
    return [a && { ...node, [field]: a }, b && { ...node, [field]: b }];
  }
  const [a, b]: Nested[][] = [[], []];
  for (const child of list<Nested>(node, field)) {
    const [x, y] = splitUnder(child, rest, budget);
    if (x) a.push(x);
    if (y) b.push(y);
  }
  return [a.length > 0 ? { ...node, [field]: a } : undefined, b.length > 0 ? { ...node, [field]: b } : undefined];
}

function defineSignal<Req>(shape: SignalShape): Signal<Req> {
  const groupsField = shape.nesting[0].list;
  const groupsOf = (request: Req): Group[] => list<Group>(request, groupsField);
  const countRecords = (request: Req): number => countUnder(request as Nested, shape.nesting);
  const wrap = (groups: Group[]): Req => ({ [groupsField]: groups }) as Req;
  // Splits at the middle record, copying the messages around each part.
  const halve = (request: Req): [Req, Req] | undefined => {
    const budget = { left: Math.floor(countRecords(request) / 2) };
    if (budget.left === 0) return undefined;
    const [first, second] = splitUnder(request as Nested, shape.nesting, budget);
    return [wrap(list(first, groupsField)), wrap(list(second, groupsField))];
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
  nesting: [{ list: 'resourceSpans' }, { list: 'scopeSpans' }, { list: 'spans' }],
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
  nesting: [{ list: 'resourceLogs' }, { list: 'scopeLogs' }, { list: 'logRecords' }],
  rejectInvalid: rejectInvalidLogRecords,
  rejectedField: 'rejectedLogRecords',
});

/** The oneof of a metric's data, each holding its data points. */
const METRIC_DATA_FIELDS = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;

export const metrics: Signal<ExportMetricsServiceRequest> = defineSignal({
  name: 'metrics',
  records: 'data points',
  httpPath: '/v1/metrics',
  grpcMethod: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  request: ExportMetricsServiceRequest,
  response: ExportMetricsServiceResponse,
  idPaths: METRIC_ID_PATHS,
  nesting: [{ list: 'resourceMetrics' }, { list: 'scopeMetrics' }, { list: 'metrics' }, { oneOf: METRIC_DATA_FIELDS }, { list: 'dataPoints' }],
  rejectInvalid: rejectInvalidDataPoints,
  rejectedField: 'rejectedDataPoints',
});

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
