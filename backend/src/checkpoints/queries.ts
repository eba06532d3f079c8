import type { DeviceEventKind } from '@rollpoint/proto';
import { CONFIG_COMMIT } from '../schema/tables.js';
import { decodeRow, type DecodedQuery, type FieldReader, flag, isoFromMs, isoFromSeconds, isoFromUtcText, number, type RowDecoder, strings, text } from '../store/row-decoder.js';
import type { NamedRow } from '../store/store.js';
import type { ConfigRevision, DeviceConfigState, EntityState, Incident, Source } from './api-types.js';
import { changesSource } from './changes.js';
import type { Scope } from './config.js';
import { evidenceDecoder, storedHealth } from './health.js';
import { scopeCondition } from './scopes.js';

// The scope-level questions, each one SQL statement over the stored verdicts (window_health): incidents
// (gaps-and-islands over unhealthy windows), the checkpoint before a moment, the state at a
// checkpoint, and completeness. The suspects and their evidence are in suspects.ts.

interface ScopeRange {
  scope: Scope | undefined;
  windowSeconds: number;
}

export interface IncidentsQueryOptions extends ScopeRange {
  /** The scope's name, which the incidents' ids carry. */
  scopeName: string;
  /** Windows starting in [from, to) (Unix s). */
  from: number;
  to: number;
  /** Windows ending after this (Unix s) are not complete: nothing is decided on them. */
  completeUntil: number;
}

/**
 * Maximal runs of complete windows in which some entity of the scope is unhealthy. Each: start,
 * end, windows, the first entity to go bad with its rules and evidence, the most entities bad in
 * one window, and whether it is still open (its last window is the latest complete one).
 */
export function incidentsQuery(options: IncidentsQueryOptions): DecodedQuery<Incident> {
  const health = storedHealth(options.scope);
  const { scopeName } = options;
  const firstBad = evidenceDecoder('first_');
  return {
    sql: `
WITH health AS (${health.sql})
SELECT
    toUnixTimestamp(min(window)) AS start,
    toUnixTimestamp(max(window)) + {window:UInt32} AS end,
    count() AS windows,
    argMin(entity_kind, window) AS first_entity_kind,
    argMin(entity, window) AS first_entity,
    argMin(fired, window) AS first_fired,
    argMin(error_ratio, window) AS first_error_ratio,
    argMin(p95_ms, window) AS first_p95_ms,
    argMin(error_logs, window) AS first_error_logs,
    argMin(device_events, window) AS first_device_events,
    argMin(baselines, window) AS first_baselines,
    argMin(metrics, window) AS first_metrics,
    max(bad_entities) AS peak_entities,
    if(end >= intDiv({complete_until:UInt32}, {window:UInt32}) * {window:UInt32}, 'open', 'resolved') AS status
FROM (
    SELECT *, intDiv(toUnixTimestamp(window), {window:UInt32}) - row_number() OVER (ORDER BY window) AS island
    FROM (
        SELECT window, entity_kind, entity, fired, error_ratio, p95_ms, error_logs, device_events, baselines, metrics,
            count() OVER (PARTITION BY window) AS bad_entities,
            -- Of the entities bad in one window, the one named first: a service, then a device, then by name.
            row_number() OVER (PARTITION BY window ORDER BY entity_kind != 'service', entity_kind != 'device', entity) AS bad_order
        FROM health
        WHERE length(fired) > 0 AND toUnixTimestamp(window) + {window:UInt32} <= {complete_until:UInt32}
    )
    WHERE bad_order = 1
)
GROUP BY island
ORDER BY start`,
    params: { ...health.params, window: options.windowSeconds, from: options.from, to: options.to, complete_until: options.completeUntil },
    decoder: {
      id: (row) => `${scopeName}:${number('start')(row)}`,
      scope: () => scopeName,
      start: isoFromSeconds('start'),
      end: isoFromSeconds('end'),
      status: (row) => text('status')(row) as Incident['status'],
      windows: number('windows'),
      peakEntities: number('peak_entities'),
      firstBad: (row) => decodeRow(row, firstBad),
    },
  };
}

export interface CheckpointQueryOptions extends ScopeRange {
  /** The checkpoint is the end of a window at or before this (Unix s, window-aligned). */
  before: number;
  stableWindows: number;
  /** How many windows back to look. */
  lookbackWindows: number;
  /** Where the changes are read (changesSource). */
  changes: string;
}

