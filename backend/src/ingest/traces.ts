import { idToHex, type ExportTraceServiceRequest } from '@rollpoint/proto';
import type { Row } from '../store/store.js';
import { attributesToMap, durationNanos, unixNanos, serviceName } from './values.js';

// The names the Collector's exporter writes for SpanKind and StatusCode (pdata's String()).
const SPAN_KINDS = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
const STATUS_CODES = ['Unset', 'Ok', 'Error'];

/** One otel_traces row per span. */
export function traceRows(request: ExportTraceServiceRequest): Row[] {
  const rows: Row[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resourceAttributes = resourceSpans.resource?.attributes;
    const ServiceName = serviceName(resourceAttributes);
    const ResourceAttributes = attributesToMap(resourceAttributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      const ScopeName = scopeSpans.scope?.name ?? '';
      const ScopeVersion = scopeSpans.scope?.version ?? '';
      for (const span of scopeSpans.spans ?? []) {
        const events = span.events ?? [];
        const links = span.links ?? [];
        rows.push({
          Timestamp: unixNanos(span.startTimeUnixNano),
          TraceId: idToHex(span.traceId),
          SpanId: idToHex(span.spanId),
          ParentSpanId: idToHex(span.parentSpanId),
          TraceState: span.traceState ?? '',
          SpanName: span.name ?? '',
          SpanKind: SPAN_KINDS[span.kind ?? 0] ?? 'Unspecified',
          ServiceName,
          ResourceAttributes,
          ScopeName,
          ScopeVersion,
          SpanAttributes: attributesToMap(span.attributes),
          Duration: durationNanos(span.startTimeUnixNano, span.endTimeUnixNano),
          StatusCode: STATUS_CODES[span.status?.code ?? 0] ?? 'Unset',
          StatusMessage: span.status?.message ?? '',
          'Events.Timestamp': events.map((e) => unixNanos(e.timeUnixNano)),
          'Events.Name': events.map((e) => e.name ?? ''),
          'Events.Attributes': events.map((e) => attributesToMap(e.attributes)),
          'Links.TraceId': links.map((l) => idToHex(l.traceId)),
          'Links.SpanId': links.map((l) => idToHex(l.spanId)),
          'Links.TraceState': links.map((l) => l.traceState ?? ''),
          'Links.Attributes': links.map((l) => attributesToMap(l.attributes)),
        });
      }
    }
  }
  return rows;
}
