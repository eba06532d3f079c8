import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { startEmbeddedEngineServer, TEST_PASSWORD, TEST_USER, type ClickHouseServer } from '../testing/clickhouse-servers.js';
import { CLI_MAIN } from '../testing/paths.js';
import { startBackendProcess, tempFolder, type BackendProcess } from '../testing/processes.js';

const run = promisify(execFile);

// POST /api/v1/sql on the real backend, with each driver: the embedded engine, and a server (the
// ClickHouse 26 engine behind ClickHouse's HTTP interface, see testing/clickhouse-http.ts).

interface Answer {
  columns: Array<{ name: string; type: string }>;
  rows: unknown[][];
  error?: { error: string; message: string };
}

interface Reply {
  status: number;
  body: Answer & { error?: string | { error: string; message: string }; message?: string };
}

const SQL_LIMITS = { sql: { max_rows: 500000, max_result_mib: 16 } };

for (const driver of ['chdb', 'clickhouse'] as const) {
  describe(`SQL API bounds (${driver} driver)`, function () {
    this.timeout(180000);
    let server: ClickHouseServer | undefined;
    let backend: BackendProcess;

    before(async function () {
      if (driver === 'clickhouse') server = await startEmbeddedEngineServer();
      const storage = server ? { storage: { driver, clickhouse: { url: server.url, username: TEST_USER, password: TEST_PASSWORD } } } : {};
      backend = await startBackendProcess({ extra: { ...SQL_LIMITS, ...storage } });
    });
    after(async function () {
      await backend?.stop();
      await server?.stop();
    });

    const post = async (statement: string): Promise<Reply> => {
      const response = await fetch(`${backend.url}/api/v1/sql`, { method: 'POST', body: statement, headers: { 'content-type': 'text/plain' } });
      return { status: response.status, body: (await response.json()) as Reply['body'] };
    };

    it('answers SELECT * FROM system.settings WHERE name = readonly', async function () {
      const { status, body } = await post("SELECT * FROM system.settings WHERE name = 'readonly'");
      expect(status).to.equal(200);
      expect(body.columns[0]).to.deep.equal({ name: 'name', type: 'String' });
      expect(body.rows).to.have.length(1);
      expect(body.rows[0]!.slice(0, 2)).to.deep.equal(['readonly', '1']);
    });

    it('streams a large answer whole and exact', async function () {
      const { status, body } = await post("SELECT number, concat('line ', toString(number), '\\n') AS text FROM numbers(300000)");
      expect(status).to.equal(200);
      expect(body.rows).to.have.length(300000);
      expect(body.rows[299999]).to.deep.equal(['299999', 'line 299999\n']);
    });

    it('refuses an answer over sql.max_result_mib with a 400 naming it, and serves the next statement', async function () {
      const { status, body } = await post('SELECT groupArray(number) FROM numbers(10000000)');
      expect(status).to.equal(400);
      expect(body.error).to.equal('result_too_large');
      expect(body.message).to.include('sql.max_result_mib (ClickHouse max_result_bytes)').and.include('max bytes: 16.00 MiB');
      const next = await post('SELECT 6 * 7 AS answer');
      expect(next).to.deep.equal({ status: 200, body: { columns: [{ name: 'answer', type: 'UInt16' }], rows: [[42]] } });
      expect(await backend.metrics()).to.match(/rollpoint_backend_sql_queries_total\{outcome="too_large"\} [1-9]/);
    });

    it('says so when sql.max_rows is reached, whether before or after the answer began', async function () {
      const { status, body } = await post('SELECT number FROM numbers(2000000)');
      // The server holds an answer until the statement ends; the embedded engine's stream may have begun.
      if (driver === 'clickhouse') expect(status).to.equal(400);
      const failure = status === 200 ? body.error! : (body as unknown as { error: string; message: string });
      expect(failure).to.be.an('object');
      expect(failure.error).to.equal('result_too_large');
      expect(failure.message).to.include('sql.max_rows (ClickHouse max_result_rows)');
    });

    it('refuses a FORMAT or INTO OUTFILE of the statement’s own, clearly', async function () {
      const format = await post('SELECT 1 FORMAT CSV');
      expect(format.status).to.equal(400);
      expect(format.body).to.deep.include({ error: 'own_format' });
      expect(format.body.message).to.include('names its own output FORMAT');
      const file = join(tempFolder('outfile'), 'answer.json');
      const outfile = await post(`SELECT 1 INTO OUTFILE '${file}'`);
      expect(outfile.status).to.equal(403);
      expect(outfile.body).to.deep.include({ error: 'read_only' });
      expect(existsSync(file)).to.equal(false);
    });

    it('`rollpoint sql` prints the answer, and fails with the message of a limit', async function () {
      const ok = await run(process.execPath, [CLI_MAIN, '--url', backend.url, '--json', 'sql', 'SELECT number FROM numbers(3)']);
      expect(JSON.parse(ok.stdout)).to.deep.equal({ columns: [{ name: 'number', type: 'UInt64' }], rows: [['0'], ['1'], ['2']] });
      const refused = await run(process.execPath, [CLI_MAIN, '--url', backend.url, 'sql', 'SELECT groupArray(number) FROM numbers(10000000)']).catch(
        (err: { code: number; stderr: string }) => err,
      );
      expect(refused).to.include({ code: 1 });
      expect((refused as { stderr: string }).stderr).to.include('sql.max_result_mib');
    });
  });
}
