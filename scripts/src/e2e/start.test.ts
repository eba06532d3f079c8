import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { JOURNALCTL, requireTools, SYSTEMD_JOURNAL_REMOTE } from '../testing/debian-tools.js';
import { writeJournal } from '../testing/journal.js';
import { START_MAIN } from '../testing/paths.js';
import { freePort } from '../testing/ports.js';
import { agentTestConfig, metricValue, spawnNode, startBackendProcess, tempFolder, waitUntil, writeConfig } from '../testing/processes.js';

/** A backend.yaml in `folder` on free ports, its data in `folder`/data. */
async function backendConfigIn(folder: string) {
  const dataDir = join(folder, 'data');
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const backendConfig = writeConfig(folder, 'backend.yaml', {
    otlp: { grpc: { endpoint: `127.0.0.1:${grpcPort}` } },
    http: { endpoint: `127.0.0.1:${httpPort}` },
    storage: { chdb: { path: dataDir } },
  });
  return { backendConfig, dataDir, grpcPort, httpPort };
}

describe('npm start (scripts/start): backend and agent together', function () {
  it('prints where it listens, and on Ctrl-C flushes the agent’s batch before the backend stops', async function () {
    const folder = tempFolder('start');
    const { backendConfig, dataDir, grpcPort, httpPort } = await backendConfigIn(folder);
    // A batch that would wait 60 s: only the shutdown flush can deliver it in time.
    const agent = await agentTestConfig({ backendGrpcPort: grpcPort, batch: { timeout: '60s' } }, join(folder, 'agent-data'));
    const start = spawnNode(START_MAIN, ['--backend-config', backendConfig, '--agent-config', writeConfig(folder, 'agent.yaml', agent.config)]);
    try {
      await waitUntil(async () => start.output().includes('Ctrl-C stops both'), 'the start banner', 60000, start);
      expect(start.output()).to.include(`OTLP gRPC 127.0.0.1:${agent.grpcPort}`).and.include(`HTTP API 127.0.0.1:${httpPort}`);

      const sent = fetch(`http://127.0.0.1:${agent.httpPort}/v1/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'flushed at shutdown' } }] }] }] }),
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      start.child.kill('SIGINT');
      const response = await sent;
      expect(response.status).to.equal(200);
      expect(await start.exited).to.equal(0);
    } finally {
      await start.stop('SIGKILL');
    }

    const backend = await startBackendProcess({ dataDir });
    try {
      const rows = await backend.sql("SELECT Body FROM otel_logs WHERE Body = 'flushed at shutdown'");
      expect(rows).to.have.length(1);
    } finally {
      await backend.stop();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

// `npm start` with the hostlogs receiver, on a temporary file standing in for /var/log/syslog (an
// empty folder for the journal), or on journal files systemd-journal-remote writes: it prints what it
// reads, and what is written after the start is stored once, mapped; what was there before is not.

/**
 * Runs `npm start` with a hostlogs receiver of `settings`; once its banner says it reads `source`,
 * `append` writes `count` new records, which the agent must take before Ctrl-C. The backend's rows
 * for `query` afterwards.
 */
async function hostLogsThroughStart(folder: string, settings: Record<string, unknown>, source: string, append: () => Promise<void>, count: number, query: string) {
  const { backendConfig, dataDir, grpcPort } = await backendConfigIn(folder);
  const agent = await agentTestConfig({ backendGrpcPort: grpcPort }, join(folder, 'agent-data'));
  agent.config.receivers.hostlogs = settings;
  agent.config.service.pipelines.logs.receivers.push('hostlogs');
  const start = spawnNode(START_MAIN, ['--backend-config', backendConfig, '--agent-config', writeConfig(folder, 'agent.yaml', agent.config)]);
  try {
    await waitUntil(async () => start.output().includes('Ctrl-C stops both'), 'the start banner', 60000, start);
    expect(start.output()).to.include(`this host's logs: ${source} (what is written since the agent first started)`);
    await append();
    const accepted = async () => metricValue(await (await fetch(`http://127.0.0.1:${agent.healthPort}/metrics`)).text(), 'rollpoint_agent_receiver_accepted_records_total{receiver="hostlogs",signal="logs"}');
    const journalAccepted = async () => metricValue(await (await fetch(`http://127.0.0.1:${agent.healthPort}/metrics`)).text(), 'rollpoint_agent_receiver_journald_entries_total{receiver="hostlogs",outcome="accepted"}');
    await waitUntil(async () => (await accepted()) + (await journalAccepted()) >= count, 'the agent to take what was written', 60000, start);
    start.child.kill('SIGINT');
    expect(await start.exited).to.equal(0);
  } finally {
    await start.stop('SIGKILL');
  }
  const backend = await startBackendProcess({ dataDir });
  try {
    return await backend.sql(query);
  } finally {
    await backend.stop();
  }
}

describe('npm start reads this host’s logs (hostlogs)', function () {
  this.timeout(180000);
  let folder: string;
  beforeEach(function () {
    folder = tempFolder('hostlogs');
  });
  afterEach(function () {
    rmSync(folder, { recursive: true, force: true });
  });

  it('prints the file it reads and stores the lines appended after the start, parsed as syslog', async function () {
    const hostLog = join(folder, 'syslog');
    mkdirSync(join(folder, 'journal'));
    writeFileSync(hostLog, 'Nov 30 09:00:00 web-1 old[1]: history, not to be sent\n');
    const now = new Date();
    const bsd = `${now.toUTCString().slice(8, 11)} ${String(now.getUTCDate()).padStart(2, ' ')} ${now.toISOString().slice(11, 19)}`;
    // rsyslog's file formats: RSYSLOG_FileFormat (Debian's default), RSYSLOG_TraditionalFileFormat, and a template with <PRI>.
    const lines = [
      `${now.toISOString().replace('Z', '000+00:00')} web-1 sshd[4242]: Accepted publickey for admin`,
      `${bsd} web-2 cron[77]: job done`,
      `<11>${now.toISOString().slice(0, 19)}+00:00 db-1 app[9]: disk failed`,
    ];
    const rows = await hostLogsThroughStart(
      folder,
      { journal_directory: join(folder, 'journal'), files: [join(folder, 'messages'), hostLog] },
      hostLog,
      async () => appendFileSync(hostLog, lines.map((line) => `${line}\n`).join('')),
      lines.length,
      "SELECT Body, ResourceAttributes['host.name'] AS host, SeverityText AS severity, LogAttributes['appname'] AS app, LogAttributes['log.file.name'] AS file, toUnixTimestamp(Timestamp) AS time FROM otel_logs WHERE ScopeName = 'rollpoint/filelog' ORDER BY Body",
    );
    const second = Math.floor(now.getTime() / 1000);
    expect(rows).to.deep.equal(
      [
        { Body: lines[0], host: 'web-1', severity: 'notice', app: 'sshd', file: 'syslog', time: second },
        { Body: lines[1], host: 'web-2', severity: 'notice', app: 'cron', file: 'syslog', time: second },
        { Body: lines[2], host: 'db-1', severity: 'err', app: 'app', file: 'syslog', time: second },
      ].sort((a, b) => (a.Body < b.Body ? -1 : 1)),
    );
  });

  it('prints the journal it reads and stores the entries written after the start', async function () {
    requireTools(this, JOURNALCTL, SYSTEMD_JOURNAL_REMOTE);
    const journal = join(folder, 'journal');
    mkdirSync(journal);
    const entry = (i: number) => ({ __REALTIME_TIMESTAMP: String(BigInt(Date.now()) * 1000n + BigInt(i)), PRIORITY: String(i % 8), SYSLOG_IDENTIFIER: 'checkout', _SYSTEMD_UNIT: 'checkout.service', _HOSTNAME: 'web-1', _PID: String(100 + i), MESSAGE: `entry ${i}` });
    await writeJournal(join(journal, 'remote.journal'), [entry(0), entry(1)]);
    const rows = await hostLogsThroughStart(
      folder,
      { journal_directory: journal, files: [] },
      `the journal in ${journal}`,
      () => writeJournal(join(journal, 'remote.journal'), [entry(2), entry(3), entry(4)]),
      3,
      "SELECT Body, ResourceAttributes['host.name'] AS host, SeverityText AS severity, LogAttributes['systemd.unit'] AS unit FROM otel_logs WHERE ScopeName = 'rollpoint/journald' ORDER BY Body",
    );
    expect(rows).to.deep.equal([
      { Body: 'entry 2', host: 'web-1', severity: 'crit', unit: 'checkout.service' },
      { Body: 'entry 3', host: 'web-1', severity: 'err', unit: 'checkout.service' },
      { Body: 'entry 4', host: 'web-1', severity: 'warning', unit: 'checkout.service' },
    ]);
  });
});
