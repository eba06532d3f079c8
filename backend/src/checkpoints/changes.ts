import { z } from 'zod';
import { changesWithoutCommitsSelect } from '../schema/view-ddl.js';
import { type DecodedQuery, flag, isoFromMs, number, type RowDecoder, text } from '../store/row-decoder.js';
import type { Row } from '../store/store.js';
import type { Change } from './api-types.js';
import type { Scope } from './config.js';
import { scopeCondition } from './scopes.js';

// Changes posted by people and pipelines (deploy tools, change management), like Grafana
// annotations or Honeycomb markers: who changed what, on which entity, when.

export const markerSchema = z.strictObject({
  /** When the change happened (ISO 8601); default: now. */
  time: z.iso.datetime({ offset: true }).optional(),
  entity_kind: z.enum(['service', 'host', 'device']),
  entity: z.string().min(1).max(256),
  /** What changed, in a line. */
  title: z.string().min(1).max(500),
  /** Who changed it. */
  author: z.string().max(200).default(''),
  description: z.string().max(10000).default(''),
  /** The kind of change; default "marker". */
  kind: z.string().regex(/^[a-z_]{1,40}$/).default('marker'),
});

export type Marker = z.output<typeof markerSchema>;

export function markerRow(marker: Marker, nowMs: number = Date.now()): Row {
  return {
    time: new Date(marker.time ?? nowMs).toISOString(),
    entity_kind: marker.entity_kind,
    entity: marker.entity,
    kind: marker.kind,
    title: marker.title,
    author: marker.author,
    description: marker.description,
    source: 'api',
  };
}

/** A row of changesQuery or suspectsQuery (suspects.ts), which share these columns. */
export const changeDecoder: RowDecoder<Change> = {
  time: isoFromMs('time_ms'),
  source: text('source'),
  entityKind: text('entity_kind'),
  entity: text('entity'),
  kind: text('kind'),
  title: text('title'),
  author: text('author'),
  description: text('description'),
  version: text('version'),
  previousVersion: text('previous_version'),
  onFirstBad: flag('on_first_bad'),
};

/** Whether config_commits holds any commit (a config repository is read, or was). */
export const storedCommitQuery: DecodedQuery<{ stored: number }> = {
  sql: 'SELECT count() AS stored FROM (SELECT 1 FROM config_commits LIMIT 1)',
  params: {},
  decoder: { stored: number('stored') },
};

/**
 * What the queries read the changes from: the changes view or, while no config commit is stored,
 * its rows without the repository's commits. The view's joins with config_commits are planned and
 * run even when it is empty, about 15 ms of each statement that reads it.
 */
export const changesSource = (commitsStored: boolean): string => (commitsStored ? 'changes' : `(${changesWithoutCommitsSelect({ ttlDays: 0 })})`);

/** The changes in a scope and time range (Unix s), newest first, read from `source` (changesSource); the columns of suspectsQuery. */
export function changesQuery(scope: Scope | undefined, source: string, from: number, to: number, limit: number): DecodedQuery<Change> {
  const condition = scopeCondition(scope);
  return {
    sql: `
SELECT toUnixTimestamp64Milli(time) AS time_ms, entity_kind, entity, kind, title, author, description, source, version, previous_version, 0 AS on_first_bad
FROM ${source}
WHERE ${condition.sql} AND time >= toDateTime64({from:UInt32}, 3, 'UTC') AND time < toDateTime64({to:UInt32}, 3, 'UTC')
ORDER BY time DESC, entity
LIMIT {limit:UInt32}`,
    params: { ...condition.params, from, to, limit },
    decoder: changeDecoder,
  };
}
