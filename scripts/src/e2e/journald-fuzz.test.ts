import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { fuzzSeed, randomInt, seededRandom } from '../testing/random.js';
import { metricValue, startAgentProcess, startBackendProcess, tempFolder, waitUntil, type AgentProcess, type BackendProcess } from '../testing/processes.js';

// The journald receiver's handling of what journalctl prints, fuzzed: truncated JSON lines, random
// bytes, JSON that is not an object, and objects whose fields have every wrong type, among
// well-formed entries that carry a marker. A stand-in `journalctl` on PATH prints those lines and
// keeps running as `--follow` does: real journal files cannot hold garbled JSON (journalctl writes
// the JSON), so the garbling has to happen between it and the agent. The agent must stay up,
// count every line that is not a JSON object as malformed, and store every entry once.
// FUZZ_SEED replays a run; the seed is in every failure's message.

const SEED = fuzzSeed(20261201);
const LINES = 5000;
const NEWLINE = 0x0a;
const CR = 0x0d;

describe(`journald fuzzing: garbled journalctl output (seed ${SEED})`, function () {
  this.timeout(240000);
  const next = seededRandom(SEED);
  const int = randomInt(next);
  const nowUs = BigInt(Date.now()) * 1000n;
  /** What the lines written must become, counted as they are made. */
  const expected = { good: 0, odd: 0, malformed: 0 };
  let backend: BackendProcess;
  let agent: AgentProcess;
  /** The stand-in journalctl's folder. */
  let bin: string;

  const goodEntry = (n: number) =>
    JSON.stringify({
      __CURSOR: `s=fuzz;i=${n.toString(16)}`,
      __REALTIME_TIMESTAMP: String(nowUs + BigInt(n)),
      PRIORITY: String(int(8)),
      SYSLOG_FACILITY: '3',
      _HOSTNAME: 'web-1',
      SYSLOG_IDENTIFIER: 'app',
      _PID: String(1000 + n),
      MESSAGE: `fuzzok-${n} ${'x'.repeat(int(200))}`,
    });

  /** A JSON object with fields of the wrong types: still an entry, stored with what can be read of it. */
  function oddEntry(n: number): string {
    const junk = [null, 42, -1.5, true, [], [1, 2, 300, -1], [[104, 105]], { a: 1 }, '', '\u0000\uFFFF', '9'.repeat(30), [null, 'x']];
    const pick = () => junk[int(junk.length)];
    const entry: Record<string, unknown> = { SYSLOG_IDENTIFIER: `fuzzodd-${n}` };
    for (const field of ['__CURSOR', '__REALTIME_TIMESTAMP', 'PRIORITY', 'SYSLOG_FACILITY', '_HOSTNAME', '_PID', '_SYSTEMD_UNIT', 'MESSAGE']) if (next() < 0.7) entry[field] = pick();
    if (next() < 0.01) entry.MESSAGE = 'y'.repeat(1 << 20);
    // Now and then a value nested deeper than any stack (JSON.parse takes it; a recursion would not).
    const depth = next() < 0.05 ? 100_000 : 0;
    return depth ? JSON.stringify(entry).replace(/\}$/, `,"MESSAGE":${'['.repeat(depth)}1${']'.repeat(depth)}}`) : JSON.stringify(entry);
  }

  /** One line of output (its bytes, without the newline) and what the receiver must make of it. */
  function outputLine(n: number): Buffer {
    const choice = int(10);
    if (choice < 4) {
      expected.good++;
      return Buffer.from(goodEntry(n));
    }
    if (choice < 5) {
      expected.odd++;
      return Buffer.from(oddEntry(n));
    }
    expected.malformed++;
    // A proper prefix of a JSON object is never one: what a journalctl killed mid-line leaves.
    if (choice < 7) {
      const whole = Buffer.from(goodEntry(n));
      return whole.subarray(0, int(whole.length));
    }
    // JSON that is not an object.
    if (choice < 8) return Buffer.from(['[1,2,3]', '"text"', '42', 'null', 'true', '[]', '{"a":1}]'][int(7)]!);
    // Random bytes (NULs and invalid UTF-8 among them) that do not start an object, and no line break.
    const bytes = Array.from({ length: 1 + int(500) }, () => int(256)).filter((b) => b !== NEWLINE && b !== CR);
    if (bytes.length === 0 || [0x7b, 0x20, 0x09].includes(bytes[0]!)) bytes.unshift(0x00);
    return Buffer.from(bytes);
  }

  before(async function () {
    bin = tempFolder('journalctl-fuzz');
    const output = join(bin, 'output');
    writeFileSync(output, Buffer.concat(Array.from({ length: LINES }, (_, n) => [outputLine(n), Buffer.from([NEWLINE])]).flat()));
    writeFileSync(
      join(bin, 'journalctl'),
      `#!${process.execPath}
import { createReadStream } from 'node:fs';
createReadStream(${JSON.stringify(output)}).pipe(process.stdout, { end: false });
process.on('SIGTERM', () => process.exit(0));
setInterval(() => {}, 1 << 30);
`,
    );
    chmodSync(join(bin, 'journalctl'), 0o755);
    // No TTL: the odd entries' times reach back to 1970 (or are the receive time).
    backend = await startBackendProcess({ ttlDays: 0 });
    agent = await startAgentProcess({
      backendGrpcPort: backend.grpcPort,
      batch: { timeout: '10ms' },
      env: { PATH: `${bin}:${process.env.PATH}` },
      journald: { start_at: 'beginning', priority: 'debug' },
    });
  });

  after(async function () {
    await agent?.stop();
    await backend?.stop();
    if (bin) rmSync(bin, { recursive: true, force: true });
  });

  const entries = (metrics: string, outcome: string) => metricValue(metrics, `rollpoint_agent_receiver_journald_entries_total{receiver="journald",outcome="${outcome}"}`);

  it('stays up, counts every line that is not a JSON entry, and stores every entry once', async function () {
    const message = `seed ${SEED}: ${JSON.stringify(expected)}`;
    await waitUntil(async () => entries(await agent.metrics(), 'received') >= LINES, `every line read (${message})`, 60000, agent);
    await waitUntil(async () => entries(await agent.metrics(), 'accepted') >= expected.good + expected.odd, `every entry accepted (${message})`, 60000, agent);
    const stored = async () => {
      const [row] = await backend.sql(
        "SELECT count() AS n, countIf(position(Body, 'fuzzok-') = 1) AS good, uniqExact(if(position(Body, 'fuzzok-') = 1, extract(Body, '^fuzzok-[0-9]+'), '')) - 1 AS distinct_good, countIf(startsWith(LogAttributes['appname'], 'fuzzodd-')) AS odd FROM otel_logs WHERE ScopeName = 'rollpoint/journald'",
      );
      return { n: Number(row!.n), good: Number(row!.good), distinctGood: Number(row!.distinct_good), odd: Number(row!.odd) };
    };
    await waitUntil(async () => (await stored()).n >= expected.good + expected.odd, `every entry stored (${message})`, 60000, agent);
    expect(agent.child.exitCode, agent.output()).to.equal(null);
    const metrics = await agent.metrics();
    expect({ received: entries(metrics, 'received'), malformed: entries(metrics, 'malformed'), accepted: entries(metrics, 'accepted'), dropped: entries(metrics, 'dropped') }, message).to.deep.equal({
      received: LINES,
      malformed: expected.malformed,
      accepted: expected.good + expected.odd,
      dropped: 0,
    });
    expect(await stored(), message).to.deep.equal({ n: expected.good + expected.odd, good: expected.good, distinctGood: expected.good, odd: expected.odd });
  });
});
