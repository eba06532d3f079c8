import { ATTR_SERVER_ADDRESS, SEMATTRS_NET_PEER_NAME } from '@opentelemetry/semantic-conventions';
import { ATTR_ROLLPOINT_DEVICE, SCOPE_SYSLOG } from '@rollpoint/proto';
import { decodeRow, type DecodedQuery, number, type RowDecoder, strings } from '../store/row-decoder.js';
import type { Change } from './api-types.js';
import { changeDecoder } from './changes.js';
import type { Scope } from './config.js';
import { storedHealth } from './health.js';
import { patternToRegex, scopeCondition } from './scopes.js';

// The suspects of an incident ranked by evidence, in two SQL statements: the changes since the
// checkpoint, then what the spans and the verdicts say about each — whether it is on the first-bad
// entity, next to it in the call graph or in front of its hosts (topology, syslog relays, spans
// naming it), whether the first-bad entity's failing requests ran through it, and whether its own
// entity went bad after it — with its score, best first. Time since the change breaks ties. The second statement runs only
// when there are changes, and takes them as parameters: the changes view is read once.

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
  /** A device: the hosts behind it (configured, relaying their syslog through it, or whose spans name it) that served the first-bad entity's spans. */
  frontedHosts: string[];
  /** Of those, the ones whose spans name the device, and the span attributes (DEVICE_SPAN_ATTRIBUTES) that did. */
  spanNamedHosts: string[];
  namingAttributes: string[];
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

/** A change's evidence: `index` is its place in the changes the evidence query was given. */
export interface ChangeEvidence {
  index: number;
  score: number;
  facts: SuspectFacts;
}

export interface SuspectsQueryOptions {
  /** Changes from here (Unix s) to the incident's first window's end. */
  checkpoint: number;
  start: number;
  windowSeconds: number;
  firstKind: string;
  firstEntity: string;
  /** Where the changes are read (changesSource). */
  changes: string;
}

/** The evidence statement takes the changes themselves, not where they are read. */
export interface EvidenceQueryOptions extends Omit<SuspectsQueryOptions, 'changes'> {
  /** The hosts behind each device (names or patterns), from the configuration. */
  topology: Readonly<Record<string, readonly string[]>>;
  /** The other names and the addresses each configured device goes by (`devices:`), by its name. */
  deviceAliases: Readonly<Record<string, readonly string[]>>;
  /** The spans and verdicts looked at end here (Unix s): the incident's first windows. */
  until: number;
  /** Spans from here (Unix s) on are compared: the state before the changes, and the incident. */
  spansFrom: number;
}

// Weights of the evidence (see README, "How it decides"): the failing requests' path leads.
const PATH_WEIGHT = 4;
const NEAR_WEIGHT = 2;
const AFTER_WEIGHT = 2;
/** A span is slow when it takes over this many times the first-bad entity's p95 before the incident. */
const SLOW_FACTOR = 2;
/**
 * Span attributes that name a device on a request's path, which places the host serving the span
 * behind it. server.address is, on a server span, the name the client reached the service by (a
 * load balancer or VIP in front of the host), and on a client span the name it called (a proxy in
 * front of the dependency); net.peer.name is its name before semantic conventions 1.21, which older
 * instrumentations still send; rollpoint.device is for spans tagged with the switch or router in
 * front. Only what names a changed device counts — its name, the other names and addresses
 * `devices:` gives it, an address its events came from (learned_devices, where that address went by
 * no other name) —: a host or service name there places nothing. A fully qualified name counts
 * where it is among the device's names: its first label alone could be another site's device.
 */
const DEVICE_SPAN_ATTRIBUTES = [ATTR_SERVER_ADDRESS, SEMATTRS_NET_PEER_NAME, ATTR_ROLLPOINT_DEVICE];

