import type { Exemplar, ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest, LogRecord, Span } from './otlp.js';

/** What a receiver refused of a request, reported back to the sender as OTLP partial success. */
export interface Rejection {
  rejected: number;
  errorMessage: string;
}

export const NOTHING_REJECTED: Rejection = { rejected: 0, errorMessage: '' };

/**
 * What is wrong with the id in bytes[start, stop), if anything: it must be `size` bytes and not all
 * zeros; an optional id may also be absent. Works on a byte range so that the backend can check ids
 * in an Export's bytes without decoding them.
 */
export function idProblem(bytes: Uint8Array, start: number, stop: number, field: string, size: number, optional: boolean): string | undefined {
  const length = stop - start;
  if (length === 0 && optional) return undefined;
  if (length !== size) return `${field} must be ${size} bytes, got ${length}`;
  for (let i = start; i < stop; i++) if (bytes[i] !== 0) return undefined;
  return `${field} must not be all zeros`;
}

const NO_ID = new Uint8Array(0);

const requiredId = (id: Uint8Array | null | undefined, field: string, bytes: number): string | undefined =>
  idProblem(id ?? NO_ID, 0, id?.length ?? 0, field, bytes, false);

const optionalId = (id: Uint8Array | null | undefined, field: string, bytes: number): string | undefined =>
  idProblem(id ?? NO_ID, 0, id?.length ?? 0, field, bytes, true);

function spanProblem(span: Span): string | undefined {
  return (
    requiredId(span.traceId, 'trace_id', 16) ??
    requiredId(span.spanId, 'span_id', 8) ??
    optionalId(span.parentSpanId, 'parent_span_id', 8) ??
    span.links?.map((l) => requiredId(l.traceId, 'link trace_id', 16) ?? requiredId(l.spanId, 'link span_id', 8)).find(Boolean)
  );
}

const MAX_SEVERITY_NUMBER = 24;

/** What is wrong with a log record's severity_number, if anything. */
export const severityProblem = (severity: number): string | undefined =>
  severity < 0 || severity > MAX_SEVERITY_NUMBER ? `severity_number must be 0 to ${MAX_SEVERITY_NUMBER}, got ${severity}` : undefined;

function logRecordProblem(record: LogRecord): string | undefined {
  return severityProblem(record.severityNumber ?? 0) ?? optionalId(record.traceId, 'trace_id', 16) ?? optionalId(record.spanId, 'span_id', 8);
}

/** The report of `rejected` records of kind `noun` ("spans"), the first for `firstReason`. */
export const rejection = (rejected: number, firstReason: string | undefined, noun: string): Rejection =>
  rejected === 0 ? NOTHING_REJECTED : { rejected, errorMessage: `${rejected} ${noun} rejected: ${firstReason}` };

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
  return rejection(rejected, first, noun);
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

type PointWithExemplars = { exemplars?: Exemplar[] | null };

const exemplarProblem = (exemplar: Exemplar): string | undefined =>
  optionalId(exemplar.traceId, 'exemplar trace_id', 16) ?? optionalId(exemplar.spanId, 'exemplar span_id', 8);

const dataPointProblem = (point: PointWithExemplars): string | undefined => point.exemplars?.map(exemplarProblem).find(Boolean);

/** Drops data points with an exemplar whose optional trace or span id has the wrong length (summaries have no exemplars). */
export function rejectInvalidDataPoints(request: ExportMetricsServiceRequest): Rejection {
  const groups = (request.resourceMetrics ?? []).flatMap((rm) =>
    (rm.scopeMetrics ?? []).flatMap((sm) =>
      (sm.metrics ?? []).flatMap((metric) => {
        const data = (metric.gauge ?? metric.sum ?? metric.histogram ?? metric.exponentialHistogram) as { dataPoints?: PointWithExemplars[] | null } | null | undefined;
        return data ? [{ items: data.dataPoints, keep: (points: PointWithExemplars[]) => (data.dataPoints = points) }] : [];
      }),
    ),
  );
  return rejectWhere(groups, dataPointProblem, 'data points');
}
