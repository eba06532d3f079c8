// The one OTLP model of rollpoint: the protobufjs classes generated from proto/opentelemetry,
// re-exported under short names. Every value that crosses a component boundary is one of the
// `*Request` shapes below, whether it was decoded from protobuf, converted from OTLP/JSON or
// built by a receiver.
import { opentelemetry } from '../generated/otlp.js';

const otlp = opentelemetry.proto;

export const ExportTraceServiceRequest = otlp.collector.trace.v1.ExportTraceServiceRequest;
export const ExportTraceServiceResponse = otlp.collector.trace.v1.ExportTraceServiceResponse;
export const ExportLogsServiceRequest = otlp.collector.logs.v1.ExportLogsServiceRequest;
export const ExportLogsServiceResponse = otlp.collector.logs.v1.ExportLogsServiceResponse;
export const ExportMetricsServiceRequest = otlp.collector.metrics.v1.ExportMetricsServiceRequest;
export const ExportMetricsServiceResponse = otlp.collector.metrics.v1.ExportMetricsServiceResponse;
export const SpanKind = otlp.trace.v1.Span.SpanKind;
export const StatusCode = otlp.trace.v1.Status.StatusCode;
export const SeverityNumber = otlp.logs.v1.SeverityNumber;

export type ExportTraceServiceRequest = opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest.$Properties;
export type ExportTraceServiceResponse = opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse.$Properties;
export type ExportLogsServiceRequest = opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest.$Properties;
export type ExportLogsServiceResponse = opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse.$Properties;
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
