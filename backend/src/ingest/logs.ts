import { idToHex, type ExportLogsServiceRequest } from '@rollpoint/proto';
import Long from 'long';
import type { Row } from '../store/store.js';
import { anyValueToString, attributesToMap, isZeroTime, unixNanos, serviceName } from './values.js';

const TRACE_FLAGS_MASK = 0xff;

/**
 * One otel_logs row per log record. Timestamp is the event time, else the observed time (as the
 * Collector's exporter does), else the time the backend received it: a record stamped 1970 would be
 * dropped by TTL at once and would never line up with the windows it belongs to.
 */
export function logRows(request: ExportLogsServiceRequest, receivedAtNanos: Long): Row[] {
  const rows: Row[] = [];
  for (const resourceLogs of request.resourceLogs ?? []) {
    const resourceAttributes = resourceLogs.resource?.attributes;
    const ServiceName = serviceName(resourceAttributes);
    const ResourceSchemaUrl = resourceLogs.schemaUrl ?? '';
    const ResourceAttributes = attributesToMap(resourceAttributes);
    for (const scopeLogs of resourceLogs.scopeLogs ?? []) {
      const ScopeSchemaUrl = scopeLogs.schemaUrl ?? '';
      const ScopeName = scopeLogs.scope?.name ?? '';
      const ScopeVersion = scopeLogs.scope?.version ?? '';
      const ScopeAttributes = attributesToMap(scopeLogs.scope?.attributes);
      for (const record of scopeLogs.logRecords ?? []) {
        const time = [record.timeUnixNano, record.observedTimeUnixNano].find((t) => !isZeroTime(t)) ?? receivedAtNanos;
        rows.push({
          Timestamp: unixNanos(time),
          TraceId: idToHex(record.traceId),
          SpanId: idToHex(record.spanId),
          TraceFlags: (record.flags ?? 0) & TRACE_FLAGS_MASK,
          SeverityText: record.severityText ?? '',
          SeverityNumber: record.severityNumber ?? 0,
          ServiceName,
          Body: anyValueToString(record.body),
          ResourceSchemaUrl,
          ResourceAttributes,
          ScopeSchemaUrl,
          ScopeName,
          ScopeVersion,
          ScopeAttributes,
          LogAttributes: attributesToMap(record.attributes),
          EventName: record.eventName ?? '',
        });
      }
    }
  }
  return rows;
}
