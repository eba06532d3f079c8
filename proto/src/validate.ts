import type { ExportLogsServiceRequest, ExportTraceServiceRequest, LogRecord, Span } from './otlp.js';

/** What a receiver refused of a request, reported back to the sender as OTLP partial success. */
export interface Rejection {
  rejected: number;
  errorMessage: string;
}

export const NOTHING_REJECTED: Rejection = { rejected: 0, errorMessage: '' };

const size = (id: Uint8Array | null | undefined): number => id?.length ?? 0;
const allZero = (id: Uint8Array | null | undefined): boolean => !!id && id.every((b) => b === 0);

function requiredId(id: Uint8Array | null | undefined, field: string, bytes: number): string | undefined {
  if (size(id) !== bytes) return `${field} must be ${bytes} bytes, got ${size(id)}`;
  if (allZero(id)) return `${field} must not be all zeros`;
  return undefined;
}

function optionalId(id: Uint8Array | null | undefined, field: string, bytes: number): string | undefined {
  return size(id) === 0 ? undefined : requiredId(id, field, bytes);
}

function spanProblem(span: Span): string | undefined {
  return (
    requiredId(span.traceId, 'trace_id', 16) ??
    requiredId(span.spanId, 'span_id', 8) ??
    optionalId(span.parentSpanId, 'parent_span_id', 8) ??
    span.links?.map((l) => requiredId(l.traceId, 'link trace_id', 16) ?? requiredId(l.spanId, 'link span_id', 8)).find(Boolean)
  );
}

const MAX_SEVERITY_NUMBER = 24;

function logRecordProblem(record: LogRecord): string | undefined {
  const severity = record.severityNumber ?? 0;
  if (severity < 0 || severity > MAX_SEVERITY_NUMBER) return `severity_number must be 0 to 24, got ${severity}`;
  return optionalId(record.traceId, 'trace_id', 16) ?? optionalId(record.spanId, 'span_id', 8);
}

/** Removes, in place, every record `problem` objects to; says how many and why (the first reason). */
function rejectWhere<T>(groups: Array<{ items: T[] | null | undefined; keep(items: T[]): void }>, problem: (item: T) => string | undefined, noun: string): Rejection {
  let rejected = 0;
  let first: string | undefined;
  for (const group of groups) {
    if (!group.items) continue;
    const kept = group.items.filter((item) => {
      const reason = problem(item);
      if (reason === undefined) return true;
      rejected++;
      first ??= reason;
      return false;
    });
    if (kept.length !== group.items.length) group.keep(kept);
  }
  return rejected === 0 ? NOTHING_REJECTED : { rejected, errorMessage: `${rejected} ${noun} rejected: ${first}` };
}

/** Drops spans with malformed ids (OTLP requires 16-byte trace ids and 8-byte span ids). */
export function rejectInvalidSpans(request: ExportTraceServiceRequest): Rejection {
  const groups = (request.resourceSpans ?? []).flatMap((rs) =>
    (rs.scopeSpans ?? []).map((ss) => ({ items: ss.spans, keep: (spans: Span[]) => (ss.spans = spans) })),
  );
  return rejectWhere(groups, spanProblem, 'spans');
}

/** Drops log records whose optional trace or span id has the wrong length, or whose severity is out of range. */
export function rejectInvalidLogRecords(request: ExportLogsServiceRequest): Rejection {
  const groups = (request.resourceLogs ?? []).flatMap((rl) =>
    (rl.scopeLogs ?? []).map((sl) => ({ items: sl.logRecords, keep: (records: LogRecord[]) => (sl.logRecords = records) })),
  );
  return rejectWhere(groups, logRecordProblem, 'log records');
}
