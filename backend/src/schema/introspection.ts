import type { Query } from '../store/store.js';
import { SIGNAL_TABLES } from './tables.js';

/** Rows per rollpoint table, from the active parts (cheap: no table scan). */
export const tableRowCountsQuery = (): Query => ({
  sql: `SELECT name, toString(coalesce(total_rows, 0)) AS rows
        FROM system.tables
        WHERE database = currentDatabase() AND has({tables:Array(String)}, name)
        ORDER BY name`,
  params: { tables: [...SIGNAL_TABLES] },
});
