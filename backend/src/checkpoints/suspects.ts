import { decodeRow, type DecodedQuery, number, type RowDecoder, strings } from '../store/row-decoder.js';
import type { Change } from './api-types.js';
import { changeDecoder } from './changes.js';
import type { Scope } from './config.js';
import { storedHealth } from './health.js';
import { scopeCondition } from './scopes.js';

// The suspects of an incident ranked by evidence, in one SQL statement: the changes since the
// checkpoint, each with what the spans and the verdicts say about it — whether it is on the
// first-bad entity or next to it in the call graph, whether the first-bad entity's failing requests
// ran through it, and whether its own entity went bad after it. Time since the change breaks ties.

/** What ClickHouse found for one suspect; the numbers behind its score and evidence lines. */
export interface SuspectFacts {
  /** The first-bad entity's failing or slow spans in the incident's first windows. */
  failing: number;
  /** Of those, the ones whose trace ran through the change after it was made (its service — a deploy: its new version —, host or device). */
  failingThrough: number;
  /** All the first-bad entity's spans (before and in the incident) whose trace ran through the change, and how many of them failed. */
  spansThrough: number;
  badThrough: number;
  /** The first-bad entity's other spans, and how many of them failed. */
  spansWithout: number;
  badWithout: number;
  /** Calls from the changed service into the first-bad one, and from the first-bad one into it (edges of the call graph). */
  callsIntoFirst: number;
  callsFromFirst: number;
  /** The changed entity's own windows from the change to the incident's first windows: judged, and unhealthy. */
  windowsAfter: number;
  badAfter: number;
  /** A deploy's service: the hosts its new version ran on, and how many hosts served it in all. */
  versionHosts: string[];
  serviceHosts: number;
}

export type RankedChange = Change & { score: number; facts: SuspectFacts };

export interface SuspectsQueryOptions {
  /** Changes from here (Unix s) to the incident's first window's end. */
  checkpoint: number;
  start: number;
  /** The spans and verdicts looked at end here (Unix s): the incident's first windows. */
  until: number;
  windowSeconds: number;
  /** Spans from here (Unix s) on are compared: the state before the changes, and the incident. */
  spansFrom: number;
  firstKind: string;
  firstEntity: string;
}

// Weights of the evidence (see README, "How it decides"): the failing requests' path leads.
const PATH_WEIGHT = 4;
const NEAR_WEIGHT = 2;
const AFTER_WEIGHT = 2;
/** A span is slow when it takes over this many times the first-bad entity's p95 before the incident. */
const SLOW_FACTOR = 2;

const factsDecoder: RowDecoder<SuspectFacts> = {
  failing: number('failing'),
  failingThrough: number('failing_through'),
  spansThrough: number('spans_through'),
  badThrough: number('bad_through'),
  spansWithout: number('spans_without'),
  badWithout: number('bad_without'),
  callsIntoFirst: number('calls_into_first'),
  callsFromFirst: number('calls_from_first'),
  windowsAfter: number('windows_after'),
  badAfter: number('bad_after'),
  versionHosts: strings('version_hosts'),
  serviceHosts: number('service_hosts'),
};

/**
 * The changes in the scope from the checkpoint to the incident's start plus one window of grace,
 * with their evidence and score, best first; ties go to the change nearest the start.
 */
