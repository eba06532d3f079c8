import { execFile } from 'node:child_process';
import { appendFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { LOGROTATE, requireTools } from '../testing/debian-tools.js';
import { killWithBatchQueued } from '../testing/kill-with-batch-queued.js';
import { startAgentProcess, startBackendProcess, tempFolder, waitUntil, type AgentProcess, type BackendProcess } from '../testing/processes.js';

// A real agent process with the filelog receiver follows a file that a real logrotate rotates,
// once with `create` (rename, new file) and once with `copytruncate`, while the agent is killed
// with SIGKILL mid-file (caught with a batch in the disk queue and its offset still pending) and
// again across a rotation. Every line appended is in otel_logs exactly once: none lost, none repeated.

const run = promisify(execFile);

describe('filelog stored: a rotated file through agent and backend, with kill -9', function () {
  this.timeout(180000);
  let backend: BackendProcess;
  let agent: AgentProcess | undefined;
  let folder: string;
  let written = 0;

  const logPath = () => join(folder, 'app.log');
  /** Appends lines `written`… as one write of `count` lines, each naming its number. */
  const write = (count: number) => {
    appendFileSync(logPath(), Array.from({ length: count }, (_, i) => `${new Date().toISOString()} app[1]: line ${written + i} of the test\n`).join(''));
    written += count;
  };
  const rotate = async (how: 'create' | 'copytruncate') => {
    const config = join(folder, `logrotate-${how}.conf`);
    writeFileSync(config, `${logPath()} {\n  rotate 10\n  ${how}\n  compress\n  delaycompress\n  missingok\n}\n`);
    await run(LOGROTATE.path, ['--force', '--state', join(folder, `logrotate-${how}.state`), config]);
  };
  const stored = async () => {
    const [row] = await backend.sql("SELECT count() AS n, uniqExact(Body) AS distinct_lines FROM otel_logs WHERE ScopeName = 'rollpoint/filelog'");
    return { n: Number(row!.n), distinct: Number(row!.distinct_lines) };
  };
  /** The numbers of the lines written but not stored, as ranges, for a failure's message. */
  const missing = async () => {
    const rows = await backend.sql("SELECT toUInt32(extract(Body, 'line (\\\\d+) ')) AS k FROM otel_logs WHERE ScopeName = 'rollpoint/filelog'");
    const have = new Set(rows.map((row) => Number(row.k)));
    const ranges: string[] = [];
    for (let k = 0; k < written; k++) {
      if (have.has(k)) continue;
      let end = k;
      while (end + 1 < written && !have.has(end + 1)) end++;
      ranges.push(`${k}-${end}`);
      k = end;
    }
    return ranges.join(', ');
  };
  /** Waits until every line written is stored; else fails naming the lines missing. */
  const allStored = (what: string) =>
    waitUntil(async () => (await stored()).distinct >= written, what, 90000, agent).catch(async (error: Error) => {
      throw new Error(`${error.message.split('\n')[0]}; lines missing: ${await missing()}`);
    });
  const startAgent = async (dataDir: string) =>
    (agent = await startAgentProcess({
      backendGrpcPort: backend.grpcPort,
      dataDir,
      batch: { timeout: '1ms' },
      // fsync (the default): an append resolves after the fsync, the moment killWithBatchQueued waits
      // for. Segments of 4 MiB, which it copies.
      exporter: { sending_queue: { max_size_mib: 64 } },
      filelog: { include: [join(folder, 'app.log*')], start_at: 'beginning', poll_interval: '50ms', include_file_path: true },
    }));

  before(async function () {
    requireTools(this, LOGROTATE);
    backend = await startBackendProcess();
    folder = tempFolder('filelog');
  });

  after(async function () {
    await agent?.stop();
    await backend?.stop();
  });

  it('stores every line across create and copytruncate rotations and two kill -9s, none lost, none read twice', async function () {
    const dataDir = join(folder, 'agent-data');
    write(1000);
    await startAgent(dataDir);
    // Killed mid-file, with a batch queued and its offset pending, while lines keep coming.
    const feeding = setInterval(() => written < 300_000 && write(500), 5);
    try {
      await killWithBatchQueued(agent!, { positionFile: join(dataDir, 'filelog', 'filelog.json'), queueDirectory: join(dataDir, 'queue', 'otlp') });
    } finally {
      clearInterval(feeding);
    }
    write(500);
    await rotate('create');
    write(500);
    await startAgent(dataDir);
    await allStored('the lines across the first rotation');
    // Killed across a rotation: the file is copied and truncated while the agent is down, then more is written.
    write(700);
    await agent!.stop('SIGKILL');
    await rotate('copytruncate');
    write(300);
    await startAgent(dataDir);
    write(200);
    await rotate('create');
    write(100);
    await allStored('every line written');
    expect(readdirSync(folder).some((name) => name.endsWith('.gz')), 'logrotate compressed a rotation').to.equal(true);
    // Another poll or two would have shown a line read again.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const repeated = await backend.sql(
      "SELECT LogAttributes['log.file.name'] AS name, min(toUInt32(extract(Body, 'line (\\\\d+)'))) AS first, max(toUInt32(extract(Body, 'line (\\\\d+)'))) AS last, count() AS n FROM (SELECT Body, any(LogAttributes) AS LogAttributes FROM otel_logs WHERE ScopeName = 'rollpoint/filelog' GROUP BY Body HAVING count() > 1) GROUP BY name",
    );
    // Nothing lost, nothing repeated, across both kills.
    const { n, distinct } = await stored();
    expect(distinct, 'lines stored').to.equal(written);
    expect(n - written, `lines stored twice: ${JSON.stringify(repeated)}`).to.equal(0);
    const [file] = await backend.sql("SELECT DISTINCT LogAttributes['log.file.name'] AS name FROM otel_logs WHERE ScopeName = 'rollpoint/filelog' AND Body LIKE '% line 0 of the test'");
    expect(file!.name).to.equal('app.log');
  });
});
