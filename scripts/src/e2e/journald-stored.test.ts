import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { JOURNALCTL, requireTools, SYSTEMD_JOURNAL_REMOTE } from '../testing/debian-tools.js';
import { writeJournal, type ExportEntry } from '../testing/journal.js';
import { killWithBatchQueued } from '../testing/kill-with-batch-queued.js';
import { freePort } from '../testing/ports.js';
import { metricValue, startAgentProcess, startBackendProcess, tempFolder, waitUntil, type AgentProcess, type BackendProcess } from '../testing/processes.js';

// Journal files written by systemd-journal-remote from the export format, read by a real agent's
// journald receiver (a real journalctl) into a real backend: every entry stored once across a
// restart and across a kill -9, priorities, units and the syslog attribute names mapped, the unit filter
// honoured, lines that are not JSON entries skipped, a missing journalctl said.

const UNITS = ['checkout.service', 'cron.service', 'sshd.service'] as const;
const SEVERITY_TEXTS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'];
const SEVERITY_NUMBERS = [21, 19, 18, 17, 13, 10, 9, 5];
// Entry times a second apart, from an hour ago (within the backend's retention).
const BASE_US = (BigInt(Date.now()) - 3_600_000n) * 1000n;

/** Entry `i`: unit, priority and PID from i, its message text (entry 5's not UTF-8). */
function entry(i: number): ExportEntry {
  const unit = UNITS[i % UNITS.length]!;
  return {
    __REALTIME_TIMESTAMP: String(BASE_US + BigInt(i) * 1_000_000n),
    PRIORITY: String(i % 8),
    SYSLOG_FACILITY: '3',
    _SYSTEMD_UNIT: unit,
    SYSLOG_IDENTIFIER: unit.replace('.service', ''),
    _PID: String(1000 + i),
    _HOSTNAME: 'web-1',
    MESSAGE: i === 5 ? Buffer.concat([Buffer.from('entry 5 '), Buffer.from([0xff, 0xfe])]) : `entry ${i}`,
  };
}
const entries = (from: number, to: number): ExportEntry[] => Array.from({ length: to - from }, (_, k) => entry(from + k));

/** Folders a describe made, removed after it. */
const made: string[] = [];
const folder = (prefix: string): string => {
  const path = tempFolder(prefix);
  made.push(path);
  return path;
};
const removeMade = () => {
  for (const path of made.splice(0)) rmSync(path, { recursive: true, force: true });
};

/** Stored journald records by entry number (PID - 1000): how many of each. */
async function storedCounts(backend: BackendProcess): Promise<Map<number, number>> {
  const rows = await backend.sql("SELECT LogAttributes['proc_id'] AS pid, count() AS n FROM otel_logs WHERE ScopeName = 'rollpoint/journald' GROUP BY pid");
  return new Map(rows.map((r) => [Number(r.pid) - 1000, Number(r.n)]));
}

async function waitStored(backend: BackendProcess, agent: AgentProcess, expected: number): Promise<void> {
  await waitUntil(async () => [...(await storedCounts(backend)).values()].reduce((a, b) => a + b, 0) >= expected, `${expected} journal entries stored`, 60000, agent);
}

function expectEachOnce(counts: Map<number, number>, pids: readonly number[]): void {
  expect([...counts.keys()].sort((a, b) => a - b)).to.deep.equal([...pids].sort((a, b) => a - b));
  expect([...counts.entries()].filter(([, n]) => n !== 1)).to.deep.equal([]);
}

const range = (from: number, to: number, keep: (i: number) => boolean = () => true) => Array.from({ length: to - from }, (_, k) => from + k).filter(keep);

