import type { Query } from '../store/store.js';

// Reads back what the recompute stored in the incidents and checkpoints tables.

/** Per scope: incidents still open, and the scope's latest checkpoint (Unix s, NULL when none). */
export function scopeSummaryQuery(scopes: readonly string[]): Query {
  return {
    sql: `
SELECT s.scope, coalesce(i.open, 0) AS open, c.checkpoint
FROM (SELECT arrayJoin({scopes:Array(String)}) AS scope) AS s
LEFT JOIN (SELECT scope, countIf(status = 'open') AS open FROM incidents FINAL GROUP BY scope) AS i ON i.scope = s.scope
LEFT JOIN (SELECT scope, toUnixTimestamp(checkpoint) AS checkpoint FROM checkpoints FINAL WHERE incident_id = '') AS c ON c.scope = s.scope
ORDER BY s.scope
SETTINGS join_use_nulls = 1`,
    params: { scopes: [...scopes] },
  };
}
