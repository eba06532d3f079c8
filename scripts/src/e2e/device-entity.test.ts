import { expect } from 'chai';
import { requireTools, SNMPTRAP } from '../testing/debian-tools.js';
import { rmSync } from 'node:fs';
import { startAgentProcess, startBackendProcess, tempFolder, waitUntil, type AgentProcess, type BackendProcess } from '../testing/processes.js';
import { markerVarbind, snmpCommand, storedTrap } from '../testing/snmp.js';
import { marker, sendTcp, storedLog } from '../testing/syslog.js';

// One entity per device (issue 16), through the real agent and backend: a router's config-change
// syslog arrives under its hostname, its link-down trap under its address, and both land on one
// device, whose config change is then the first suspect of the incident the trap opens.
// - edge-1 sends both from 127.0.0.2: the agent learns 127.0.0.2 ↔ edge-1 from the syslog and
//   gives the trap (snmptrap v2c, sent from that address) the name (as the backend would, having
//   stored the syslog). A syslog line the agent's filter drops shows the agent's part alone.
// - edge-2's syslog comes from 127.0.0.4, its trap (v1, agent-addr 127.0.0.3) from 127.0.0.1: no
//   pair to learn; the backend's `devices:` table says 127.0.0.3 is edge-2.
// - edge-3 sends its syslog (from 127.0.0.5) to one agent and its traps (from 127.0.0.5) to
//   another: the backend learns 127.0.0.5 ↔ edge-3 from the stored syslog.
// Each router is the only device of its scope, so a trap stored under its address would open no
// incident there. Windows are 10 s so that the traps (stamped when received) soon fall in a
// complete window; each config change is stamped 15 s before the window it is sent in, so that the
// trap, in that window or the next, comes less than three windows (stable_windows) after it: the
// change has not soaked, and the checkpoint is before it.

const WINDOW = 10_000;
const iso = (ms: number): string => new Date(ms).toISOString();
const LINK_DOWN = '1.3.6.1.6.3.1.1.5.3';
const IF_INDEX_1 = ['1.3.6.1.2.1.2.2.1.1.1', 'i', '1'];
/** The syslog APPNAME the agent's filter drops: what the agent learns from it, the backend never sees. */
const AGENT_ONLY = 'agent-only';

interface Detail {
  firstBad: { entity: string; rules: string[] };
  checkpoint: { time: string | null };
  suspects: Array<{ entityKind: string; entity: string; kind: string; time: string; onFirstBad: boolean }>;
  story: string;
}

