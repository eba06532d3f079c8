export {
  AnyValue,
  ExportLogsServiceRequest,
  ExportLogsServiceResponse,
  ExportMetricsServiceRequest,
  ExportMetricsServiceResponse,
  ExportTraceServiceRequest,
  ExportTraceServiceResponse,
} from './otlp.js';
export type {
  Exemplar,
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  InstrumentationScope,
  KeyValue,
  LogRecord,
  Metric,
  NumberDataPoint,
  ResourceMetrics,
  ScopeMetrics,
  SummaryDataPoint,
  Resource,
  ResourceLogs,
  ResourceSpans,
  ScopeLogs,
  ScopeSpans,
  Span,
  SpanEvent,
  SpanLink,
} from './otlp.js';
export { anyValueCase, scalarAnyValueText, setAttribute } from './attributes.js';
export type { AnyValueCase } from './attributes.js';
export { hexToId, idToHex } from './ids.js';
export { logs, metrics, rawExportService, traces } from './signals.js';
export { encodeLogsRequest } from './logs-encoder.js';
export type { Signal, SignalName } from './signals.js';
export { idProblem, rejection, severityProblem } from './validate.js';
export type { Rejection } from './validate.js';
export { ATTR_ROLLPOINT_AGENT_ID, ATTR_ROLLPOINT_DEVICE, ATTR_ROLLPOINT_EVENT_KIND, ATTR_ROLLPOINT_PARSE_ERROR, ATTR_ROLLPOINT_RAW, ATTR_ROLLPOINT_SYSLOG_FORMAT, ATTR_ROLLPOINT_TIME_ERROR, ATTR_ROLLPOINT_TRUNCATED, DEVICE_EVENT_KINDS, DEVICE_SCOPES, SCOPE_JOURNALD, SCOPE_SNMPTRAP, SCOPE_SYSLOG, type DeviceEventKind } from './semantic-conventions.js';
