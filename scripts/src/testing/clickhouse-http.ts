#!/usr/bin/env node
// ClickHouse's HTTP interface in front of the ClickHouse engine that chdb embeds (26.x), for the
// server driver's tests: the only ClickHouse server package this machine can install is 18.16,
// too old for the schema. The engine is real; only the HTTP framing is ours, and just the part
// @clickhouse/client uses: /ping, basic authentication, the `query`, `database`, `param_*` and
// settings URL parameters, gzip bodies (JSONEachRow inserts and RowBinary ones with a column list), and errors as text with X-ClickHouse-Exception-Code.
// Every statement received is appended to a log file as a JSON line, so a test can compare what
// reached the wire with what the embedded driver ran.
//
// Usage: node clickhouse-http.js <data folder> <port> <user> <password> [statement log]
// With TLS_CERT_FILE and TLS_KEY_FILE in the environment it serves HTTPS; with BACKUPS_DISK_PATH,
// the engine has a local disk `backups` there, its only backups.allowed_disk (BACKUP … TO Disk('backups', …)).
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Session } from 'chdb';

const [dataDir, portText, user, password, statementLog] = process.argv.slice(2);
if (!dataDir || !portText || !user || password === undefined) {
  process.stderr.write('usage: clickhouse-http <data folder> <port> <user> <password> [statement log]\n');
  process.exit(2);
}

// URL parameters that are not settings.
// wait_end_of_query is the server holding an answer until the statement ends, as this harness always does.
const NOT_SETTINGS = new Set(['query', 'database', 'query_id', 'default_format', 'session_id', 'role', 'enable_http_compression', 'wait_end_of_query']);
const INSERT = /^INSERT INTO (\w+) FORMAT (\w+)$/;
const ROW_BINARY_INSERT = /^INSERT INTO (\w+) \(([^)]*)\) FORMAT RowBinary$/;
let bodies = 0;

// One connection per set of settings: chdb takes settings per connection, and readonly=1 must
// hold for the whole statement, as it does on a server.
const sessions = new Map<string, Session>();
// The engine's configuration is the process's; every connection carries it, whichever opens first.
const { BACKUPS_DISK_PATH } = process.env;
const configArgs = BACKUPS_DISK_PATH
  ? ['--storage_configuration.disks.backups.type=local', `--storage_configuration.disks.backups.path=${BACKUPS_DISK_PATH}/`, '--backups.allowed_disk=backups']
  : [];
const argsOf = (settings: Record<string, string>): string[] => [...configArgs, ...Object.entries(settings).map(([name, value]) => `--${name}=${value}`)];

function sessionFor(settings: Record<string, string>): Session {
  const args = argsOf(settings);
  const key = args.join(' ');
  let session = sessions.get(key);
  if (!session) {
    session = new Session(dataDir!, { connectionArgs: args });
    sessions.set(key, session);
  }
  return session;
}

/** Closes the connection of these settings; the next statement with them gets a new one. */
function forgetSession(settings: Record<string, string>): void {
  const key = argsOf(settings).join(' ');
  sessions.get(key)?.close();
  sessions.delete(key);
}

