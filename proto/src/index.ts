export { AnyValue, ExportLogsServiceRequest, ExportLogsServiceResponse, ExportTraceServiceRequest, ExportTraceServiceResponse } from './otlp.js';
export type {
  InstrumentationScope,
  KeyValue,
  LogRecord,
  Resource,
  ResourceLogs,
  ResourceSpans,
  ScopeLogs,
  ScopeSpans,
  Span,
  SpanEvent,
  SpanLink,
} from './otlp.js';
export { anyValueCase, setAttribute } from './attributes.js';
export type { AnyValueCase } from './attributes.js';
export { ConfigError, configProblems, describeIssues, durationMs, endpoint, parseConfig, readYamlFile, splitEndpoint } from './config-file.js';
export { hexToId, idToHex } from './ids.js';
export { logs, METRICS_GRPC_METHOD, rawExportService, traces } from './signals.js';
export { encodeLogsRequest } from './logs-encoder.js';
export type { Signal, SignalName } from './signals.js';
export { idProblem, rejection, severityProblem } from './validate.js';
export type { Rejection } from './validate.js';
export { acceptExport, startOtlpGrpcServer, stopGrpcServer } from './grpc-server.js';
export type { Accepted, Consume, ConsumeEncoded, ExportObserver, OtlpGrpcServerOptions, ServerTls } from './grpc-server.js';
export { runService, runUntilSignalled } from './run-until-signalled.js';
export type { LifecycleLogger, ServiceProgram } from './run-until-signalled.js';
export { encodeRpcStatus, retryDelayMsOf } from './rpc-status.js';
export { isPermanent, isRetryableGrpcCode, PermanentError, RetryLaterError, UndecodableError } from './errors.js';
export { AGENT_ID_HEADER, BATCH_ID_HEADER, exportMetaFrom, WATERMARK_HEADER } from './export-meta.js';
export type { ExportMeta } from './export-meta.js';
export { createBearerTokenCheck } from './bearer-tokens.js';
export { backoffDelayMs, backoffSettingsSchema } from './backoff.js';
export type { BackoffSettings } from './backoff.js';
export { ATTR_ROLLPOINT_AGENT_ID, ATTR_ROLLPOINT_EVENT_KIND, ATTR_ROLLPOINT_PARSE_ERROR, ATTR_ROLLPOINT_RAW, ATTR_ROLLPOINT_SYSLOG_FORMAT, ATTR_ROLLPOINT_TIME_ERROR, ATTR_ROLLPOINT_TRUNCATED, DEVICE_EVENT_KINDS, DEVICE_SCOPES, SCOPE_SNMPTRAP, SCOPE_SYSLOG, type DeviceEventKind } from './semantic-conventions.js';
