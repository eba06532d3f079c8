import { appendFileSync, rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { fuzzSeed, randomInt, seededRandom } from '../testing/random.js';
import { metricValue, startAgentProcess, startBackendProcess, tempFolder, waitUntil, type AgentProcess, type BackendProcess } from '../testing/processes.js';

// Random bytes written to files a real agent's filelog receiver follows: NULs, invalid UTF-8,
// carriage returns, lines far over max_log_size, lines cut short, a last line without its newline,
// a file truncated in place and written anew — among well-formed lines that carry a marker. The
// agent must stay up, every marked line must be stored exactly once, and every other byte stored
// as text: as many records as the lines written make (a long line in max_log_size pieces), all
// accepted. FUZZ_SEED replays a run; the seed is in every failure's message.

const SEED = fuzzSeed(20261201);
const FILES = 3;
const ROUNDS = 150;
const MAX_LOG_SIZE = 4096;
const NEWLINE = 0x0a;

describe(`filelog fuzzing: random bytes in followed files (seed ${SEED})`, function () {
  this.timeout(240000);
  let backend: BackendProcess;
  let agent: AgentProcess;
  let folder: string;
  const next = seededRandom(SEED);
  const int = randomInt(next);
  let markers = 0;
  /** Records the bytes written make: one per line, a long line one per max_log_size bytes. */
  let records = 0;

  const logPath = (file: number) => join(folder, `fuzz-${file}.log`);
  const recordsOf = (line: Buffer) => Math.max(1, Math.ceil(line.length / MAX_LOG_SIZE));
  const ascii = (length: number) => Buffer.from(Array.from({ length }, () => 'abcdefghijklmnopqrstuvwxyz ,.;'.charCodeAt(int(30))));

  /** One line's bytes, without its newline. */
  function line(): Buffer {
    const choice = int(10);
    if (choice < 4) return Buffer.from(`${new Date().toISOString()} app[${int(9999)}]: fuzzok-${++markers} ${ascii(int(80)).toString()}`);
    // Random bytes: NULs, CRs, invalid UTF-8 and all, but for the newline.
    if (choice < 7) return Buffer.from(Array.from({ length: int(1000) }, () => int(256)).filter((b) => b !== NEWLINE));
    // A well-formed line cut short, the rest never written (a writer that died mid-line).
    if (choice < 8) return Buffer.from(`${new Date().toISOString()} app[1]: fuzzcut ${ascii(100).toString()}`).subarray(0, int(120));
    // Far over max_log_size.
    if (choice < 9) return ascii(MAX_LOG_SIZE + int(6 * MAX_LOG_SIZE));
    // Invalid UTF-8 sequences on their own: lone continuation bytes, overlongs, a cut 4-byte sequence.
    return Buffer.from([0x80, 0xbf, 0xc0, 0xaf, 0xe0, 0x80, 0xf0, 0x9f, 0x98, 0xc3]);
  }

  /** Appends `lines` lines to the file, each with its newline. */
  function write(file: number, lines: number): void {
    const made = Array.from({ length: lines }, line);
    records += made.reduce((sum, l) => sum + recordsOf(l), 0);
    appendFileSync(logPath(file), Buffer.concat(made.flatMap((l) => [l, Buffer.from([NEWLINE])])));
  }

  const storedCounts = async () => {
    const [row] = await backend.sql(
      "SELECT count() AS n, countIf(position(Body, 'fuzzok-') > 0) AS marked, uniqExact(if(position(Body, 'fuzzok-') > 0, extract(Body, 'fuzzok-[0-9]+'), '')) - 1 AS distinct_marked, max(length(Body)) AS longest FROM otel_logs WHERE ScopeName = 'rollpoint/filelog'",
    );
    return { n: Number(row!.n), marked: Number(row!.marked), distinctMarked: Number(row!.distinct_marked), longest: Number(row!.longest) };
  };
  const accepted = async () => metricValue(await agent.metrics(), 'rollpoint_agent_receiver_accepted_records_total{receiver="filelog",signal="logs"}');
  const allStored = (what: string) => waitUntil(async () => (await storedCounts()).n >= records, `${what} (seed ${SEED})`, 90000, agent);

  before(async function () {
    folder = tempFolder('filelog-fuzz');
    // Each file starts with a line of its own: files are known by their first bytes.
    for (let file = 0; file < FILES; file++) appendFileSync(logPath(file), `fuzz file ${file} begins\n`);
    records += FILES;
    backend = await startBackendProcess();
    agent = await startAgentProcess({
      backendGrpcPort: backend.grpcPort,
      batch: { timeout: '10ms' },
      filelog: { include: [join(folder, '*.log')], start_at: 'beginning', poll_interval: '50ms', max_log_size: MAX_LOG_SIZE },
    });
  });

  after(async function () {
    await agent?.stop();
    await backend?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('stays up, stores every marked line once and every other byte as text', async function () {
    for (let round = 0; round < ROUNDS; round++) {
      write(int(FILES), 1 + int(20));
      // Now and then, give the agent a poll to read a part written so far.
      if (round % 25 === 0) await new Promise((resolve) => setTimeout(resolve, 60));
    }
    // The last line of each file without its newline: stored once the file stops growing.
    for (let file = 0; file < FILES; file++) {
      appendFileSync(logPath(file), `${new Date().toISOString()} app[1]: fuzzok-${++markers} no newline`);
      records++;
    }
    await allStored('every record of the random files');

    // Truncated in place and written anew (copytruncate, or a writer starting over): a new file.
    truncateSync(logPath(0), 0);
    appendFileSync(logPath(0), 'fuzz file 0 begins again\n');
    records++;
    write(0, 200);
    await allStored('every record after the truncation');
    // A poll or two more would have shown a line read again.
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(agent.child.exitCode, agent.output()).to.equal(null);
    const stored = await storedCounts();
    const message = `seed ${SEED}: ${JSON.stringify(stored)}, ${records} records and ${markers} marked lines written`;
    expect(stored.marked, message).to.equal(markers);
    expect(stored.distinctMarked, message).to.equal(markers);
    expect(stored.n, message).to.equal(records);
    expect(await accepted(), message).to.equal(records);
    // None longer than max_log_size: the pieces of a long line, or a random line under 1000 bytes
    // whose invalid bytes became U+FFFD (3 bytes each).
    expect(stored.longest, message).to.be.at.most(MAX_LOG_SIZE);
    const [replaced] = await backend.sql("SELECT count() AS n FROM otel_logs WHERE ScopeName = 'rollpoint/filelog' AND position(Body, '\\xEF\\xBF\\xBD') > 0");
    expect(Number(replaced!.n), `${message}: invalid UTF-8 kept as U+FFFD`).to.be.greaterThan(0);
  });
});