/**
 * The end of the latest window at or before `before` that closes `stable_windows` windows in a
 * row with no unhealthy entity in the scope and no change on any of its entities: a state that
 * soaked. Windows with no data count as healthy. No row when there is none in the lookback.
 */
export function checkpointQuery(options: CheckpointQueryOptions): DecodedQuery<{ checkpoint: number }> {
  const from = options.before - options.lookbackWindows * options.windowSeconds;
  const health = storedHealth(options.scope);
  const changeScope = scopeCondition(options.scope, 'change');
  return {
    sql: `
WITH health AS (${health.sql}),
bad AS (SELECT window, 1 AS is_bad FROM health WHERE length(fired) > 0 GROUP BY window),
changed AS (
    SELECT toStartOfInterval(time, toIntervalSecond({window:UInt32})) AS window, 1 AS has_change
    FROM ${options.changes}
    WHERE ${changeScope.sql} AND time >= toDateTime({from:UInt32}, 'UTC') AND time < toDateTime({to:UInt32}, 'UTC')
    GROUP BY window
)
SELECT toUnixTimestamp(max(window)) + {window:UInt32} AS checkpoint
FROM (
    SELECT grid.window AS window,
        sum(bad.is_bad + changed.has_change) OVER stable AS blemishes,
        count() OVER stable AS windows
    FROM (SELECT toDateTime({from:UInt32} + number * {window:UInt32}, 'UTC') AS window FROM numbers({lookback:UInt32})) AS grid
    LEFT JOIN bad ON bad.window = grid.window
    LEFT JOIN changed ON changed.window = grid.window
    WINDOW stable AS (ORDER BY grid.window ROWS BETWEEN {stable_windows:UInt32} - 1 PRECEDING AND CURRENT ROW)
)
WHERE blemishes = 0 AND windows = {stable_windows:UInt32}
HAVING count() > 0`,
    params: {
      ...health.params,
      ...changeScope.params,
      window: options.windowSeconds,
      from,
      to: options.before,
      lookback: options.lookbackWindows,
      stable_windows: options.stableWindows,
    },
    decoder: { checkpoint: number('checkpoint') },
  };
}

/** A config_commits row as a tuple: its fields and how each is read. */
const REVISION_FIELDS = [
  ['commit', 'commit'],
  ['time_ms', 'toUnixTimestamp64Milli(time)'],
  ['author', 'author'],
  ['message', 'message'],
  ['path', 'path'],
  ['blob', 'blob'],
] as const;

/** A device's latest commit (of those meeting `condition`), by time then commit id: every field from one row. */
function revisionOf(name: string, condition?: string): string {
  const value = `tuple(${REVISION_FIELDS.map(([, expression]) => expression).join(', ')})`;
  return `${condition === undefined ? `argMax(${value}, (time, commit))` : `argMaxIf(${value}, (time, commit), ${condition})`} AS ${name}`;
}

/** The fields of the tuple `name` as columns `<name>_<field>`; empty ones (no commit) where `none`. */
const revisionColumns = (name: string, none = false): string => REVISION_FIELDS.map(([field], i) => `${none ? "''" : `tupleElement(${name}, ${i + 1})`} AS ${name}_${field}`).join(', ');

/** The revision in the columns named `<name>_…`; undefined when there is none (no commit). */
const revisionReader =
  (name: string): FieldReader<ConfigRevision | undefined> =>
  (row) =>
    text(`${name}_commit`)(row) === ''
      ? undefined
      : {
          commit: text(`${name}_commit`)(row),
          time: isoFromMs(`${name}_time_ms`)(row),
          author: text(`${name}_author`)(row),
          message: text(`${name}_message`)(row),
          path: text(`${name}_path`)(row),
          blob: text(`${name}_blob`)(row),
        };

const readRevision = revisionReader('revision');
const readCurrent = revisionReader('current');

function deviceConfig(row: NamedRow): DeviceConfigState {
  const revision = readRevision(row);
  const current = readCurrent(row);
  return { time: isoFromUtcText('config_time')(row), description: text('config_description')(row), ...(revision ? { revision } : {}), ...(current ? { current } : {}) };
}

