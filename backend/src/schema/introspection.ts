import { sqlString, type Query } from '../store/store.js';
import { databaseOf, storedName, type SchemaOptions } from './layout.js';
import { KEPT_TABLES, RETAINED_TABLES } from './retention.js';

const TABLES = [...RETAINED_TABLES, ...KEPT_TABLES];

/**
 * Rows and bytes on disk of each table (retained or kept), from its active parts (cheap: no table scan). On a
 * cluster, over every replica of the local tables (the disk they take), named as the tables read.
 */
export function tableSizesQuery(options: SchemaOptions): Query {
  const stored = TABLES.map(({ table }) => [storedName(table, options), table]);
  const parts = options.cluster === undefined ? 'system.parts' : `clusterAllReplicas(${sqlString(options.cluster)}, system.parts)`;
  return {
    sql: `SELECT transform(table, {stored:Array(String)}, {tables:Array(String)}, table) AS name,
          toString(sum(rows)) AS rows, toString(sum(bytes_on_disk)) AS bytes_on_disk
        FROM ${parts}
        WHERE active AND database = ${options.cluster === undefined ? 'currentDatabase()' : '{database:String}'} AND has({stored:Array(String)}, table)
        GROUP BY table`,
    params: { stored: stored.map(([name]) => name), tables: stored.map(([, table]) => table), ...(options.cluster === undefined ? {} : { database: databaseOf(options) }) },
  };
}

/** Each table's oldest row by the column that dates its rows, in Unix seconds (NULL when empty). */
export const oldestRowsQuery = (): Query => ({
  sql: TABLES.map(({ table, column }) => `SELECT '${table}' AS name, toUnixTimestamp(minOrNull(${column})) AS oldest FROM ${table}`).join('\nUNION ALL '),
  params: {},
});
