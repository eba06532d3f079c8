import { CHANGES_VIEW, TABLE_NAMES } from '../schema/tables.js';
import { type ReadableTables, StoreError } from './store.js';

/**
 * What rollpoint asks the engine before it runs an analyst's statement: the statement in the
 * canonical form of ClickHouse's own parser, so what it asks for is read from its syntax, not
 * guessed from its text or its answer. The statement is a query parameter, never spliced in.
 */
export const CANONICAL_STATEMENT = 'SELECT formatQuery({statement:String}) AS statement';

/** A statement refused before it ran, for what it asks of the answer rather than of the data. */
export class RefusedStatementError extends StoreError {
  constructor(
    message: string,
    /** own_format: it named a FORMAT; writes_file: INTO OUTFILE; other_tables: it reads tables its token may not (ReadableTables); backup: a BACKUP or RESTORE. */
    readonly reason: 'own_format' | 'writes_file' | 'other_tables' | 'backup',
  ) {
    super(message, undefined);
    this.name = 'RefusedStatementError';
  }
}

// formatQuery starts every clause of the outermost statement on a line of its own and writes the
// newlines of literals and identifiers escaped, so a clause can only be found at a line start.
const OWN_OUTPUT = /^(FORMAT|INTO OUTFILE) /m;

// readonly=1 does not stop BACKUP (seen with chdb 26.x), which writes wherever backups may go.
const BACKUP_OR_RESTORE = /^(BACKUP|RESTORE) /;

/** Refuses a statement (in canonical form) that names its own output format, writes a file, or backs up or restores. */
export function checkCanonicalStatement(canonical: string): void {
  if (BACKUP_OR_RESTORE.test(canonical)) {
    throw new RefusedStatementError('BACKUP and RESTORE are not analysts\' statements: use rollpoint backup create and rollpoint-backend restore', 'backup');
  }
  const clause = OWN_OUTPUT.exec(canonical)?.[1];
  if (clause === 'FORMAT') {
    throw new RefusedStatementError('the statement names its own output FORMAT; leave FORMAT out, the answer is always JSON {columns, rows}', 'own_format');
  }
  if (clause === 'INTO OUTFILE') {
    // The embedded engine would write the file as the backend, whatever readonly says.
    throw new RefusedStatementError("INTO OUTFILE would write a file on the backend's machine; leave it out, the answer comes back as JSON {columns, rows}", 'writes_file');
  }
}

/**
 * The engine's error about the statement itself, as running it would have reported it: without the
 * "In scope SELECT formatQuery('…')" of the statement that asked for its canonical form.
 */
export function statementError(err: StoreError): StoreError {
  const message = err.message.replace(/: In scope SELECT formatQuery\([\s\S]*\) AS statement\. \((\w+)\)/, '. ($1)');
  return message === err.message ? err : new StoreError(message, err.code);
}

/** rollpoint's tables whose readers are admins (GET /api/v1/audit, GET /api/v1/backups). */
const ADMIN_TABLES: readonly string[] = ['audit_log', 'backups'];

/** The engine's own record of backups, admins' too (system.backup_log exists where a server configures it). */
const ADMIN_SYSTEM_TABLES: readonly string[] = ['system.backups', 'system.backup_log'];

/** What a statement limited to rollpoint's tables may read: its tables but ADMIN_TABLES, and the changes view. */
export const ROLLPOINT_READABLE_TABLES: readonly string[] = [...TABLE_NAMES.filter((t) => !ADMIN_TABLES.includes(t)), CHANGES_VIEW];

/** A SELECT without FROM reads system.one: `SELECT 1`, `SELECT now()`. */
const NO_TABLE = 'system.one';

/**
 * What the engine's analyzer resolves a SELECT to: every table it reads (views, IN subqueries,
 * CTEs and JOINs followed) as "TABLE … table_name: <database>.<table>", every table function as
 * TABLE_FUNCTION, every function as FUNCTION. Only a SELECT has one.
 */
const queryTreeStatement = (sql: string): string => `EXPLAIN QUERY TREE ${sql}`;

/**
 * Whether a statement (in canonical form) is checked on its query tree before it runs: every one
 * limited to rollpoint's tables (what has no tree is refused), a query of the others. SHOW,
 * DESCRIBE and EXPLAIN read names and plans, not rows.
 */