export function suspectsQuery(scope: Scope | undefined, options: SuspectsQueryOptions): DecodedQuery<RankedChange> {
  const condition = scopeCondition(scope);
  const health = storedHealth(scope);
  // The first-bad entity's own spans: a service's, or those served on a host (device) of its name.
  const firstSpans = options.firstKind === 'service' ? 'ServiceName = {first_entity:String}' : "ResourceAttributes['host.name'] = {first_entity:String}";
  // A host and a device of one name are one machine.
  const machine = (kind: string) => `if(${kind} = 'device', 'host', ${kind})`;
  return {
    sql: `
WITH health AS (${health.sql}),
changed AS (
    SELECT toUnixTimestamp64Milli(time) AS time_ms, entity_kind, entity, kind, title, author, description, source, version, previous_version,
        (entity = {first_entity:String} AND ${machine('entity_kind')} = ${machine('{first_kind:String}')}) AS on_first_bad,
        -- What a span's path is matched against: a service (a deploy: its new version), a host or device by name.
        if(entity_kind = 'service', 'service', 'host') AS path_kind,
        if(kind = 'deploy', version, '') AS path_version
    FROM changes
    WHERE ${condition.sql}
      AND time >= toDateTime64({checkpoint:UInt32}, 3, 'UTC')
      AND time < toDateTime64({start:UInt32} + {window:UInt32}, 3, 'UTC')
),
first_spans AS (
    SELECT TraceId AS trace, toUnixTimestamp64Milli(Timestamp) AS span_ms, Duration AS duration, StatusCode = 'Error' AS error,
        Timestamp >= toDateTime64({start:UInt32}, 9, 'UTC') AS in_incident
    FROM otel_traces
    WHERE ${firstSpans} AND TraceId != ''
      AND Timestamp >= toDateTime64({spans_from:UInt32}, 9, 'UTC') AND Timestamp < toDateTime64({until:UInt32}, 9, 'UTC')
),
-- Every span of the traces the first-bad entity served in (a window of margin each side: a trace's spans start apart).
path_spans AS (
    SELECT TraceId AS trace, SpanId AS span, ParentSpanId AS parent, ServiceName AS service,
        ResourceAttributes['service.version'] AS service_version, ResourceAttributes['host.name'] AS host
    FROM otel_traces
    WHERE TraceId IN (SELECT trace FROM first_spans)
      AND Timestamp >= toDateTime64({spans_from:UInt32} - {window:UInt32}, 9, 'UTC') AND Timestamp < toDateTime64({until:UInt32} + {window:UInt32}, 9, 'UTC')
),
paths AS (
    SELECT trace, arrayConcat(groupUniqArray(('service', service, service_version)), arrayMap(h -> ('host', h, ''), groupUniqArrayIf(host, host != ''))) AS steps
    FROM path_spans
    GROUP BY trace
),
judged AS (
    SELECT error OR duration > (SELECT {slow_factor:Float64} * quantileIf(0.95)(duration, NOT in_incident) FROM first_spans) AS bad, in_incident, span_ms, steps
    FROM first_spans LEFT JOIN paths USING trace
),
totals AS (SELECT countIf(bad AND in_incident) AS failing, countIf(bad) AS bad_spans, count() AS spans FROM judged),
-- Per change, the first-bad entity's spans whose trace ran through it after it was made.
through AS (
    SELECT through_time_ms, through_kind, through_entity,
        countIf(bad AND in_incident AND ran) AS failing_through, countIf(bad AND ran) AS bad_through, countIf(ran) AS spans_through
    FROM (
        SELECT c.time_ms AS through_time_ms, c.entity_kind AS through_kind, c.entity AS through_entity, j.bad AS bad, j.in_incident AS in_incident,
            j.span_ms >= c.time_ms AND arrayExists(s -> s.1 = c.path_kind AND s.2 = c.entity AND (c.path_version = '' OR s.3 = c.path_version), j.steps) AS ran
        FROM changed AS c CROSS JOIN judged AS j
    )
    GROUP BY through_time_ms, through_kind, through_entity
),
-- The call graph next to the first-bad service: a span whose parent is another service's is a call.
neighbours AS (
    SELECT if(child.service = {first_entity:String}, parent.service, child.service) AS neighbour,
        countIf(child.service = {first_entity:String}) AS calls_into_first, countIf(parent.service = {first_entity:String}) AS calls_from_first
    FROM path_spans AS child INNER JOIN path_spans AS parent ON child.trace = parent.trace AND child.parent = parent.span
    WHERE child.service != parent.service AND {first_entity:String} IN (child.service, parent.service) AND {first_kind:String} = 'service'
    GROUP BY neighbour
),
-- Where each deployed service ran, by version: a canary is a new version on some of its hosts.
placement AS (
    SELECT ServiceName AS placed_service, groupUniqArray((ResourceAttributes['service.version'], ResourceAttributes['host.name'])) AS version_host
    FROM otel_traces
    WHERE ServiceName IN (SELECT entity FROM changed WHERE kind = 'deploy')
      AND Timestamp >= toDateTime64({spans_from:UInt32}, 9, 'UTC') AND Timestamp < toDateTime64({until:UInt32}, 9, 'UTC')
    GROUP BY placed_service
),
after AS (
    SELECT c.time_ms AS after_time_ms, ${machine('c.entity_kind')} AS after_kind, c.entity AS after_entity,
        uniqExact(h.window) AS windows_after, uniqExactIf(h.window, length(h.fired) > 0) AS bad_after
    FROM changed AS c INNER JOIN health AS h ON h.entity = c.entity AND ${machine('h.entity_kind')} = ${machine('c.entity_kind')}
    WHERE toUnixTimestamp(h.window) + {window:UInt32} > intDiv(c.time_ms, 1000)
    GROUP BY after_time_ms, after_kind, after_entity
)
SELECT c.time_ms AS time_ms, c.entity_kind AS entity_kind, c.entity AS entity, c.kind AS kind, c.title AS title, c.author AS author,
    c.description AS description, c.source AS source, c.version AS version, c.previous_version AS previous_version, c.on_first_bad AS on_first_bad,
    t.failing AS failing, p.failing_through AS failing_through, p.spans_through AS spans_through, p.bad_through AS bad_through,
    t.spans - p.spans_through AS spans_without, t.bad_spans - p.bad_through AS bad_without,
    n.calls_into_first AS calls_into_first, n.calls_from_first AS calls_from_first, a.windows_after AS windows_after, a.bad_after AS bad_after,
    arraySort(arrayMap(p -> p.2, arrayFilter(p -> p.1 = c.version AND p.2 != '', pl.version_host))) AS version_hosts,
    length(arrayDistinct(arrayMap(p -> p.2, arrayFilter(p -> p.2 != '', pl.version_host)))) AS service_hosts,
    -- The share of the failing spans that ran through the change, where running through it fails more often than not.
    if(failing_through > 0 AND bad_through / spans_through > bad_without / greatest(spans_without, 1), failing_through / failing, 0) AS path_share,
    multiIf(on_first_bad, 1, calls_into_first + calls_from_first > 0, 0.5, 0) AS nearness,
    bad_after / greatest(windows_after, 1) AS bad_after_share,
    round({path_weight:Float64} * path_share + {near_weight:Float64} * nearness + {after_weight:Float64} * bad_after_share, 3) AS score
FROM changed AS c
CROSS JOIN totals AS t
LEFT JOIN through AS p ON p.through_time_ms = c.time_ms AND p.through_kind = c.entity_kind AND p.through_entity = c.entity
LEFT JOIN neighbours AS n ON n.neighbour = if(c.entity_kind = 'service', c.entity, '')
LEFT JOIN placement AS pl ON pl.placed_service = if(c.kind = 'deploy', c.entity, '')
LEFT JOIN after AS a ON a.after_time_ms = c.time_ms AND a.after_kind = ${machine('c.entity_kind')} AND a.after_entity = c.entity
ORDER BY score DESC, abs(time_ms - {start:UInt32} * 1000) ASC, entity
SETTINGS join_use_nulls = 0`,
    params: {
      ...health.params,
      ...condition.params,
      // storedHealth's range: the verdicts from the checkpoint's window on.
      from: Math.floor(options.checkpoint / options.windowSeconds) * options.windowSeconds,
      to: options.until,
      checkpoint: options.checkpoint,
      start: options.start,
      until: options.until,
      window: options.windowSeconds,
      spans_from: options.spansFrom,
      first_kind: options.firstKind,
      first_entity: options.firstEntity,
      slow_factor: SLOW_FACTOR,
      path_weight: PATH_WEIGHT,
      near_weight: NEAR_WEIGHT,
      after_weight: AFTER_WEIGHT,
    },
    decoder: { ...changeDecoder, score: number('score'), facts: (row) => decodeRow(row, factsDecoder) },
  };
}