const stateDecoder: RowDecoder<EntityState> = {
  entityKind: text('entity_kind'),
  entity: text('entity'),
  versions: strings('versions'),
  config: (row) => (text('entity_kind')(row) === 'device' ? deviceConfig(row) : undefined),
};

/**
 * What could be rolled back to at `at` (Unix s): each service's latest version before it, with any
 * other version still seen in the `soakSeconds` before it (a canary, a partial rollout), and each
 * device's last config change before it (from syslog, traps or its config repository) with, where
 * a config repository is read, its last commit before it (the revision to restore) and its latest.
 * While no config commit is stored (`commitsStored` false) the statement leaves config_commits out,
 * from the changes it reads (changesSource) and from its join, which costs about 4 of 16 ms even
 * when empty: one flag for both, so they cannot disagree.
 */
export function stateQuery(scope: Scope | undefined, at: number, soakSeconds: number, commitsStored: boolean): DecodedQuery<EntityState> {
  const condition = scopeCondition(scope);
  const revisions = `
LEFT JOIN (
    SELECT 'device' AS entity_kind, device AS entity,
        ${revisionOf('revision', "time < toDateTime64({at:UInt32}, 3, 'UTC')")},
        ${revisionOf('current')}
    FROM config_commits FINAL
    GROUP BY device
) AS revisions USING (entity_kind, entity)`;
  return {
    sql: `
SELECT entity_kind, entity, versions, config_time, config_description, ${revisionColumns('revision', !commitsStored)}, ${revisionColumns('current', !commitsStored)}
FROM (
    SELECT 'service' AS entity_kind, service AS entity,
        arraySort(groupArrayIf(version, version = latest OR last_seen >= toDateTime64({at:UInt32} - {soak:UInt32}, 9, 'UTC'))) AS versions,
        toDateTime64(0, 3, 'UTC') AS config_time, '' AS config_description
    FROM (
        SELECT service, version, first_seen, last_seen, argMax(version, first_seen) OVER (PARTITION BY service) AS latest
        FROM (SELECT service, version, min(first_seen) AS first_seen, max(last_seen) AS last_seen FROM service_versions GROUP BY service, version)
        WHERE first_seen < toDateTime64({at:UInt32}, 9, 'UTC')
    )
    GROUP BY service
    UNION ALL
    SELECT 'device', entity, [], max(time), argMax(description, time)
    FROM ${changesSource(commitsStored)}
    WHERE kind IN ({configChange:String}, {configCommit:String}) AND entity_kind = 'device' AND time < toDateTime64({at:UInt32}, 3, 'UTC')
    GROUP BY entity
) AS state${commitsStored ? revisions : ''}
WHERE ${condition.sql}
ORDER BY entity_kind DESC, entity`,
    params: { ...condition.params, at, soak: soakSeconds, configChange: 'config_change' satisfies DeviceEventKind, configCommit: CONFIG_COMMIT },
    decoder: stateDecoder,
  };
}

/** A source, with how far windows are complete and how many sources are live (the same on every row). */
export interface SourceRow extends Source {
  completeUntilMs: number;
  liveSources: number;
}

/** Every source's latest watermark, whether it is stale (silent for longer than stale_after), and how far windows are complete. */
export function sourcesQuery(now: number, staleAfterSeconds: number): DecodedQuery<SourceRow> {
  return {
    sql: `
SELECT source, kind, toUnixTimestamp64Milli(watermark) AS watermark_ms, toUnixTimestamp64Milli(last_seen) AS last_seen_ms,
    last_seen < toDateTime64({now:UInt32} - {stale_after:UInt32}, 3, 'UTC') AS stale,
    -- Complete up to the earliest watermark of the sources that are not stale.
    minIf(watermark_ms, NOT stale) OVER () AS complete_until_ms,
    countIf(NOT stale) OVER () AS live_sources
FROM source_watermarks FINAL
ORDER BY source`,
    params: { now, stale_after: staleAfterSeconds },
    decoder: {
      source: text('source'),
      kind: text('kind'),
      watermark: isoFromMs('watermark_ms'),
      lastSeen: isoFromMs('last_seen_ms'),
      stale: flag('stale'),
      completeUntilMs: number('complete_until_ms'),
      liveSources: number('live_sources'),
    },
  };
}
