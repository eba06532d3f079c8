import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { RSYSLOGD, requireTools } from '../testing/debian-tools.js';
import { startAgentProcess, startBackendProcess, tempFolder, waitUntil, type AgentProcess, type BackendProcess } from '../testing/processes.js';
import { sendSyslogLines, startRsyslogReceiver, type RsyslogReceiver } from '../testing/rsyslog.js';

// A real rsyslogd writes what it receives to a file in RSYSLOG_FileFormat (Debian's /var/log/syslog
// format: RFC 3339 time, host, tag, no PRI); beside it, a file of RFC 5424 lines as rsyslog's
// RSYSLOG_SyslogProtocol23Format writes them. A real agent's filelog receiver with the syslog_parser
// operator reads both: each line stored once, under its host, with its appname, PID, time, and — where
// the line has a PRI — its severity and event kind.

describe('filelog syslog_parser stored: rsyslog-written files through agent and backend', function () {
  this.timeout(120000);
  let backend: BackendProcess;
  let agent: AgentProcess;
  let rsyslog: RsyslogReceiver;
  let folder: string;

  before(async function () {
    requireTools(this, RSYSLOGD);
    folder = tempFolder('filelog-syslog');
    rsyslog = await startRsyslogReceiver({ protocol: 'tcp', file: join(folder, 'syslog'), format: 'RSYSLOG_FileFormat' });
    backend = await startBackendProcess();
    agent = await startAgentProcess({
      backendGrpcPort: backend.grpcPort,
      batch: { timeout: '10ms' },
      filelog: { include: [join(folder, 'syslog'), join(folder, 'remote.log')], start_at: 'beginning', poll_interval: '50ms', operators: [{ type: 'syslog_parser', protocol: 'rfc3164' }] },
    });
  });

  after(async function () {
    await agent?.stop();
    await backend?.stop();
    await rsyslog?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  const rows = async (file: string) =>
    backend.sql(
      `SELECT LogAttributes['message'] AS message, ResourceAttributes['host.name'] AS host, LogAttributes['appname'] AS app, LogAttributes['proc_id'] AS pid, SeverityText AS severity, LogAttributes['rollpoint.event.kind'] AS kind, toUnixTimestamp64Micro(Timestamp) AS us FROM otel_logs WHERE ScopeName = 'rollpoint/filelog' AND LogAttributes['log.file.name'] = '${file}' ORDER BY message`,
    );

  it('stores each line rsyslog wrote under its host, with its tag and time (severity: RFC 3164’s default, the file has no PRI)', async function () {
    const base = Date.now() - 60_000;
    const iso = (i: number) => new Date(base + i * 1000).toISOString().replace('Z', '123Z');
    // As local programs log (RFC 3164 with a tag, here with RFC 3339 times, which rsyslog takes).
    await sendSyslogLines('tcp', rsyslog.port, [
      `<11>${iso(0)} web-1 checkout[4242]: payment failed`,
      `<14>${iso(1)} web-2 cron[77]: job done`,
      `<189>${iso(2)} edge-1 %SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.0.0.5)`,
    ]);
    await waitUntil(async () => (await rows('syslog')).length >= 3, 'the three lines rsyslog wrote to be stored', 60000, agent);
    const us = (i: number) => String((base + i * 1000) * 1000 + 123);
    expect(await rows('syslog')).to.deep.equal([
      { message: 'Configured from console by admin on vty0 (10.0.0.5)', host: 'edge-1', app: '', pid: '', severity: 'notice', kind: 'config_change', us: us(2) },
      { message: 'job done', host: 'web-2', app: 'cron', pid: '77', severity: 'notice', kind: '', us: us(1) },
      { message: 'payment failed', host: 'web-1', app: 'checkout', pid: '4242', severity: 'notice', kind: '', us: us(0) },
    ]);
  });

  it('stores RFC 5424 lines with their severity', async function () {
    const time = new Date(Date.now() - 30_000).toISOString();
    writeFileSync(
      join(folder, 'remote.log'),
      [`<11>1 ${time} db-1 postgres 901 - - disk failed`, `<188>1 ${time} fw-1 fw - - - deny tcp`, `<191>1 ${time} web-3 app 12 - - tick`].map((l) => `${l}\n`).join(''),
    );
    await waitUntil(async () => (await rows('remote.log')).length >= 3, 'the RFC 5424 lines to be stored', 60000, agent);
    const us = String(Date.parse(time) * 1000);
    expect(await rows('remote.log')).to.deep.equal([
      { message: 'deny tcp', host: 'fw-1', app: 'fw', pid: '', severity: 'warning', kind: '', us },
      { message: 'disk failed', host: 'db-1', app: 'postgres', pid: '901', severity: 'err', kind: '', us },
      { message: 'tick', host: 'web-3', app: 'app', pid: '12', severity: 'debug', kind: '', us },
    ]);
  });
});
