import { hexToId } from './ids.js';

/**
 * Parses an OTLP/JSON body. OTLP/JSON differs from protobuf's canonical JSON mapping in that trace
 * and span ids are hex, not base64; this turns them into bytes so that the generated `fromObject`
 * can do the rest. Strings with lone surrogates are refused: they cannot be encoded as UTF-8.
 */
export function parseOtlpJson(text: string, idFields: IdPaths): Record<string, unknown> {
  const parsed: unknown = JSON.parse(text, (_key, value: unknown) => {
    if (typeof value === 'string' && !value.isWellFormed()) throw new Error('a string holds a lone UTF-16 surrogate');
    return value;
  });
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('the body must be a JSON object');
  const body = parsed as Record<string, unknown>;
  convertIds(body, idFields, '');
  return body;
}

/** Where hex ids sit in a request: each key leads into a nested list or message, leaves name the id fields. */
export interface IdPaths {
  [key: string]: IdPaths | 'id';
}

function convertIds(node: Record<string, unknown>, paths: IdPaths, where: string): void {
  for (const [key, rule] of Object.entries(paths)) {
    const value = node[key];
    if (value === undefined || value === null) continue;
    if (rule === 'id') {
      if (typeof value !== 'string') throw new Error(`${where}${key}: a hex string is expected`);
      node[key] = hexToId(value, `${where}${key}`);
    } else if (Array.isArray(value)) {
      value.forEach((child: unknown, i) => {
        if (typeof child === 'object' && child !== null) convertIds(child as Record<string, unknown>, rule, `${where}${key}[${i}].`);
      });
    } else if (typeof value === 'object') {
      convertIds(value as Record<string, unknown>, rule, `${where}${key}.`);
    } else {
      throw new Error(`${where}${key}: a list or an object is expected`);
    }
  }
}

export const TRACE_ID_PATHS: IdPaths = {
  resourceSpans: { scopeSpans: { spans: { traceId: 'id', spanId: 'id', parentSpanId: 'id', links: { traceId: 'id', spanId: 'id' } } } },
};

export const LOG_ID_PATHS: IdPaths = {
  resourceLogs: { scopeLogs: { logRecords: { traceId: 'id', spanId: 'id' } } },
};

const EXEMPLAR_IDS: IdPaths = { dataPoints: { exemplars: { traceId: 'id', spanId: 'id' } } };

export const METRIC_ID_PATHS: IdPaths = {
  resourceMetrics: { scopeMetrics: { metrics: { gauge: EXEMPLAR_IDS, sum: EXEMPLAR_IDS, histogram: EXEMPLAR_IDS, exponentialHistogram: EXEMPLAR_IDS } } },
};
