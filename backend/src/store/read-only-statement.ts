import { CHANGES_VIEW, TABLE_NAMES } from '../schema/tables.js';
import { StoreError } from './store.js';

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
    /** own_format: it named a FORMAT; writes_file: INTO OUTFILE; other_tables: it reads more than rollpoint's tables; backup: a BACKUP or RESTORE. */
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

/**
 * What a statement limited to rollpoint's tables may read: its tables and the changes view, not
 * audit_log nor the backup catalogue (whose readers are admins).
 */
export const ROLLPOINT_READABLE_TABLES: readonly string[] = [...TABLE_NAMES.filter((t) => t !== 'audit_log' && t !== 'backups'), CHANGES_VIEW];

/**
 * What the engine's analyzer resolves a SELECT to: every table it reads (views, IN subqueries,
 * CTEs and JOINs followed) as "TABLE … table_name: <database>.<table>", every table function as
 * TABLE_FUNCTION, every function as FUNCTION. Only a SELECT has one.
 */
export const queryTreeStatement = (sql: string): string => `EXPLAIN QUERY TREE ${sql}`;

const TREE_TABLE = /^\s*TABLE id: \d+.*, table_name: (.+)$/;
const TREE_TABLE_FUNCTION = /^\s*TABLE_FUNCTION id: \d+.*, table_function_name: (\S+)$/;
const TREE_FUNCTION = /^\s*FUNCTION id: \d+, function_name: ([^,]+),/;
// Functions that read a dictionary or another table by name.
const READS_OTHER_TABLES = /^(dict[A-Z]\w*|joinGet\w*|hasColumnInTable)$/;

const otherTables = (what: string): RefusedStatementError =>
  new RefusedStatementError(`this token is limited to scopes, so its SQL may read rollpoint's tables only (${ROLLPOINT_READABLE_TABLES.join(', ')}); the statement reads ${what}`, 'other_tables');

/** Refuses a statement whose query tree (queryTreeStatement's answer) reads anything but `database`'s ROLLPOINT_READABLE_TABLES. */
export function checkQueryTree(tree: string, database: string): void {
  const allowed = new Set(ROLLPOINT_READABLE_TABLES.map((t) => `${database}.${t}`));
  for (const line of tree.split('\n')) {
    const table = TREE_TABLE.exec(line)?.[1];
    if (table !== undefined && !allowed.has(table)) throw otherTables(`table ${table}`);
    const tableFunction = TREE_TABLE_FUNCTION.exec(line)?.[1];
    if (tableFunction !== undefined) throw otherTables(`the table function ${tableFunction}()`);
    const fn = TREE_FUNCTION.exec(line)?.[1];
    if (fn !== undefined && READS_OTHER_TABLES.test(fn)) throw otherTables(`through ${fn}()`);
  }
}

const SYNTAX_ERROR = 62;

/** The engine's error about the query tree: a statement that parsed (formatQuery) but has none is not a SELECT. */
export function queryTreeError(err: StoreError): StoreError {
  if (err.code !== SYNTAX_ERROR) return err;
  return new RefusedStatementError("this token is limited to scopes, so its SQL may be a SELECT over rollpoint's tables only (no SHOW, DESCRIBE or EXPLAIN)", 'other_tables');
}
