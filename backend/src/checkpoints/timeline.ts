import { DEVICE_SCOPES } from '@rollpoint/proto';
import { counts, type DecodedQuery, isoFromMs, number, strings, text } from '../store/row-decoder.js';
import type { Query } from '../store/store.js';
import type { Lane, WindowDetail } from './api-types.js';
import type { Rule, Scope } from './config.js';
import { storedHealth } from './health.js';
import { metricValuesSelect } from './metric-rules.js';
import { scopeCondition } from './scopes.js';

// The timeline page's questions: each entity's per-window health over a range (its lanes), and for
// one window the most frequent error messages and the slowest spans, read from the raw tables.

/** One window of an entity's lane. */
export type LaneRow = Pick<Lane, 'entityKind' | 'entity'> & Lane['windows'][number];

/**
 * Per entity and window in [from, to): the lane values, ordered by entity then window, with the
 * values of the metric rules' measures (the metric lanes of entities that have them).
 */
export function lanesQuery(scope: Scope | undefined, rules: readonly Rule[], windowSeconds: number, from: number, to: number, maxEntities: number): DecodedQuery<LaneRow> {
  const health = storedHealth(scope);
  const metrics = metricValuesSelect(rules, scopeCondition(scope));
  return {
    sql: `
WITH health AS (${health.sql})
SELECT entity_kind, entity, toUnixTimestamp(window) AS start, spans, error_ratio, p95_ms, logs, error_logs, device_events, fired,
    ${metrics ? 'metric_values' : "CAST(map(), 'Map(String, Float64)')"} AS metric_values
FROM health
${metrics ? `LEFT JOIN (${metrics.sql}) AS measured USING (window, entity_kind, entity)` : ''}
WHERE (entity_kind, entity) IN (
    SELECT entity_kind, entity FROM health GROUP BY entity_kind, entity
    ORDER BY sum(length(fired)) DESC, entity_kind != 'service', entity LIMIT {max_entities:UInt32}
)
ORDER BY entity_kind != 'service', entity_kind, entity, window`,
    // One window before `from` gives the first window's rates their previous value.
    params: { ...health.params, ...metrics?.params, window: windowSeconds, from, to, baseline_windows: 1, max_entities: maxEntities },
    decoder: {
      entityKind: text('entity_kind'),
      entity: text('entity'),
      start: number('start'),
      spans: number('spans'),
      errorRatio: number('error_ratio'),
      p95Ms: number('p95_ms'),
      logs: number('logs'),
      errorLogs: number('error_logs'),
      deviceEvents: counts('device_events'),
      fired: strings('fired'),
      metrics: counts('metric_values'),
    },
  };
}

const deviceScopes = DEVICE_SCOPES.map((s) => `'${s}'`).join(', ');

/**
 * A lambda test of a scope on a record's entities: (entity_kind, entity) pairs as the entity_windows
 * views derive them, so the raw records match the windows they were counted in.
 */
function inScope(scope: Scope | undefined, kinds: string, names: string): Query {
  const condition = scopeCondition(scope);
  return { sql: `arrayExists((entity_kind, entity) -> entity != '' AND ${condition.sql}, ${kinds}, ${names})`, params: condition.params };
}

/** The most frequent error messages (severity ERROR and above) of a scope's entities in [from, to). */
export function topErrorsQuery(scope: Scope | undefined, from: number, to: number, limit: number): DecodedQuery<WindowDetail['errors'][number]> {
  const device = `ScopeName IN (${deviceScopes})`;
  const condition = inScope(scope, `if(${device}, ['device'], ['service', 'host'])`, `if(${device}, [ResourceAttributes['host.name']], [ServiceName, ResourceAttributes['host.name']])`);
  return {
    sql: `
SELECT Body AS message, count() AS n, groupUniqArray(3)(if(ServiceName != '', ServiceName, ResourceAttributes['host.name'])) AS entities
FROM otel_logs
WHERE TimestampTime >= toDateTime({from:UInt32}, 'UTC') AND TimestampTime < toDateTime({to:UInt32}, 'UTC') AND SeverityNumber >= 17 AND ${condition.sql}
GROUP BY message
ORDER BY n DESC, message
LIMIT {limit:UInt32}`,
    params: { ...condition.params, from, to, limit },
    decoder: { message: text('message'), count: number('n'), entities: strings('entities') },
  };
}

/** The slowest spans of a scope's services and hosts in [from, to). */
export function slowestSpansQuery(scope: Scope | undefined, from: number, to: number, limit: number): DecodedQuery<WindowDetail['slowest'][number]> {
  const condition = inScope(scope, "['service', 'host']", "[ServiceName, ResourceAttributes['host.name']]");
  return {
    sql: `
SELECT ServiceName, SpanName, Duration / 1e6 AS duration_ms, toUnixTimestamp64Milli(Timestamp) AS time_ms, TraceId, StatusCode
FROM otel_traces
WHERE Timestamp >= toDateTime64({from:UInt32}, 9, 'UTC') AND Timestamp < toDateTime64({to:UInt32}, 9, 'UTC') AND ${condition.sql}
ORDER BY Duration DESC
LIMIT {limit:UInt32}`,
    params: { ...condition.params, from, to, limit },
    decoder: {
      service: text('ServiceName'),
      name: text('SpanName'),
      durationMs: number('duration_ms'),
      time: isoFromMs('time_ms'),
      traceId: text('TraceId'),
      status: text('StatusCode'),
    },
  };
}
