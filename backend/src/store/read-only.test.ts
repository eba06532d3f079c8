import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ChdbStore } from './chdb.js';
import { readWholeAnswer } from './read-only-answer.js';
import { RefusedStatementError } from './read-only-statement.js';
import { READONLY_ERROR_CODE, StoreError } from './store.js';

// Analysts' statements on the embedded engine for real: streamed answers, ClickHouse's own limits,
// and what the engine's parser says a statement asks for.

const MIB = 1024 * 1024;
const failure = (promise: Promise<unknown>): Promise<StoreError> =>
  promise.then(
    () => expect.fail('the statement should have failed'),
    (err: unknown) => {
      expect(err).to.be.instanceOf(StoreError);
      return err as StoreError;
    },
  );

describe('analysts’ statements on the embedded engine', function () {
  let store: ChdbStore;
  const path = mkdtempSync(join(tmpdir(), 'rollpoint-read-only-'));

  before(function () {
    store = new ChdbStore({ path, readOnlyMaxRows: 1_000_000, readOnlyMaxBytes: 16 * MIB, readOnlyTimeoutMs: 30000 });
  });
  after(async function () {
    await store.close();
    rmSync(path, { recursive: true, force: true });
  });

  it('answers SELECT * FROM system.settings, showing the readonly the statement runs with', async function () {
    const { columns, rows } = await readWholeAnswer(await store.queryReadOnly("SELECT * FROM system.settings WHERE name = 'readonly'"));
    expect(columns.slice(0, 2)).to.deep.equal([
      { name: 'name', type: 'String' },
      { name: 'value', type: 'String' },
    ]);
    expect(rows).to.have.length(1);
    expect(rows[0]!.slice(0, 2)).to.deep.equal(['readonly', '1']);
  });

  it('streams an answer of many blocks in chunks, its values exact (64-bit integers as text, escaped newlines)', async function () {
    const answer = await store.queryReadOnly("SELECT number, toString(number) AS text, 'a\\nb' AS line, toUInt64(18446744073709551615) AS max FROM numbers(200000)");
    expect(answer.columns.map((c) => c.type)).to.deep.equal(['UInt64', 'String', 'String', 'UInt64']);
    const chunks: Buffer[] = [];
    for await (const chunk of answer.rows) chunks.push(chunk);
    expect(chunks.length).to.be.above(1);
    const rows = JSON.parse(`[${Buffer.concat(chunks).toString()}]`) as unknown[][];
    expect(rows).to.have.length(200000);
    expect(rows[0]).to.deep.equal(['0', '0', 'a\nb', '18446744073709551615']);
    expect(rows[199999]).to.deep.equal(['199999', '199999', 'a\nb', '18446744073709551615']);
  });

  it('answers statements chdb cannot stream (SHOW, DESCRIBE) and statements without rows', async function () {
    const described = await readWholeAnswer(await store.queryReadOnly('DESCRIBE system.one'));
    expect(described.rows.map((row) => row.slice(0, 2))).to.deep.equal([['dummy', 'UInt8']]);
    const empty = await readWholeAnswer(await store.queryReadOnly('SELECT 1 AS one WHERE 0'));
    expect(empty).to.deep.equal({ columns: [{ name: 'one', type: 'UInt8' }], rows: [] });
  });

  it('refuses an answer over the byte limit in the engine, naming the limit, and answers the next statement', async function () {
    const err = await failure(store.queryReadOnly('SELECT groupArray(number) FROM numbers(10000000)').then(readWholeAnswer));
    expect(err.code).to.equal(396);
    expect(err.message).to.match(/Limit for result exceeded, max bytes: 16\.00 MiB/);
    // The case: chdb would prepend the failed statement's output to this answer on its connection.
    const { rows } = await readWholeAnswer(await store.queryReadOnly("SELECT name, value FROM system.settings WHERE name = 'readonly'"));
    expect(rows).to.deep.equal([['readonly', '1']]);
  });

  it('refuses a FORMAT or INTO OUTFILE of the statement’s own, read from its syntax, before it runs', async function () {
    const format = await failure(store.queryReadOnly('SELECT 1 FORMAT CSV'));
    expect(format).to.be.instanceOf(RefusedStatementError).and.include({ reason: 'own_format' });
    expect(format.message).to.match(/names its own output FORMAT/);
    const file = join(path, 'written.csv');
    const outfile = await failure(store.queryReadOnly(`SELECT 1 INTO OUTFILE '${file}'`));
    expect(outfile).to.be.instanceOf(RefusedStatementError).and.include({ reason: 'writes_file' });
    expect(existsSync(file)).to.equal(false);
    // Names that only look like the clause are columns and functions.
    const lookalike = await readWholeAnswer(await store.queryReadOnly("SELECT format('{} CSV', 'FORMAT') AS format"));
    expect(lookalike.rows).to.deep.equal([['FORMAT CSV']]);
  });

  it('reports the parser’s own error for a statement it cannot read, or for two statements', async function () {
    const typo = await failure(store.queryReadOnly('SELECT * FRO x'));
    expect(typo.code).to.equal(62);
    expect(typo.message).to.match(/^Code: 62\. DB::Exception: Syntax error: failed at position 14/).and.not.match(/formatQuery/);
    const two = await failure(store.queryReadOnly('SELECT 1; SELECT 2'));
    expect(two.message).to.match(/Multi-statements are not allowed/);
    const write = await failure(store.queryReadOnly('CREATE TABLE t (x UInt8) ENGINE = Memory'));
    expect(write.code).to.equal(READONLY_ERROR_CODE);
  });

  it('stops a statement past the timeout in the engine (max_execution_time)', async function () {
    // A second store on the same data, with a 1 s limit: chdb lets connections to one folder coexist.
    const strict = new ChdbStore({ path, readOnlyMaxRows: 10, readOnlyTimeoutMs: 1000 });
    try {
      const err = await failure(strict.queryReadOnly('SELECT sleepEachRow(0.25) FROM numbers(8)').then(readWholeAnswer));
      expect(err.code).to.equal(159);
      expect(err.message).to.match(/Timeout exceeded/);
    } finally {
      await strict.close();
    }
    expect((await readWholeAnswer(await store.queryReadOnly('SELECT 1 AS one'))).rows).to.deep.equal([[1]]);
  });

  it('serves statements side by side, and one stopped part-way does not hold up the next', async function () {
    const [first, second] = await Promise.all([store.queryReadOnly('SELECT number FROM numbers(100000)'), store.queryReadOnly('SELECT number FROM numbers(3)')]);
    expect((await readWholeAnswer(second!)).rows).to.deep.equal([['0'], ['1'], ['2']]);
    const started = await first!.rows.next();
    expect(started.done).to.equal(false);
    await first!.rows.return();
    expect((await readWholeAnswer(await store.queryReadOnly('SELECT count() FROM numbers(100000)'))).rows).to.deep.equal([['100000']]);
  });
});