describe('one entity per device: a router seen by its syslog and by its traps', function () {
  this.timeout(180000);
  let backend: BackendProcess;
  let agent: AgentProcess;
  const agentData = tempFolder('device-entity-agent');

  before(async function () {
    requireTools(this, SNMPTRAP);
    const router = (device: string) => ({ services: [], hosts: [], devices: [device] });
    backend = await startBackendProcess({
      extra: {
        checkpoints: { window: '10s', recompute_interval: '1s', scopes: { 'router-1': router('edge-1'), 'router-2': router('edge-2'), 'router-3': router('edge-3') } },
        devices: [{ name: 'edge-2', addresses: ['127.0.0.3'], names: [] }],
      },
    });
    agent = await startAgentProcess({
      backendGrpcPort: backend.grpcPort,
      dataDir: agentData,
      batch: { timeout: '20ms' },
      syslog: {},
      snmptrap: {},
      exporter: { heartbeat_interval: '1s' },
      logsProcessors: { 'filter/agent-only': { logs: { exclude: { match_type: 'strict', record_attributes: [{ key: 'appname', value: AGENT_ONLY }] } } } },
    });
  });

  after(async function () {
    await agent?.stop();
    await backend?.stop();
    rmSync(agentData, { recursive: true, force: true });
  });

  /** The router's config change over TCP from `from`, stamped 15 s before this window; its time. */
  const configChange = async (host: string, from: string): Promise<number> => {
    const time = Math.floor(Date.now() / WINDOW) * WINDOW - 15_000;
    const mark = marker(host);
    await sendTcp(agent.syslog!.tcp, `<189>1 ${iso(time)} ${host} - - - - %SYS-5-CONFIG_I: Configured from console by admin on vty0 ${mark}\n`, from);
    const row = await storedLog(backend, mark);
    expect(row.ResourceAttributes['host.name']).to.equal(host);
    expect(row.LogAttributes['rollpoint.event.kind']).to.equal('config_change');
    return time;
  };

  /** Sends a linkDown trap with `args` before its OIDs (to `to`, by default the agent); the stored trap. */
  const linkDown = async (args: string[], trap: string[], to = agent) => {
    const mark = marker('trap');
    const sent = await snmpCommand('snmptrap', [...args, `127.0.0.1:${to.snmptrap}`, ...trap, ...IF_INDEX_1, ...markerVarbind(mark)]);
    expect(sent.code, sent.output).to.equal(0);
    return storedTrap(backend, mark);
  };

  /** The incident of `scope` once its window is complete, with its checkpoint and suspects. */
  const incidentOf = async (scope: string, since: number): Promise<Detail> => {
    let ids: string[] = [];
    await waitUntil(
      async () => {
        const answer = (await (await fetch(`${backend.url}/api/v1/incidents?scope=${scope}&from=${iso(since - 60_000)}`)).json()) as { incidents: Array<{ id: string }> };
        ids = answer.incidents.map((i) => i.id);
        return ids.length > 0;
      },
      `an incident in scope ${scope}`,
      60000,
      backend,
    );
    expect(ids).to.have.length(1);
    return (await (await fetch(`${backend.url}/api/v1/incidents/${encodeURIComponent(ids[0]!)}`)).json()) as Detail;
  };

  it("learned by the agent: edge-1's trap from the address its syslog came from is edge-1's", async function () {
    const changed = await configChange('edge-1', '127.0.0.2');
    const trap = await linkDown(['-v', '2c', '-c', 'public', '--clientaddr=127.0.0.2'], ['', LINK_DOWN]);
    expect(trap.ResourceAttributes['host.name']).to.equal('edge-1');
    expect(trap.LogAttributes).to.include({ 'snmp.agent_address': '127.0.0.2', 'network.peer.address': '127.0.0.2', 'rollpoint.event.kind': 'link_down' });

    const detail = await incidentOf('router-1', changed);
    expect(detail.firstBad).to.deep.include({ entity: 'edge-1', rules: ['link_down'] });
    // The end of the window before the change's.
    expect(detail.checkpoint.time).to.equal(iso(changed - 5_000));
    expect(detail.suspects[0]).to.include({ entityKind: 'device', entity: 'edge-1', kind: 'config_change', time: iso(changed), onFirstBad: true });
    expect(detail.story).to.include('edge-1 config change');
  });

  it('the agent alone names a trap from an address its syslog taught it, and keeps that across a restart', async function () {
    // The lessons never reach the backend (the agent's filter drops them): only the agent can name a first trap.
    const teach = (host: string, from: string) => sendTcp(agent.syslog!.tcp, `<190>1 ${iso(Date.now())} ${host} ${AGENT_ONLY} - - - hello\n`, from);
    await teach('lab-1', '127.0.0.6');
    await teach('lab-2', '127.0.0.7');
    const named = async (from: string) => (await linkDown(['-v', '2c', '-c', 'public', `--clientaddr=${from}`], ['', LINK_DOWN])).ResourceAttributes['host.name'];
    expect(await named('127.0.0.6')).to.equal('lab-1');
    await agent.stop();
    agent = await agent.restart();
    expect(await backend.sql("SELECT * FROM learned_devices WHERE address = '127.0.0.7'")).to.deep.equal([]);
    expect(await named('127.0.0.7')).to.equal('lab-2');
  });

  it("configured in the backend: edge-2's trap from an address only the devices: table knows is edge-2's", async function () {
    const changed = await configChange('edge-2', '127.0.0.4');
    // v1: the agent-addr field (127.0.0.3) names the device, not the packet's source (127.0.0.1).
    const trap = await linkDown(['-v', '1', '-c', 'public'], ['1.3.6.1.4.1.9.1', '127.0.0.3', '2', '0', '']);
    expect(trap.ResourceAttributes['host.name']).to.equal('edge-2');
    expect(trap.LogAttributes).to.include({ 'snmp.agent_address': '127.0.0.3', 'network.peer.address': '127.0.0.1', 'rollpoint.event.kind': 'link_down' });

    const detail = await incidentOf('router-2', changed);
    expect(detail.firstBad).to.deep.include({ entity: 'edge-2', rules: ['link_down'] });
    expect(detail.suspects[0]).to.include({ entityKind: 'device', entity: 'edge-2', kind: 'config_change', time: iso(changed), onFirstBad: true });
  });

  it("learned by the backend: edge-3's trap through another agent is edge-3's, as its syslog through the first said", async function () {
    const other = await startAgentProcess({ backendGrpcPort: backend.grpcPort, batch: { timeout: '20ms' }, snmptrap: {}, exporter: { heartbeat_interval: '1s' } });
    try {
      const changed = await configChange('edge-3', '127.0.0.5');
      // Learned once the syslog was stored, and written down (for a restart) just after.
      const learned = "SELECT address, name FROM learned_devices WHERE name = 'edge-3'";
      await waitUntil(async () => (await backend.sql(learned)).length > 0, 'the pair to be written to learned_devices', 30000, backend);
      expect(await backend.sql(learned)).to.deep.equal([{ address: '127.0.0.5', name: 'edge-3' }]);
      const trap = await linkDown(['-v', '2c', '-c', 'public', '--clientaddr=127.0.0.5'], ['', LINK_DOWN], other);
      expect(trap.ResourceAttributes['host.name']).to.equal('edge-3');
      expect(trap.LogAttributes).to.include({ 'snmp.agent_address': '127.0.0.5' });

      const detail = await incidentOf('router-3', changed);
      expect(detail.firstBad).to.deep.include({ entity: 'edge-3', rules: ['link_down'] });
      expect(detail.suspects[0]).to.include({ entityKind: 'device', entity: 'edge-3', kind: 'config_change', time: iso(changed), onFirstBad: true });
    } finally {
      await other.stop();
    }
  });

  it('stores one device per router and draws one lane for each on the timeline', async function () {
    const devices = await backend.sql("SELECT DISTINCT ResourceAttributes['host.name'] AS device FROM otel_logs WHERE ScopeName IN ('rollpoint/syslog', 'rollpoint/snmptrap') ORDER BY device");
    expect(devices.map((d) => d.device)).to.deep.equal(['edge-1', 'edge-2', 'edge-3', 'lab-1', 'lab-2']);
    const timeline = (await (await fetch(`${backend.url}/api/v1/timeline?from=${iso(Date.now() - 120_000)}`)).json()) as { lanes: Array<{ entityKind: string; entity: string }> };
    expect(timeline.lanes.filter((l) => l.entityKind === 'device').map((l) => l.entity).sort()).to.deep.equal(['edge-1', 'edge-2', 'edge-3', 'lab-1', 'lab-2']);
  });
});
