import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { metricValue, startAgentProcess, startBackendProcess, tempFolder, waitUntil, type AgentProcess, type BackendProcess } from '../testing/processes.js';
import { LOGGER, OPENSSL, requireTools, RSYSLOG_TLS, RSYSLOGD } from '../testing/debian-tools.js';
import { startRsyslogForwarder } from '../testing/rsyslog.js';
import { marker, storedLog } from '../testing/syslog.js';
import { createTestPki, type TestPki } from '../testing/tls.js';

const run = promisify(execFile);
describe('syslog receiver with real senders: logger and rsyslog', function () {
  let backend: BackendProcess;
  let agent: AgentProcess;
  let pki: TestPki;
  const folder = tempFolder('syslog-pki');

  before(async function () {
    requireTools(this, OPENSSL);
    pki = await createTestPki(folder);
    backend = await startBackendProcess();
    agent = await startAgentProcess({
      backendGrpcPort: backend.grpcPort,
      batch: { timeout: '20ms' },
      syslog: { tls: { cert_file: pki.serverCertFile, key_file: pki.serverKeyFile, ca_file: pki.caFile, client_auth: 'require' } },
    });
  });

  after(async function () {
    await agent?.stop();
    await backend?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  const loggerCases: Array<[string, string[], Record<string, string>]> = [
    ['--rfc5424 over UDP', ['-d', '--rfc5424', '--msgid', 'ID47', '--sd-id', 'order@32473', '--sd-param', 'id="o-1"'], { 'network.transport': 'udp', 'rollpoint.syslog.format': 'rfc5424', msg_id: 'ID47', version: '1', structured_data: '{"order@32473":{"id":"o-1"}' }],
    ['--rfc3164 over UDP', ['-d', '--rfc3164'], { 'network.transport': 'udp', 'rollpoint.syslog.format': 'rfc3164' }],
    ['--rfc5424 over TCP', ['-T', '--rfc5424'], { 'network.transport': 'tcp', 'rollpoint.syslog.format': 'rfc5424' }],
    ['--rfc3164 over TCP', ['-T', '--rfc3164'], { 'network.transport': 'tcp', 'rollpoint.syslog.format': 'rfc3164' }],
    ['--octet-count --rfc5424 over TCP', ['-T', '--octet-count', '--rfc5424'], { 'network.transport': 'tcp', 'rollpoint.syslog.format': 'rfc5424' }],
    ['--octet-count --rfc3164 over TCP', ['-T', '--octet-count', '--rfc3164'], { 'network.transport': 'tcp', 'rollpoint.syslog.format': 'rfc3164' }],
  ];
  for (const [name, args, expected] of loggerCases) {
    it(`takes logger ${name}`, async function () {
      requireTools(this, LOGGER);
      const mark = marker('logger');
      await run('logger', ['-n', '127.0.0.1', '-P', String(agent.syslog!.tcp), '-t', 'e2e-app', '-p', 'local3.warning', ...args, `hello ${mark}`]);
      const row = await storedLog(backend, mark);
      expect(row).to.include({ SeverityText: 'warning', SeverityNumber: 13 });
      expect(row.LogAttributes).to.include({ appname: 'e2e-app', message: `hello ${mark}`, priority: '156', facility: '19', severity: '4', hostname: hostname(), 'network.peer.address': '127.0.0.1' });
      for (const [key, value] of Object.entries(expected)) {
        if (key === 'structured_data') expect(row.LogAttributes[key]).to.include(value.slice(1));
        else expect(row.LogAttributes[key], key).to.equal(value);
      }
      expect(row.ResourceAttributes).to.include({ 'host.name': hostname(), 'rollpoint.agent.id': 'agent-under-test' });
      expect(Math.abs(Date.parse(`${String(row.Timestamp).replace(' ', 'T')}Z`) - Date.now())).to.be.below(60000);
    });
  }

  const rsyslogCases = [
    { name: 'TCP (LF framing)', protocol: 'tcp' as const, framing: 'traditional' as const },
    { name: 'TCP (octet counting, RFC 6587)', protocol: 'tcp' as const, framing: 'octet-counted' as const },
    { name: 'TLS with a client certificate (RFC 5425)', protocol: 'tls' as const, framing: 'octet-counted' as const },
  ];
  for (const c of rsyslogCases) {
    it(`takes rsyslog forwarding over ${c.name}`, async function () {
      requireTools(this, RSYSLOGD, ...(c.protocol === 'tls' ? [RSYSLOG_TLS] : []));
      const port = c.protocol === 'tls' ? agent.syslog!.tls! : agent.syslog!.tcp;
      const forwarder = await startRsyslogForwarder({
        target: { host: '127.0.0.1', port },
        protocol: c.protocol,
        framing: c.framing,
        ...(c.protocol === 'tls' ? { tls: { caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile } } : {}),
      });
      try {
        const marks = [marker('rsyslog'), marker('rsyslog'), marker('rsyslog')];
        await forwarder.send(marks.map((m, i) => `<${i === 2 ? 187 : 30}>Nov 30 11:0${i}:00 edge-router app[${100 + i}]: message ${m}`));
        const rows = await Promise.all(marks.map((m) => storedLog(backend, m)));
        // rsyslog keeps the space after an RFC 3164 TAG's colon as the first character of MSG.
        expect(rows.map((r) => r.LogAttributes.message)).to.deep.equal(marks.map((m) => ` message ${m}`));
        expect(rows.map((r) => r.ResourceAttributes['host.name'])).to.deep.equal(['edge-router', 'edge-router', 'edge-router']);
        expect(rows[2]).to.include({ SeverityText: 'err', SeverityNumber: 17 });
        expect(rows[0]!.LogAttributes).to.include({ appname: 'app', proc_id: '100', 'network.transport': 'tcp' });
        if (c.protocol === 'tls') expect(rows[0]!.LogAttributes['tls.established']).to.equal('true');
      } catch (err) {
        throw new Error(`${(err as Error).message}\nrsyslog said:\n${forwarder.output().slice(-2000)}`, { cause: err });
      } finally {
        await forwarder.stop();
      }
    });
  }

  it('refuses a TLS client without a certificate, and counts it', async function () {
    const before = metricValue(await agent.metrics(), 'rollpoint_agent_receiver_syslog_connections_total{receiver="syslog",transport="tls",outcome="tls_failed"}');
    await new Promise<void>((resolve) => {
      const socket = tlsConnect({ port: agent.syslog!.tls!, host: '127.0.0.1', ca: [readFileSync(pki.caFile)], servername: 'localhost' });
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
      socket.on('secureConnect', () => socket.write('<13>1 - - - - - - should not arrive\n'));
    });
    await waitUntil(
      async () => metricValue(await agent.metrics(), 'rollpoint_agent_receiver_syslog_connections_total{receiver="syslog",transport="tls",outcome="tls_failed"}') > before,
      'the refused handshake to be counted',
      5000,
    );
  });
});