const factsDecoder: RowDecoder<SuspectFacts> = {
  failing: number('failing'),
  failingThrough: number('failing_through'),
  spansThrough: number('spans_through'),
  badThrough: number('bad_through'),
  spansWithout: number('spans_without'),
  badWithout: number('bad_without'),
  frontedHosts: strings('fronted_hosts'),
  spanNamedHosts: strings('span_named_hosts'),
  namingAttributes: strings('naming_attributes'),
  callsIntoFirst: number('calls_into_first'),
  callsFromFirst: number('calls_from_first'),
  windowsAfter: number('windows_after'),
  badAfter: number('bad_after'),
  versionHosts: strings('version_hosts'),
  serviceHosts: number('service_hosts'),
};

// A host and a device of one name are one machine.
const machine = (kind: string) => `if(${kind} = 'device', 'host', ${kind})`;

/** The changes in the scope from the checkpoint to the incident's start plus one window of grace, by time. */
export function suspectsQuery(scope: Scope | undefined, options: SuspectsQueryOptions): DecodedQuery<Change> {
  const condition = scopeCondition(scope);
  return {
    sql: `
SELECT toUnixTimestamp64Milli(time) AS time_ms, entity_kind, entity, kind, title, author, description, source, version, previous_version,
    (entity = {first_entity:String} AND ${machine('entity_kind')} = ${machine('{first_kind:String}')}) AS on_first_bad
FROM ${options.changes}
WHERE ${condition.sql}
  AND time >= toDateTime64({checkpoint:UInt32}, 3, 'UTC')
  AND time < toDateTime64({start:UInt32} + {window:UInt32}, 3, 'UTC')
ORDER BY time, entity`,
    params: { ...condition.params, checkpoint: options.checkpoint, start: options.start, window: options.windowSeconds, first_kind: options.firstKind, first_entity: options.firstEntity },
    decoder: changeDecoder,
  };
}

/**
 * The evidence about each of `changes` (suspectsQuery's answer, not empty) and its score, best
 * first; ties go to the change nearest the incident's start.
 */
