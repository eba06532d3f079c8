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
    /** own_format: it named a FORMAT; writes_file: INTO OUTFILE; backup: a BACKUP or RESTORE. */
    readonly reason: 'own_format' | 'writes_file' | 'backup',
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
