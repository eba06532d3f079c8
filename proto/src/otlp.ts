// The one OTLP model of rollpoint. The message types are built at start-up by protobufjs reflection
// from the .proto files in proto/opentelemetry (measured faster to decode than protobufjs's static
// code: docs/BENCHMARKS.md); their TypeScript types come from the static code generated at build
// time (`npm run generate`), which is used for types only. Every value that crosses a component
// boundary is one of the `*Request` shapes below, whether decoded from protobuf, converted from
// OTLP/JSON or built by a receiver.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { opentelemetry } from '../generated/otlp.js';

type Otlp = typeof opentelemetry.proto;

const PROTO_ROOT = fileURLToPath(new URL('../', import.meta.url));

function loadOtlp(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => `${PROTO_ROOT}${target}`;
  root.loadSync([
    'opentelemetry/proto/collector/trace/v1/trace_service.proto',
    'opentelemetry/proto/collector/logs/v1/logs_service.proto',
    'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
  ]);
  root.resolveAll();
  return root;
}

const root = loadOtlp();
const message = <T>(name: string): T => root.lookupType(name) as unknown as T;

export const ExportTraceServiceRequest = message<Otlp['collector']['trace']['v1']['ExportTraceServiceRequest']>(
  'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
);
export const ExportTraceServiceResponse = message<Otlp['collector']['trace']['v1']['ExportTraceServiceResponse']>(
  'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse',
);
export const ExportLogsServiceRequest = message<Otlp['collector']['logs']['v1']['ExportLogsServiceRequest']>(
  'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest',
);
export const ExportLogsServiceResponse = message<Otlp['collector']['logs']['v1']['ExportLogsServiceResponse']>(
  'opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse',
);
export const ExportMetricsServiceRequest = message<Otlp['collector']['metrics']['v1']['ExportMetricsServiceRequest']>(
  'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest',
);
export const ExportMetricsServiceResponse = message<Otlp['collector']['metrics']['v1']['ExportMetricsServiceResponse']>(
  'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse',
);

/** A single AnyValue, for the rare nested values the backend decodes on their own. */
export const AnyValue = message<Otlp['common']['v1']['AnyValue']>('opentelemetry.proto.common.v1.AnyValue');

export type ExportTraceServiceRequest = opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest.$Properties;
export type ExportLogsServiceRequest = opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest.$Properties;
export type ExportMetricsServiceRequest = opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest.$Properties;
export type ResourceMetrics = opentelemetry.proto.metrics.v1.ResourceMetrics.$Properties;
export type ScopeMetrics = opentelemetry.proto.metrics.v1.ScopeMetrics.$Properties;
export type Metric = opentelemetry.proto.metrics.v1.Metric.$Properties;
export type NumberDataPoint = opentelemetry.proto.metrics.v1.NumberDataPoint.$Properties;
export type HistogramDataPoint = opentelemetry.proto.metrics.v1.HistogramDataPoint.$Properties;
export type ExponentialHistogramDataPoint = opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint.$Properties;
export type SummaryDataPoint = opentelemetry.proto.metrics.v1.SummaryDataPoint.$Properties;
export type Exemplar = opentelemetry.proto.metrics.v1.Exemplar.$Properties;
export type ResourceSpans = opentelemetry.proto.trace.v1.ResourceSpans.$Properties;
export type ScopeSpans = opentelemetry.proto.trace.v1.ScopeSpans.$Properties;
export type Span = opentelemetry.proto.trace.v1.Span.$Properties;
export type SpanEvent = opentelemetry.proto.trace.v1.Span.Event.$Properties;
export type SpanLink = opentelemetry.proto.trace.v1.Span.Link.$Properties;
export type ResourceLogs = opentelemetry.proto.logs.v1.ResourceLogs.$Properties;
export type ScopeLogs = opentelemetry.proto.logs.v1.ScopeLogs.$Properties;
export type LogRecord = opentelemetry.proto.logs.v1.LogRecord.$Properties;
export type Resource = opentelemetry.proto.resource.v1.Resource.$Properties;
export type InstrumentationScope = opentelemetry.proto.common.v1.InstrumentationScope.$Properties;
export type KeyValue = opentelemetry.proto.common.v1.KeyValue.$Properties;
export type AnyValue = opentelemetry.proto.common.v1.AnyValue.$Properties;
