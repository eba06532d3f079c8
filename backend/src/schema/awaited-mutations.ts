import { pollUntil } from '@rollpoint/runtime';
import { withoutStackTrace, type Query, type Store } from '../store/store.js';

// A migration statement that rewrites a column and waits for it (… SETTINGS mutations_sync = 2,
// migration 10) can take longer on a big store than the server driver's request timeout. The
// mutation goes on in the server all the same, but the migration is not recorded: run again, it
// would queue another rewrite of the whole column each time. So such a statement is not sent again
// when system.mutations holds its mutation already: that one is waited for there, in short queries.

/** ALTER TABLE [db.]table [ON CLUSTER c] <command> SETTINGS mutations_sync = 2 */
const AWAITED_MUTATION = /^ALTER TABLE (?:(\w+)\.)?(\w+)(?: ON CLUSTER \w+)? ([\s\S]+?)\s+SETTINGS mutations_sync = 2$/;

interface Mutation {
  /** Absent: the current database. */
  database?: string;
  table: string;
  command: string;
}

/** The mutation a statement queues and waits for; undefined for any other statement. */
export function awaitedMutationOf(statement: string): Mutation | undefined {
  const match = AWAITED_MUTATION.exec(statement.trim());
  if (match === null) return undefined;
  return { ...(match[1] !== undefined ? { database: match[1] } : {}), table: match[2]!, command: match[3]! };
}

/** The mutations of the table on this server (on a cluster, its local table's). */
const mutationsQuery = ({ database, table }: Mutation): Query => ({
  sql: `SELECT command, is_done, latest_fail_reason FROM system.mutations
        WHERE database = ${database === undefined ? 'currentDatabase()' : '{database:String}'} AND table = {table:String}`,
  params: { table, ...(database !== undefined ? { database } : {}) },
});

/** system.mutations shows a command in parentheses, spaced and quoted its own way. */
const comparable = (command: string): string => command.replace(/[\s()`]/g, '');

/**
 * Whether system.mutations holds the mutation already; if so, waits until it is done, looking again
 * after 50 ms, then twice as long each time up to 2 s. Throws the engine's reason while it fails.
 */
async function awaitQueued(store: Store, mutation: Mutation): Promise<boolean> {
  return pollUntil(async () => {
    const rows = await store.query<{ command: string; is_done: number | string; latest_fail_reason: string }>(mutationsQuery(mutation));
    const same = rows.filter((row) => comparable(row.command) === comparable(mutation.command));
    if (same.length === 0) return false;
    const pending = same.filter((row) => Number(row.is_done) !== 1);
    if (pending.length === 0) return true;
    const failing = pending.find((row) => row.latest_fail_reason !== '');
    if (failing !== undefined) throw new Error(`the mutation ${mutation.command} of ${mutation.table} fails: ${withoutStackTrace(failing.latest_fail_reason)}`);
    return undefined;
  }, { initialMs: 50, maxMs: 2000 });
}

/**
 * Runs one statement of a migration. One that waits for a mutation is sent only when no earlier run
 * queued that mutation; when the request ends before the mutation does (a timeout), or an earlier
 * run's is there, the mutation is waited for in system.mutations.
 */
export async function runMigrationStatement(store: Store, statement: string): Promise<void> {
  const mutation = awaitedMutationOf(statement);
  if (mutation === undefined) return store.command(statement);
  if (await awaitQueued(store, mutation)) return;
  try {
    await store.command(statement);
  } catch (err) {
    if (!(await awaitQueued(store, mutation))) throw err;
  }
}