describe('journald stored: journal files from systemd-journal-remote through a real agent and backend', function () {
  let backend: BackendProcess;
  let agent: AgentProcess;
  let journalDir: string;
  let dataDir: string;

  before(async function () {
    requireTools(this, JOURNALCTL, SYSTEMD_JOURNAL_REMOTE);
    journalDir = folder('journal');
    dataDir = folder('agent-data');
    await writeJournal(join(journalDir, 'remote.journal'), entries(0, 40));
    backend = await startBackendProcess();
    agent = await startAgentProcess({
      backendGrpcPort: backend.grpcPort,
      dataDir,
      batch: { timeout: '1ms' },
      // Segments of 4 MiB, which killWithBatchQueued copies.
      exporter: { sending_queue: { max_size_mib: 64 } },
      journald: { directory: journalDir, start_at: 'beginning', priority: 'debug' },
    });
  });

  after(async function () {
    await agent?.stop();
    await backend?.stop();
    removeMade();
  });

  it('stores every entry once, with severity, unit, appname, proc_id, host and time mapped', async function () {
    await waitStored(backend, agent, 40);
    expectEachOnce(await storedCounts(backend), range(0, 40));
    const rows = await backend.sql(
      "SELECT toUInt32(LogAttributes['proc_id']) - 1000 AS i, SeverityNumber, SeverityText, Body, LogAttributes['systemd.unit'] AS unit, LogAttributes['appname'] AS appname, LogAttributes['severity'] AS severity, LogAttributes['priority'] AS priority, LogAttributes['hostname'] AS hostname, ResourceAttributes['host.name'] AS host, toUnixTimestamp64Micro(Timestamp) AS us FROM otel_logs WHERE ScopeName = 'rollpoint/journald' ORDER BY i",
    );
    for (const row of rows) {
      const i = Number(row.i);
      const unit = UNITS[i % UNITS.length]!;
      expect(row, `entry ${i}`).to.deep.include({
        SeverityNumber: SEVERITY_NUMBERS[i % 8],
        SeverityText: SEVERITY_TEXTS[i % 8],
        unit,
        appname: unit.replace('.service', ''),
        severity: String(i % 8),
        priority: String(3 * 8 + (i % 8)),
        hostname: 'web-1',
        host: 'web-1',
      });
      expect(BigInt(row.us as string), `entry ${i}'s time`).to.equal(BASE_US + BigInt(i) * 1_000_000n);
    }
    expect(rows[0]!.Body).to.equal('entry 0');
    // A MESSAGE that is not UTF-8 (a number array in journalctl's JSON): text with U+FFFD, its bytes in rollpoint.raw.
    const binary = await backend.sql("SELECT Body, LogAttributes['rollpoint.raw'] AS raw FROM otel_logs WHERE LogAttributes['proc_id'] = '1005'");
    expect(binary).to.deep.equal([{ Body: 'entry 5 \uFFFD\uFFFD', raw: Buffer.concat([Buffer.from('entry 5 '), Buffer.from([0xff, 0xfe])]).toString('base64') }]);
  });

  it('goes on after its stored cursor when restarted: entries written while it was stopped arrive, none twice', async function () {
    expect(await agent.stop()).to.equal(0);
    await writeJournal(join(journalDir, 'remote.journal'), entries(40, 80));
    agent = await agent.restart();
    await waitStored(backend, agent, 80);
    expectEachOnce(await storedCounts(backend), range(0, 80));
  });

  // Killed while the disk queue fsyncs a batch: it is in the queue (the page cache outlives the
  // process) and its cursor still pending. The queue's record holds the batch's position, so the next
  // start knows it was queued and goes on after it.
  it('stores every entry exactly once when killed with SIGKILL mid-stream, a batch queued and its cursor pending', async function () {
    this.timeout(120000);
    await writeJournal(join(journalDir, 'remote.journal'), entries(80, 20080));
    await killWithBatchQueued(agent, { positionFile: join(dataDir, 'journald', 'journald.cursor'), queueDirectory: join(dataDir, 'queue', 'otlp') });
    agent = await agent.restart();
    await waitStored(backend, agent, 20080);
    // A repeat would come with the last batches: give them time to show.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expectEachOnce(await storedCounts(backend), range(0, 20080));
    expect(metricValue(await agent.metrics(), 'rollpoint_agent_receiver_journald_entries_total{receiver="journald",outcome="malformed"}')).to.equal(0);
  });
});

