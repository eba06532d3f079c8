import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { RefusedStatementError } from '../store/read-only-statement.js';
import { READONLY_ERROR_CODE, type ReadOnlyAnswer, StoreError } from '../store/store.js';
import type { BackendMetrics } from '../telemetry/metrics.js';
import { readableTablesOf } from './access.js';
import type { ApiContext } from './server.js';

/** The statement from a text/plain body or a JSON body {"sql": "..."}. */
function statementOf(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  if (typeof body === 'object' && body !== null && typeof (body as { sql?: unknown }).sql === 'string') return (body as { sql: string }).sql;
  return undefined;
}

const TOO_MANY_ROWS_OR_BYTES = 396;
const TIMEOUT_EXCEEDED = 159;

type Outcome = 'ok' | 'bad_request' | 'forbidden' | 'too_large' | 'timeout' | 'error';

interface Failure {
  status: number;
  outcome: Outcome;
  body: { error: string; code?: number; message: string };
}

/** What the client is told of a failed statement, naming the setting behind a limit it reached. */
function failure(err: StoreError): Failure {
  if (err instanceof RefusedStatementError) {
    if (err.reason === 'other_tables') return { status: 403, outcome: 'forbidden', body: { error: 'forbidden', message: err.message } };
    return err.reason !== 'own_format'
      ? { status: 403, outcome: 'forbidden', body: { error: 'read_only', message: err.message } }
      : { status: 400, outcome: 'bad_request', body: { error: 'own_format', message: err.message } };
  }
  if (err.code === READONLY_ERROR_CODE) {
    return { status: 403, outcome: 'forbidden', body: { error: 'read_only', message: `only reading statements are allowed here: ${err.message}` } };
  }
  if (err.code === TOO_MANY_ROWS_OR_BYTES) {
    // ClickHouse's text says which: "Limit for result exceeded, max bytes: …" or "… max rows: …".
    const setting = /max bytes/.test(err.message) ? 'sql.max_result_mib (ClickHouse max_result_bytes)' : 'sql.max_rows (ClickHouse max_result_rows)';
    return {
      status: 400,
      outcome: 'too_large',
      body: { error: 'result_too_large', code: err.code, message: `the answer is larger than ${setting} allows; narrow it with WHERE, LIMIT or an aggregate. ClickHouse said: ${err.message}` },
    };
  }
  if (err.code === TIMEOUT_EXCEEDED) {
    return { status: 400, outcome: 'timeout', body: { error: 'timeout', code: err.code, message: `the statement ran longer than sql.timeout allows. ClickHouse said: ${err.message}` } };
  }
  return { status: 400, outcome: 'error', body: { error: 'query_failed', ...(err.code !== undefined ? { code: err.code } : {}), message: err.message } };
}

/**
 * The answer {columns, rows} as it is read: the rows' text goes through unparsed. A statement that
 * fails once rows have been sent ends the document with an "error" member instead of its last `]`.
 */
async function* answerBody(answer: ReadOnlyAnswer, metrics: BackendMetrics): AsyncGenerator<Buffer | string> {
  yield `{"columns":${JSON.stringify(answer.columns)},"rows":[`;
  try {
    for await (const rows of answer.rows) yield rows;
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    const { outcome, body } = failure(err);
    metrics.sqlQueries.inc({ outcome });
    yield `],"error":${JSON.stringify(body)}}`;
    return;
  }
  metrics.sqlQueries.inc({ outcome: 'ok' });
  yield ']}';
}

function send(reply: FastifyReply, answer: ReadOnlyAnswer, metrics: BackendMetrics): FastifyReply {
  const body = Readable.from(answerBody(answer, metrics));
  // A client gone before the end stops the statement (the generator may not have started at all).
  body.once('close', () => void answer.rows.return());
  return reply.type('application/json; charset=utf-8').send(body);
}

/**
 * POST /api/v1/sql: one read-only statement, answered as {columns, rows}, streamed. Read-only and the
 * result limits are enforced by ClickHouse (readonly=1, max_result_rows/bytes on the connection),
 * so a write or a huge answer is refused by the engine, not by a regex. A token limited to scopes
 * may read rollpoint's tables only, and only an admin's may read audit_log and the backups, as the
 * engine's analyzer resolves the statement.
 */
export function registerSqlRoute(app: FastifyInstance, { store, metrics }: ApiContext): void {
  app.post('/api/v1/sql', async (request, reply) => {
    const sql = statementOf(request.body)?.trim();
    if (!sql) {
      metrics.sqlQueries.inc({ outcome: 'bad_request' });
      return reply.code(400).send({ error: 'bad_request', message: 'send one SQL statement as text/plain, or JSON {"sql": "..."}' });
    }
    let answer: ReadOnlyAnswer;
    try {
      const readable = readableTablesOf(request);
      answer = await store.queryReadOnly(sql, readable ? { readable } : {});
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      const { status, outcome, body } = failure(err);
      metrics.sqlQueries.inc({ outcome });
      if (err instanceof RefusedStatementError && err.reason === 'other_tables') metrics.apiForbidden.inc({ reason: 'tables' });
      return reply.code(status).send(body);
    }
    return send(reply, answer, metrics);
  });
}
