import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import snmp from 'net-snmp';
import { REPO_ROOT } from '../testing/paths.js';
import { metricValue, startAgentProcess, startBackendProcess, tempFolder, waitUntil, type AgentProcess, type BackendProcess } from '../testing/processes.js';
import { requireTools, SNMPTRAP } from '../testing/debian-tools.js';
import { countTraps, markerVarbind, snmpCommand, storedTrap } from '../testing/snmp.js';
import { marker } from '../testing/syslog.js';

const ENGINE_ID = '8000000001020304aabbccdd';
const USER = { name: 'netops', auth: 'authpass-123', priv: 'privpass-456' };
const IF_ENTRY = '1.3.6.1.2.1.2.2.1';

describe('SNMP trap receiver with real senders: snmptrap, snmpinform and net-snmp', function () {
  let backend: BackendProcess;
  let agent: AgentProcess;
  let port: number;
  const mibFolder = join(tempFolder('mibs'), 'mibs');

  const rejected = async () => metricValue(await agent.metrics(), 'rollpoint_agent_receiver_snmp_traps_total{receiver="snmptrap",version="unknown",outcome="rejected"}');

  before(async function () {
    requireTools(this, SNMPTRAP);
    mkdirSync(mibFolder);
    backend = await startBackendProcess();
    agent = await startAgentProcess({
      backendGrpcPort: backend.grpcPort,
      batch: { timeout: '20ms' },
      snmptrap: {
        communities: ['public', 'ops'],
        users: [{ name: USER.name, auth_protocol: 'sha', auth_key: USER.auth, priv_protocol: 'aes', priv_key: USER.priv }],
        engine_id: ENGINE_ID,
        mib_folder: mibFolder,
      },
    });
    port = agent.snmptrap!;
  });

  after(async function () {
    await agent?.stop();
    await backend?.stop();
    rmSync(join(mibFolder, '..'), { recursive: true, force: true });
  });

  const target = () => `udp:127.0.0.1:${port}`;

  it('converts a v1 generic trap (linkDown) by RFC 3584 and keeps its agent address', async function () {
    const mark = marker('v1-generic');
    const sent = await snmpCommand('snmptrap', ['-v', '1', '-c', 'public', target(), '1.3.6.1.4.1.9.1.1', '192.0.2.10', '2', '0', '', `${IF_ENTRY}.1.7`, 'i', '7', `${IF_ENTRY}.8.7`, 'i', '2', ...markerVarbind(mark)]);
    expect(sent.code, sent.output).to.equal(0);
    const row = await storedTrap(backend, mark);
    expect(row.Body).to.equal('linkDown');
    expect(row).to.include({ SeverityText: 'WARN', SeverityNumber: 13 });
    expect(row.LogAttributes).to.include({
      'snmp.trap.oid': '1.3.6.1.6.3.1.1.5.3',
      'snmp.trap.name': 'linkDown',
      'snmp.version': '1',
      'snmp.community': 'public',
      'snmp.agent_address': '192.0.2.10',
      'snmp.varbind.ifIndex': '7',
      'snmp.varbind.ifOperStatus': 'down',
      'snmp.varbind.snmpTrapAddress': '192.0.2.10',
      'snmp.varbind.snmpTrapEnterprise': '1.3.6.1.4.1.9.1.1',
      'rollpoint.event.kind': 'link_down',
    });
    expect(row.ResourceAttributes['host.name']).to.equal('192.0.2.10');
  });

  it('converts a v1 enterprise-specific trap to enterprise.0.specific', async function () {
    const mark = marker('v1-enterprise');
    const sent = await snmpCommand('snmptrap', ['-v', '1', '-c', 'ops', target(), '1.3.6.1.4.1.9.9.43.2', '192.0.2.11', '6', '1', '', ...markerVarbind(mark)]);
    expect(sent.code, sent.output).to.equal(0);
    const row = await storedTrap(backend, mark);
    expect(row.LogAttributes).to.include({ 'snmp.trap.oid': '1.3.6.1.4.1.9.9.43.2.0.1', 'snmp.trap.name': 'ciscoConfigManEvent', 'rollpoint.event.kind': 'config_change', 'snmp.community': 'ops' });
  });

  it('takes a v2c trap with named varbinds and enum labels', async function () {
    const mark = marker('v2c-trap');
    const sent = await snmpCommand('snmptrap', [
      '-v', '2c', '-c', 'public', target(), '12345', '1.3.6.1.6.3.1.1.5.4',
      `${IF_ENTRY}.1.3`, 'i', '3', `${IF_ENTRY}.2.3`, 's', 'GigabitEthernet0/3', `${IF_ENTRY}.7.3`, 'i', '1', `${IF_ENTRY}.8.3`, 'i', '1',
      '1.3.6.1.4.1.9.9.43.1.1.6.1.3.1', 'i', '1', '1.3.6.1.2.1.1.2.0', 'o', '1.3.6.1.6.3.1.1.5.1', ...markerVarbind(mark),
    ]);
    expect(sent.code, sent.output).to.equal(0);
    const row = await storedTrap(backend, mark);
    expect(row.Body).to.equal('linkUp');
    expect(row).to.include({ SeverityText: 'INFO' });
    expect(row.LogAttributes).to.include({
      'snmp.version': '2c',
      'snmp.pdu_type': 'trap',
      'snmp.uptime': '12345',
      'snmp.varbind.ifDescr': 'GigabitEthernet0/3',
      'snmp.varbind.ifAdminStatus': 'up',
      'snmp.varbind.ifOperStatus': 'up',
      'snmp.varbind.ccmHistoryEventCommandSource': 'commandLine',
      'snmp.varbind.sysObjectID': 'coldStart',
      'rollpoint.event.kind': 'link_up',
    });
  });

  it('acknowledges a v2c inform', async function () {
    const mark = marker('v2c-inform');
    const sent = await snmpCommand('snmpinform', ['-v', '2c', '-c', 'public', target(), '', '1.3.6.1.6.3.1.1.5.1', ...markerVarbind(mark)]);
    expect(sent.code, `snmpinform got no acknowledgement: ${sent.output}`).to.equal(0);
    const row = await storedTrap(backend, mark);
    expect(row.LogAttributes).to.include({ 'snmp.pdu_type': 'inform', 'snmp.trap.name': 'coldStart', 'rollpoint.event.kind': 'cold_start' });
  });

  const v3 = (password = USER.auth) => ['-v', '3', '-u', USER.name, '-l', 'authPriv', '-a', 'SHA', '-A', password, '-x', 'AES', '-X', USER.priv];

  it('takes a v3 authPriv (SHA/AES) trap, naming the user but no secret', async function () {
    const mark = marker('v3-trap');
    const sent = await snmpCommand('snmptrap', [...v3(), '-e', '0x8000000001aabbccddeeff', target(), '', '1.3.6.1.6.3.1.1.5.5', ...markerVarbind(mark)]);
    expect(sent.code, sent.output).to.equal(0);
    const row = await storedTrap(backend, mark);
    expect(row.LogAttributes).to.include({ 'snmp.version': '3', 'snmp.security_name': USER.name, 'snmp.trap.name': 'authenticationFailure', 'rollpoint.event.kind': 'auth_failure' });
    expect(JSON.stringify(row)).not.to.include(USER.auth).and.not.to.include(USER.priv);
  });

  it('acknowledges a v3 authPriv (SHA/AES) inform', async function () {
    const mark = marker('v3-inform');
    const sent = await snmpCommand('snmpinform', [...v3(), target(), '', '1.3.6.1.6.3.1.1.5.2', ...markerVarbind(mark)]);
    expect(sent.code, `snmpinform got no acknowledgement: ${sent.output}`).to.equal(0);
    const row = await storedTrap(backend, mark);
    expect(row.LogAttributes).to.include({ 'snmp.version': '3', 'snmp.pdu_type': 'inform', 'snmp.trap.name': 'warmStart' });
  });

  it('refuses a wrong community and a wrong v3 password, counts them, logs no secret', async function () {
    const before = await rejected();
    const [community, password] = [marker('wrong-community'), marker('wrong-password')];
    await snmpCommand('snmptrap', ['-v', '2c', '-c', 'guessed-community', target(), '', '1.3.6.1.6.3.1.1.5.1', ...markerVarbind(community)]);
    await snmpCommand('snmptrap', [...v3('not-the-password'), '-e', '0x8000000001aabbccddeeff', target(), '', '1.3.6.1.6.3.1.1.5.1', ...markerVarbind(password)]);
    await waitUntil(async () => (await rejected()) >= before + 2, 'both refusals to be counted', 10000);
    // A marked trap that does go through afterwards shows the refused ones had their chance to arrive.
    const after = marker('after-refusals');
    await snmpCommand('snmptrap', ['-v', '2c', '-c', 'public', target(), '', '1.3.6.1.6.3.1.1.5.1', ...markerVarbind(after)]);
    await storedTrap(backend, after);
    expect(await countTraps(backend, community)).to.equal(0);
    expect(await countTraps(backend, password)).to.equal(0);
    expect(agent.output()).not.to.include('guessed-community').and.not.to.include('not-the-password');
  });

  it("takes traps from net-snmp's own sender (v2c and v3)", async function () {
    const send = (session: ReturnType<typeof snmp.createSession>, mark: string) =>
      new Promise<void>((resolve, reject) =>
        session.trap(snmp.TrapType.LinkDown, [{ oid: '1.3.6.1.2.1.1.6.0', type: snmp.ObjectType.OctetString, value: mark }], (error: Error | null) => {
          session.close();
          if (error) reject(error);
          else resolve();
        }),
      );
    const [v2Mark, v3Mark] = [marker('net-snmp-v2c'), marker('net-snmp-v3')];
    await send(snmp.createSession('127.0.0.1', 'public', { version: snmp.Version2c, trapPort: port }), v2Mark);
    const user = { name: USER.name, level: snmp.SecurityLevel.authPriv, authProtocol: snmp.AuthProtocols.sha, authKey: USER.auth, privProtocol: snmp.PrivProtocols.aes, privKey: USER.priv };
    await send(snmp.createV3Session('127.0.0.1', user as never, { trapPort: port, engineID: '8000000001c0ffee00' } as never), v3Mark);
    expect((await storedTrap(backend, v2Mark)).LogAttributes).to.include({ 'snmp.version': '2c', 'snmp.trap.name': 'linkDown' });
    expect((await storedTrap(backend, v3Mark)).LogAttributes).to.include({ 'snmp.version': '3', 'snmp.security_name': USER.name });
  });

  it('names a vendor trap once its MIB file is dropped into the MIB folder', async function () {
    const vendorTrap = ['1.3.6.1.4.1.99999.0.1', '1.3.6.1.4.1.99999.1.1.0', 'i', '2'];
    const before = marker('mib-before');
    await snmpCommand('snmptrap', ['-v', '2c', '-c', 'public', target(), '', ...vendorTrap, ...markerVarbind(before)]);
    const numeric = await storedTrap(backend, before);
    expect(numeric.Body).to.equal('1.3.6.1.4.1.99999.0.1');
    expect(numeric.LogAttributes).to.include({ 'snmp.varbind.1.3.6.1.4.1.99999.1.1.0': '2', 'rollpoint.event.kind': 'other' });

    copyFileSync(join(REPO_ROOT, 'agent/testdata/mibs/ROLLPOINT-TEST-MIB.txt'), join(mibFolder, 'ROLLPOINT-TEST-MIB.txt'));
    let named: Record<string, unknown> | undefined;
    await waitUntil(async () => {
      const mark = marker('mib-after');
      await snmpCommand('snmptrap', ['-v', '2c', '-c', 'public', target(), '', ...vendorTrap, ...markerVarbind(mark)]);
      const row = await storedTrap(backend, mark);
      named = row;
      return row.Body === 'rpTestPowerSupplyFailed';
    }, 'the MIB to be loaded', 20000);
    expect((named as { LogAttributes: Record<string, string> }).LogAttributes).to.include({ 'snmp.trap.name': 'rpTestPowerSupplyFailed', 'snmp.varbind.rpTestPowerSupplyState': 'failed' });
    await sleep(0);
  });
});