// The inverse of the text escaping @clickhouse/client applies to a parameter value (it escapes
// quotes too), so chdb, which escapes again, hands the engine the value the client meant. A quote
// inside an Array(String) parameter cannot be carried this way; rollpoint's array parameters
// (table names, scope patterns) have none.
const UNESCAPE: Record<string, string> = { '\\': '\\', "'": "'", '0': '\0', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const unescapeParam = (text: string): string => text.replace(/\\([\\'0bfnrt])/g, (_all, c: string) => UNESCAPE[c]!);

class HttpError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly status = 500,
  ) {
    super(message);
  }
}

function authenticate(request: IncomingMessage): void {
  const basic = /^Basic (.+)$/.exec(request.headers.authorization ?? '');
  const [name, key] = basic ? Buffer.from(basic[1]!, 'base64').toString().split(/:(.*)/s) : [request.headers['x-clickhouse-user'], request.headers['x-clickhouse-key']];
  if (name !== user || (key ?? '') !== password) {
    throw new HttpError(516, `Code: 516. DB::Exception: ${String(name)}: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED)`, 401);
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

async function execute(request: IncomingMessage): Promise<Buffer> {
  authenticate(request);
  const url = new URL(request.url ?? '/', 'http://localhost');
  const database = url.searchParams.get('database') ?? 'default';
  if (database !== 'default') throw new HttpError(81, `Code: 81. DB::Exception: Database ${database} does not exist. (UNKNOWN_DATABASE)`, 404);
  const params: Record<string, string> = {};
  const settings: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    if (name.startsWith('param_')) params[name.slice('param_'.length)] = unescapeParam(value);
    else if (!NOT_SETTINGS.has(name)) settings[name] = value;
  }
  const body = await readBody(request);
  const inUrl = url.searchParams.get('query');
  const insert = inUrl === null ? null : INSERT.exec(inUrl);
  const rowBinary = inUrl === null ? null : ROW_BINARY_INSERT.exec(inUrl);
  const sql = insert || rowBinary ? inUrl! : [inUrl, body.toString()].filter((part) => part).join('\n');
  if (statementLog) appendFileSync(statementLog, `${JSON.stringify({ sql, params, settings })}\n`);
  if (insert) {
    const { output_format_json_quote_64bit_integers: _, ...insertSettings } = settings;
    await sessionFor({}).insert({ table: insert[1]!, values: body, format: insert[2] as 'JSONEachRow', settings: insertSettings });
    return Buffer.alloc(0);
  }
  if (rowBinary) {
    // chdb reads binary rows from a file only; the settings go with the statement.
    const file = join(tmpdir(), `clickhouse-http-${process.pid}-${++bodies}.rowbinary`);
    writeFileSync(file, body);
    const { output_format_json_quote_64bit_integers: _, ...insertSettings } = settings;
    const clause = Object.entries(insertSettings).map(([name, value]) => `${name} = '${value.replace(/'/g, "\\'")}'`).join(', ');
    try {
      await sessionFor({}).queryAsync(`INSERT INTO ${rowBinary[1]} (${rowBinary[2]}) FROM INFILE '${file}'${clause ? ` SETTINGS ${clause}` : ''} FORMAT RowBinary`);
    } finally {
      rmSync(file, { force: true });
    }
    return Buffer.alloc(0);
  }
  // A statement without a FORMAT of its own is answered in default_format, as a server does.
  const session = sessionFor(settings);
  try {
    const result = await session.queryBindAsync(sql, params, { format: url.searchParams.get('default_format') ?? 'TabSeparated' });
    return Buffer.from(result.bytes());
  } catch (err) {
    // chdb would prepend what the failed statement wrote to the next answer on this connection.
    forgetSession(settings);
    throw err;
  }
}

function answer(response: ServerResponse, status: number, body: Buffer | string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=UTF-8', ...headers });
  response.end(body);
}

const handle: RequestListener = (request, response) => {
  if (request.url === '/ping') return answer(response, 200, 'Ok.\n');
  execute(request).then(
    (body) => answer(response, 200, body),
    (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      const code = err instanceof HttpError ? err.code : Number(/Code: (\d+)/.exec(message)?.[1] ?? 1002);
      answer(response, err instanceof HttpError ? err.status : 500, `${message}\n`, { 'x-clickhouse-exception-code': String(code) });
    },
  );
};
const { TLS_CERT_FILE, TLS_KEY_FILE } = process.env;
const server = TLS_CERT_FILE && TLS_KEY_FILE ? createTlsServer({ cert: readFileSync(TLS_CERT_FILE), key: readFileSync(TLS_KEY_FILE) }, handle) : createServer(handle);
server.listen(Number(portText), '127.0.0.1', () => process.stdout.write(`listening on 127.0.0.1:${portText}\n`));