const needsQueryTree = (canonical: string, readable: ReadableTables): boolean => readable === 'rollpoint_tables' || /^(SELECT|WITH)\b/.test(canonical);

const TREE_TABLE = /^\s*TABLE id: \d+.*, table_name: (.+)$/;
const TREE_TABLE_FUNCTION = /^\s*TABLE_FUNCTION id: \d+.*, table_function_name: (\S+)$/;
const TREE_FUNCTION = /^\s*FUNCTION id: \d+, function_name: ([^,]+),/;
// Functions that read a dictionary or another table by name.
const READS_OTHER_TABLES = /^(dict[A-Z]\w*|joinGet\w*|hasColumnInTable)$/;
// Table functions that read tables by name: merge() and view() pass readonly=1, and the analyzer
// does not show what they read.
const TABLE_FUNCTION_READS_TABLES = /^(merge|view\w*|loop|cluster\w*|remote\w*|mergeTree\w*)$/;

const otherTables = (what: string): RefusedStatementError =>
  new RefusedStatementError(`this token is limited to scopes, so its SQL may read rollpoint's tables only (${ROLLPOINT_READABLE_TABLES.join(', ')}); the statement reads ${what}`, 'other_tables');

const adminTables = (what: string): RefusedStatementError =>
  new RefusedStatementError(
    `only an admin token's SQL may read ${[...ADMIN_TABLES, ...ADMIN_SYSTEM_TABLES].join(', ')} or tables through merge(), view() and the like (GET /api/v1/audit and /api/v1/backups are the admin's); the statement reads ${what}`,
    'other_tables',
  );

/**
 * Refuses a statement whose query tree (queryTreeStatement's answer) reads what `readable` keeps
 * from it: anything but `database`'s ROLLPOINT_READABLE_TABLES, or any of the admin tables.
 */
function checkQueryTree(tree: string, database: string, readable: ReadableTables): void {
  const rollpointOnly = readable === 'rollpoint_tables';
  const allowed = new Set([...ROLLPOINT_READABLE_TABLES.map((t) => `${database}.${t}`), NO_TABLE]);
  const admins = new Set([...ADMIN_TABLES.map((t) => `${database}.${t}`), ...ADMIN_SYSTEM_TABLES]);
  const refused = rollpointOnly ? otherTables : adminTables;
  for (const line of tree.split('\n')) {
    const table = TREE_TABLE.exec(line)?.[1];
    if (table !== undefined && (rollpointOnly ? !allowed.has(table) : admins.has(table))) throw refused(`table ${table}`);
    const tableFunction = TREE_TABLE_FUNCTION.exec(line)?.[1];
    if (tableFunction !== undefined && (rollpointOnly || TABLE_FUNCTION_READS_TABLES.test(tableFunction))) throw refused(`the table function ${tableFunction}()`);
    const fn = TREE_FUNCTION.exec(line)?.[1];
    if (rollpointOnly && fn !== undefined && READS_OTHER_TABLES.test(fn)) throw refused(`through ${fn}()`);
  }
}

const SYNTAX_ERROR = 62;

/** The engine's error about the query tree: limited to rollpoint's tables, a statement that parsed (formatQuery) but has none is not a SELECT. */
function queryTreeError(err: StoreError, readable: ReadableTables): StoreError {
  if (err.code !== SYNTAX_ERROR || readable !== 'rollpoint_tables') return err;
  return new RefusedStatementError("this token is limited to scopes, so its SQL may be a SELECT over rollpoint's tables only (no SHOW, DESCRIBE or EXPLAIN)", 'other_tables');
}

/**
 * Refuses a statement (`sql`, in canonical form `canonical`) that reads what `readable` keeps from
 * it, as the engine's analyzer resolves it: `explain` runs a statement on the driver's connection
 * and answers its text (TSV, raw), throwing a StoreError; `database` holds rollpoint's tables.
 */
export async function checkReadableTables(canonical: string, sql: string, readable: ReadableTables, database: string, explain: (tree: string) => Promise<string>): Promise<void> {
  if (!needsQueryTree(canonical, readable)) return;
  let tree: string;
  try {
    tree = await explain(queryTreeStatement(sql));
  } catch (err) {
    throw queryTreeError(err as StoreError, readable);
  }
  checkQueryTree(tree, database, readable);
}
