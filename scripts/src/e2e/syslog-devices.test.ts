import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { REPO_ROOT } from '../testing/paths.js';
import { startAgentProcess, startBackendProcess, type AgentProcess, type BackendProcess } from '../testing/processes.js';
import { marker, sendUdp, storedLog } from '../testing/syslog.js';

// One device line of each vendor in the corpus, sent over UDP to the built agent and stored by the
// backend: the stored record has the device's name, the MSGID or tag, and the event kind that the
// corpus expects. A marker at the end of each line finds its row.

interface DeviceCase {
  name: string;
  vendor?: string;
  input: string;
  host: string;
  attributes: Record<string, unknown>;
}

const corpus = JSON.parse(readFileSync(`${REPO_ROOT}agent/testdata/syslog-corpus.json`, 'utf8')) as { peer: string; cases: DeviceCase[] };
const cases = corpus.cases;

/** A case of each vendor that yields an event kind (Cisco IOS twice: the config change and link down of issue 16). */
const SENT = [
  'Cisco IOS: counter, origin-id hostname, unsynced clock, msec and UTC: config change',
  'Cisco IOS: origin-id hostname: LINK-3-UPDOWN down',
  'Cisco IOS-XE: DMI config from NETCONF/RESTCONF',
  'Cisco NX-OS: native format: link failure',
  'Cisco IOS-XR: PKT_INFRA link Down (capitalised)',
  'Cisco ASA: device-id hostname: command executed',
  'Juniper Junos: explicit-priority commit',
  'Arista EOS: line protocol down (Ebra)',
  'Fortinet FortiGate: admin login failed',
  'Palo Alto PAN-OS: system link-change down',
  'F5 BIG-IP: switch port link down',
  'MikroTik RouterOS: bsd-syslog: SFP link down',
  'Ubiquiti: EdgeSwitch link down',
  'Aruba: ArubaOS-Switch port off-line',
  'HPE/H3C Comware: configuration changed',
  'Huawei VRP: VRP8 alarm linkDown_active with msec and offset',
].map((name) => {
  const found = cases.find((c) => c.name === name);
  if (!found) throw new Error(`no corpus case named "${name}"`);
  return found;
});

describe(`syslog device lines end to end: ${SENT.length} lines of 15 vendors over UDP`, function () {
  let backend: BackendProcess;
  let agent: AgentProcess;

  before(async function () {
    backend = await startBackendProcess();
    agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort, batch: { timeout: '20ms' }, syslog: {} });
  });

  after(async function () {
    await agent?.stop();
    await backend?.stop();
  });

  it('stores each under its device, with its MSGID or tag and its event kind', async function () {
    const marks = SENT.map(() => marker('device'));
    await sendUdp(
      agent.syslog!.udp,
      SENT.map((c, i) => `${c.input} ${marks[i]}`),
    );
    const rows = await Promise.all(marks.map((m) => storedLog(backend, m)));
    const got = rows.map((row) => ({
      host: row.ResourceAttributes['host.name'],
      kind: row.LogAttributes['rollpoint.event.kind'],
      id: row.LogAttributes.appname ?? row.LogAttributes.msg_id,
      message: row.LogAttributes.message,
    }));
    const want = SENT.map((c, i) => ({
      // A line without a hostname is the sender's: the corpus's peer there, 127.0.0.1 here.
      host: c.host === corpus.peer ? '127.0.0.1' : c.host,
      kind: c.attributes['rollpoint.event.kind'],
      id: c.attributes.appname ?? c.attributes.msg_id,
      message: `${String(c.attributes.message)} ${marks[i]}`,
    }));
    expect(got).to.deep.equal(want);
    expect(new Set(SENT.map((c) => c.vendor)).size).to.equal(15);
  });
});