describe('journald: start_at end across a restart, the unit filter, and journalctl lines that are not JSON entries', function () {
  let backend: BackendProcess;
  let agent: AgentProcess;
  let journalDir: string;

  before(async function () {
    requireTools(this, JOURNALCTL, SYSTEMD_JOURNAL_REMOTE);
    journalDir = folder('journal');
    await writeJournal(join(journalDir, 'remote.journal'), entries(0, 30));
    // A journalctl that prints, before each real line, that line cut in half and a line of garbage
    // bytes: what a journalctl killed mid-line, or a corrupted pipe, would hand over.
    const bin = folder('journalctl-garbage');
    const wrapper = join(bin, 'journalctl');
    writeFileSync(
      wrapper,
      `#!${process.execPath}
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
const real = spawn(${JSON.stringify(JOURNALCTL.path)}, process.argv.slice(2), { stdio: ['ignore', 'pipe', 'inherit'] });
process.on('SIGTERM', () => real.kill());
real.on('close', (code) => process.exit(code ?? 1));
createInterface({ input: real.stdout }).on('line', (line) => {
  process.stdout.write(line.slice(0, line.length >> 1) + '\\n');
  process.stdout.write(Buffer.from([0x00, 0xff, 0x7b, 0x5b, 0x22, 0x0a]));
  process.stdout.write(line + '\\n');
});
`,
    );
    chmodSync(wrapper, 0o755);
    backend = await startBackendProcess();
    agent = await startAgentProcess({
      backendGrpcPort: backend.grpcPort,
      batch: { timeout: '10ms' },
      dataDir: folder('agent-data'),
      env: { PATH: `${bin}:${process.env.PATH}` },
      journald: { directory: journalDir, priority: 'debug', units: ['checkout.service'] },
    });
  });

  after(async function () {
    await agent?.stop();
    await backend?.stop();
    removeMade();
  });

  it('starting at the end, stores what was written from its first start on (while it was down too), only the unit asked for, each once, skipping every malformed line', async function () {
    // Ready: its start is fixed. Stopped before it delivered anything, it must not skip what comes meanwhile.
    await agent.stop();
    await writeJournal(join(journalDir, 'remote.journal'), entries(30, 60));
    agent = await agent.restart();
    const checkout = range(30, 60, (i) => i % UNITS.length === 0);
    await waitStored(backend, agent, checkout.length);
    expectEachOnce(await storedCounts(backend), checkout);
    const metrics = await agent.metrics();
    expect(metricValue(metrics, 'rollpoint_agent_receiver_journald_entries_total{receiver="journald",outcome="malformed"}')).to.equal(2 * checkout.length);
    expect(metricValue(metrics, 'rollpoint_agent_receiver_journald_entries_total{receiver="journald",outcome="accepted"}')).to.equal(checkout.length);
  });
});

describe('journald: journalctl missing', function () {
  let agent: AgentProcess;

  before(async function () {
    agent = await startAgentProcess({
      backendGrpcPort: await freePort(),
      // node itself is run by its full path; journalctl is found nowhere.
      env: { PATH: '/nonexistent' },
      waitReady: false,
      journald: { directory: folder('journal') },
    });
  });

  after(async function () {
    await agent?.stop();
    removeMade();
  });

  it('keeps the agent not ready, counts the failure and logs what to install', async function () {
    await waitUntil(
      async () => metricValue(await agent.metrics(), 'rollpoint_agent_receiver_journald_journalctl_failures_total{receiver="journald",reason="missing"}') >= 1,
      'the missing journalctl counted',
      30000,
      agent,
    );
    const ready = await fetch(`http://127.0.0.1:${agent.healthPort}/readyz`);
    expect(ready.status).to.equal(503);
    expect(agent.output()).to.include('journalctl not found');
  });
});