export function evidenceQuery(scope: Scope | undefined, changes: readonly Change[], options: EvidenceQueryOptions): DecodedQuery<ChangeEvidence> {
  const health = storedHealth(scope);
  // The first-bad entity's own spans: a service's, or those served on a host (device) of its name.
  const firstSpans = options.firstKind === 'service' ? 'ServiceName = {first_entity:String}' : "ResourceAttributes['host.name'] = {first_entity:String}";
  return {
    sql: `
WITH health AS (${health.sql}),
given AS (
    SELECT index, {change_ms:Array(Int64)}[index + 1] AS time_ms, {change_entity_kinds:Array(String)}[index + 1] AS entity_kind,
        {change_entities:Array(String)}[index + 1] AS entity, {change_kinds:Array(String)}[index + 1] AS kind,
        {change_versions:Array(String)}[index + 1] AS version, {change_on_first_bad:Array(UInt8)}[index + 1] AS on_first_bad,
        -- What a span's path is matched against: a service (a deploy: its new version), a host or device by
        -- name, or a host behind the device (its patterns as regular expressions).
        if(entity_kind = 'service', 'service', 'host') AS path_kind,
        if(kind = 'deploy', version, '') AS path_version,
        {change_behind:Array(Array(String))}[index + 1] AS behind
    FROM (SELECT arrayJoin(range(length({change_ms:Array(Int64)}))) AS index)
),
-- What the data shows of placement: a host whose syslog comes from the address a device's own syslog
-- comes from is relayed through it, so it sits behind it.
syslog_senders AS (
    SELECT ResourceAttributes['host.name'] AS sender, LogAttributes['network.peer.address'] AS address
    FROM otel_logs
    WHERE ServiceName = '' AND ScopeName = {syslog_scope:String} AND LogAttributes['network.peer.address'] != ''
      AND TimestampTime >= toDateTime({spans_from:UInt32}, 'UTC') AND TimestampTime < toDateTime({until:UInt32}, 'UTC')
    GROUP BY sender, address
),
relays AS (
    SELECT device.sender AS relay, groupUniqArray(relayed.sender) AS relayed_hosts
    FROM syslog_senders AS device INNER JOIN syslog_senders AS relayed ON relayed.address = device.address
    WHERE device.sender IN (SELECT entity FROM given WHERE entity_kind = 'device') AND relayed.sender != device.sender
    GROUP BY relay
),
-- What a span may call a changed device by: its name, its configured names and addresses, and the
-- addresses its events came from that went by no other name (a relay's address names no one device).
configured_names AS (
    SELECT pair.1 AS alias, pair.2 AS device
    FROM (SELECT arrayJoin(arrayZip({alias_names:Array(String)}, {alias_devices:Array(String)})) AS pair)
),
device_names AS (
    SELECT alias, device FROM configured_names
    UNION ALL
    SELECT l.address AS alias, c.device AS device
    FROM (SELECT address, any(name) AS only_name FROM learned_devices FINAL GROUP BY address HAVING uniqExact(name) = 1) AS l
    INNER JOIN configured_names AS c ON c.alias = l.only_name
),
-- And a host whose spans name a device in one of DEVICE_SPAN_ATTRIBUTES sits behind it (hasAny on
-- the attributes' values, which their bloom filter index answers, skips the spans that name none).
span_named AS (
    SELECT n.device AS named_device, groupUniqArray((host, named.2)) AS named_host_attributes
    FROM (
        SELECT ResourceAttributes['host.name'] AS host, arrayFilter(a -> a.1 != '', arrayMap(k -> (SpanAttributes[k], k), {device_span_attributes:Array(String)})) AS attributes
        FROM otel_traces
        WHERE hasAny(mapValues(SpanAttributes), (SELECT groupArray(alias) FROM device_names)) AND ResourceAttributes['host.name'] != ''
          AND Timestamp >= toDateTime64({spans_from:UInt32}, 9, 'UTC') AND Timestamp < toDateTime64({until:UInt32}, 9, 'UTC')
    )
    ARRAY JOIN attributes AS named
    INNER JOIN device_names AS n ON n.alias = named.1
    GROUP BY named_device
),
changed AS (
    SELECT g.*, s.named_host_attributes AS named_host_attributes,
        arrayDistinct(arrayConcat(r.relayed_hosts, arrayMap(n -> n.1, s.named_host_attributes))) AS placed_hosts
    FROM given AS g
    LEFT JOIN relays AS r ON r.relay = if(g.entity_kind = 'device', g.entity, '')
    LEFT JOIN span_named AS s ON s.named_device = if(g.entity_kind = 'device', g.entity, '')
),
first_spans AS (
    SELECT TraceId AS trace, toUnixTimestamp64Milli(Timestamp) AS span_ms, Duration AS duration, StatusCode = 'Error' AS error, ResourceAttributes['host.name'] AS host,
        Timestamp >= toDateTime64({start:UInt32}, 9, 'UTC') AS in_incident
    FROM otel_traces
    WHERE ${firstSpans} AND TraceId != ''
      AND Timestamp >= toDateTime64({spans_from:UInt32}, 9, 'UTC') AND Timestamp < toDateTime64({until:UInt32}, 9, 'UTC')
),
-- Every trace the first-bad entity served in (a window of margin each side: a trace's spans start
-- apart) as its path: the (service, version) and host steps of its spans, and its calls — a span
-- whose parent is another service's span is a call from that service (caller, callee).
paths AS (
    SELECT trace,
        arrayConcat(arrayDistinct(arrayMap(s -> ('service', s.3, s.4), spans)), arrayMap(h -> ('host', h, ''), arrayDistinct(arrayFilter(h -> h != '', arrayMap(s -> s.5, spans))))) AS steps,
        arrayFilter(call -> call.1 != '' AND call.1 != call.2, arrayMap(s -> (spans[indexOf(arrayMap(p -> p.1, spans), s.2)].3, s.3), spans)) AS calls
    FROM (
        SELECT TraceId AS trace, groupArray((SpanId, ParentSpanId, ServiceName, ResourceAttributes['service.version'], ResourceAttributes['host.name'])) AS spans
        FROM otel_traces
        WHERE TraceId IN (SELECT trace FROM first_spans)
          AND Timestamp >= toDateTime64({spans_from:UInt32} - {window:UInt32}, 9, 'UTC') AND Timestamp < toDateTime64({until:UInt32} + {window:UInt32}, 9, 'UTC')
        GROUP BY trace
    )
),
-- A span is bad when it failed or was slow (SLOW_FACTOR times the p95 before the incident, or more).
judged AS (
    SELECT error OR duration > {slow_factor:Float64} * quantileIf(0.95)(duration, NOT in_incident) OVER () AS bad, in_incident, span_ms, steps, host
    FROM first_spans LEFT JOIN paths USING trace
),
totals AS (SELECT countIf(bad AND in_incident) AS failing, countIf(bad) AS bad_spans, count() AS spans, groupUniqArrayIf(host, host != '') AS first_hosts FROM judged),
-- Per change, the first-bad entity's spans whose trace ran through it after it was made.
through AS (
    SELECT through_index, countIf(bad AND in_incident AND ran) AS failing_through, countIf(bad AND ran) AS bad_through, countIf(ran) AS spans_through
    FROM (
        SELECT c.index AS through_index, j.bad AS bad, j.in_incident AS in_incident,
            j.span_ms >= c.time_ms AND arrayExists(
                s -> s.1 = c.path_kind AND (s.2 = c.entity OR has(c.placed_hosts, s.2) OR arrayExists(p -> match(s.2, p), c.behind))
                    AND (c.path_version = '' OR s.3 = c.path_version),
                j.steps) AS ran
        FROM changed AS c CROSS JOIN judged AS j
    )
    GROUP BY through_index
),
-- The call graph next to the first-bad service.
neighbours AS (
    SELECT if(call.2 = {first_entity:String}, call.1, call.2) AS neighbour,
        countIf(call.2 = {first_entity:String}) AS calls_into_first, countIf(call.1 = {first_entity:String}) AS calls_from_first
    FROM paths ARRAY JOIN calls AS call
    WHERE {first_entity:String} IN (call.1, call.2) AND {first_kind:String} = 'service'
    GROUP BY neighbour
),
-- Where each deployed service ran, by version: a canary is a new version on some of its hosts.
placement AS (
    SELECT ServiceName AS placed_service, groupUniqArray((ResourceAttributes['service.version'], ResourceAttributes['host.name'])) AS version_host
    FROM otel_traces
    WHERE ServiceName IN (SELECT entity FROM given WHERE kind = 'deploy')
      AND Timestamp >= toDateTime64({spans_from:UInt32}, 9, 'UTC') AND Timestamp < toDateTime64({until:UInt32}, 9, 'UTC')
    GROUP BY placed_service
),
after AS (
    SELECT c.index AS after_index, uniqExact(h.window) AS windows_after, uniqExactIf(h.window, length(h.fired) > 0) AS bad_after
    FROM given AS c INNER JOIN health AS h ON h.entity = c.entity AND ${machine('h.entity_kind')} = ${machine('c.entity_kind')}
    WHERE toUnixTimestamp(h.window) + {window:UInt32} > intDiv(c.time_ms, 1000)
    GROUP BY after_index
)
SELECT c.index AS change_index, c.on_first_bad AS on_first_bad,
    arraySort(arrayFilter(h -> has(c.placed_hosts, h) OR arrayExists(p -> match(h, p), c.behind), t.first_hosts)) AS fronted_hosts,
    arraySort(arrayDistinct(arrayMap(n -> n.1, arrayFilter(n -> has(fronted_hosts, n.1), c.named_host_attributes)))) AS span_named_hosts,
    arraySort(arrayDistinct(arrayMap(n -> n.2, arrayFilter(n -> has(fronted_hosts, n.1), c.named_host_attributes)))) AS naming_attributes,
    t.failing AS failing, p.failing_through AS failing_through, p.spans_through AS spans_through, p.bad_through AS bad_through,
    t.spans - p.spans_through AS spans_without, t.bad_spans - p.bad_through AS bad_without,
    n.calls_into_first AS calls_into_first, n.calls_from_first AS calls_from_first, a.windows_after AS windows_after, a.bad_after AS bad_after,
    arraySort(arrayMap(v -> v.2, arrayFilter(v -> v.1 = c.version AND v.2 != '', pl.version_host))) AS version_hosts,
    length(arrayDistinct(arrayMap(v -> v.2, arrayFilter(v -> v.2 != '', pl.version_host)))) AS service_hosts,
    -- The share of the failing spans that ran through the change, where running through it fails more often than not.
    if(failing_through > 0 AND bad_through / spans_through > bad_without / greatest(spans_without, 1), failing_through / failing, 0) AS path_share,
    multiIf(on_first_bad, 1, calls_into_first + calls_from_first > 0 OR notEmpty(fronted_hosts), 0.5, 0) AS nearness,
    bad_after / greatest(windows_after, 1) AS bad_after_share,
    round({path_weight:Float64} * path_share + {near_weight:Float64} * nearness + {after_weight:Float64} * bad_after_share, 3) AS score
FROM changed AS c
CROSS JOIN totals AS t
LEFT JOIN through AS p ON p.through_index = c.index
LEFT JOIN neighbours AS n ON n.neighbour = if(c.entity_kind = 'service', c.entity, '')
LEFT JOIN placement AS pl ON pl.placed_service = if(c.kind = 'deploy', c.entity, '')
LEFT JOIN after AS a ON a.after_index = c.index
ORDER BY score DESC, abs(c.time_ms - {start:UInt32} * 1000) ASC, c.entity
SETTINGS join_use_nulls = 0`,
    params: {
      ...health.params,
      // storedHealth's range: the verdicts from the checkpoint's window on.
      from: Math.floor(options.checkpoint / options.windowSeconds) * options.windowSeconds,
      to: options.until,
      change_ms: changes.map((c) => Date.parse(c.time)),
      change_entity_kinds: changes.map((c) => c.entityKind),
      change_entities: changes.map((c) => c.entity),
      change_kinds: changes.map((c) => c.kind),
      change_versions: changes.map((c) => c.version),
      change_on_first_bad: changes.map((c) => (c.onFirstBad ? 1 : 0)),
      change_behind: changes.map((c) => (c.entityKind === 'device' ? (options.topology[c.entity] ?? []).map(patternToRegex) : [])),
      start: options.start,
      until: options.until,
      window: options.windowSeconds,
      spans_from: options.spansFrom,
      first_kind: options.firstKind,
      first_entity: options.firstEntity,
      syslog_scope: SCOPE_SYSLOG,
      device_span_attributes: DEVICE_SPAN_ATTRIBUTES,
      ...deviceNameParams(changes, options.deviceAliases),
      slow_factor: SLOW_FACTOR,
      path_weight: PATH_WEIGHT,
      near_weight: NEAR_WEIGHT,
      after_weight: AFTER_WEIGHT,
    },
    decoder: { index: number('change_index'), score: number('score'), facts: (row) => decodeRow(row, factsDecoder) },
  };
}

/** Each changed device's names (its own first) beside it, as two parameter arrays. */
function deviceNameParams(changes: readonly Change[], aliases: Readonly<Record<string, readonly string[]>>): { alias_names: string[]; alias_devices: string[] } {
  const devices = [...new Set(changes.filter((c) => c.entityKind === 'device').map((c) => c.entity))];
  const pairs = devices.flatMap((device) => [device, ...(aliases[device] ?? [])].map((alias) => [alias, device] as const));
  return { alias_names: pairs.map(([alias]) => alias), alias_devices: pairs.map(([, device]) => device) };
}
