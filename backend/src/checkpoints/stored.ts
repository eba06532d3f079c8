import { column, type DecodedQuery, number, text } from '../store/row-decoder.js';
import type { Query } from '../store/store.js';

// Reads back what the recompute stored in the incidents and checkpoints tables, and clears a range of it.

/** What the recompute stored for a scope: its open incidents and its latest checkpoint. */
export interface ScopeSummary {
  scope: string;
  openIncidents: number;
  /** Unix seconds; null when no checkpoint was found. */
  checkpointSeconds: number | null;
}

/** Per scope: incidents still open, and the scope's latest checkpoint (Unix s, NULL when none). */
export function scopeSummaryQuery(scopes: readonly string[]): DecodedQuery<ScopeSummary> {
  return {
    sql: `
SELECT s.scope AS scope_name, coalesce(i.open, 0) AS open, c.checkpoint AS checkpoint_seconds
FROM (SELECT arrayJoin({scopes:Array(String)}) AS scope) AS s
LEFT JOIN (SELECT scope, countIf(status = 'open') AS open FROM incidents FINAL GROUP BY scope) AS i ON i.scope = s.scope
LEFT JOIN (SELECT scope, toUnixTimestamp(checkpoint) AS checkpoint FROM checkpoints FINAL WHERE incident_id = '') AS c ON c.scope = s.scope
ORDER BY s.scope
SETTINGS join_use_nulls = 1`,
    params: { scopes: [...scopes] },
    decoder: {
      scope: text('scope_name'),
      openIncidents: number('open'),
      checkpointSeconds: (row) => (column(row, 'checkpoint_seconds') === null ? null : number('checkpoint_seconds')(row)),
    },
  };
}

/** The earliest start (Unix s; 0 when none) of the stored incidents that meet `condition`. */
const earliestIncidentQuery = (condition: string, params: Record<string, unknown>): DecodedQuery<{ earliest: number }> => ({
  sql: `SELECT toUnixTimestamp(min(start)) AS earliest FROM incidents FINAL WHERE ${condition}`,
  params,
  decoder: { earliest: number('earliest') },
});

/** The earliest start of the stored incidents still open. */
export const earliestOpenIncidentQuery = (): DecodedQuery<{ earliest: number }> => earliestIncidentQuery("status = 'open'", {});

/** The earliest start of the stored incidents that `at` (Unix s) falls in or directly follows. */
export const incidentAtQuery = (at: number): DecodedQuery<{ earliest: number }> =>
  earliestIncidentQuery("start <= toDateTime({at:UInt32}, 'UTC') AND `end` >= toDateTime({at:UInt32}, 'UTC')", { at });

/** Removes a scope's stored incidents starting in [from, to) (Unix s), before the range is stored again. */
export const incidentsDelete = (scope: string, from: number, to: number): Query => ({
  sql: "DELETE FROM incidents WHERE scope = {scope:String} AND start >= toDateTime({from:UInt32}, 'UTC') AND start < toDateTime({to:UInt32}, 'UTC')",
  params: { scope, from, to },
});
