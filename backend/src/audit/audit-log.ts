import { type DecodedQuery, isoFromMs, number, text } from '../store/row-decoder.js';
import type { Store } from '../store/store.js';

// The audit trail: one row of audit_log per write through the API (and per offline restore),
// naming the token that did it, never the token itself.

export interface AuditEntry {
  /** The token's name ("anonymous" on a backend without tokens; empty when the token was not known). */
  tokenName: string;
  /** The token's role; empty when it was not known. */
  role: string;
  /** Where the request came from (the peer address; a proxy's, behind one). */
  address: string;
  method: string;
  /** The route as registered (":id" and all), or the path of a request that matched none. */
  route: string;
  /** What it did: marker, recompute, backup, restore, or "<method> <route>" for a route without a name. */
  action: string;
  /** A line about it: the marker's entity and kind, the recompute's range, the backup's kind and name. */
  detail: string;
  /** The HTTP status of the answer; 0 where there was no HTTP request. */
  status: number;
}

/** An entry with the time it was made. */
export type TimedAuditEntry = AuditEntry & { time: Date };

/** Records entries in one INSERT. */
export function recordAuditEntries(store: Store, entries: readonly TimedAuditEntry[]): Promise<void> {
  return store.insert(
    'audit_log',
    entries.map((entry) => ({
      time: entry.time.toISOString(),
      token_name: entry.tokenName,
      role: entry.role,
      address: entry.address,
      method: entry.method,
      route: entry.route,
      action: entry.action,
      detail: entry.detail,
      status: entry.status,
    })),
  );
}

/** Records one audit entry, made at `time`. */
export const recordAuditEntry = (store: Store, entry: AuditEntry, time: Date = new Date()): Promise<void> => recordAuditEntries(store, [{ ...entry, time }]);

/** One entry as the API and `rollpoint audit` show it. */
export interface AuditRecord extends AuditEntry {
  /** ISO 8601, UTC. */
  time: string;
}

/** The latest `limit` entries since `sinceSeconds` (Unix seconds), newest first. */
export const auditEntriesQuery = (sinceSeconds: number, limit: number): DecodedQuery<AuditRecord> => ({
  sql: `SELECT toUnixTimestamp64Milli(time) AS time_ms, token_name, role, address, method, route, action, detail, status
        FROM audit_log
        WHERE time >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')
        ORDER BY time DESC
        LIMIT {limit:UInt32}`,
  params: { since: Math.round(sinceSeconds * 1000), limit },
  decoder: {
    time: isoFromMs('time_ms'),
    tokenName: text('token_name'),
    role: text('role'),
    address: text('address'),
    method: text('method'),
    route: text('route'),
    action: text('action'),
    detail: text('detail'),
    status: number('status'),
  },
});
