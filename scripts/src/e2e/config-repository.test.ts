import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { status } from '@grpc/grpc-js';
import { traces } from '@rollpoint/proto';
import { TestConfigRepository } from '@rollpoint/backend/testing/config-repository';
import { trafficRequest } from '@rollpoint/backend/testing/scenario-data';
import { expect } from 'chai';
import { rawExport } from '../testing/grpc.js';
import { CLI_MAIN } from '../testing/paths.js';
import { startAgentProcess, startBackendProcess, tempFolder, waitUntil, type AgentProcess, type BackendProcess } from '../testing/processes.js';
import { sendTcp } from '../testing/syslog.js';

// A switch's config change breaks the service on the host behind it, through the real processes:
// the switch's configs in a git repository as Oxidized keeps them (made here, commits at set times,
// one a nightly fetch that no syslog announced), the backend reading it (config_repository), the
// switch's syslog and the service's spans sent through the agent. The checkpoint names the
// revision to restore from the repository, and the diff from it to the config now.

const run = promisify(execFile);
const MINUTE = 60_000;
const T = Math.floor(Date.now() / MINUTE) * MINUTE - 30 * MINUTE;
const at = (minutes: number, seconds = 0): number => T + minutes * MINUTE + seconds * 1000;
const iso = (ms: number): string => new Date(ms).toISOString();
const clock = (ms: number): string => iso(ms).slice(11, 19);

const CONFIG_V1 = 'hostname rack-sw\n!\ninterface Gi0/1\n switchport access vlan 10\n!\n';
const CONFIG_V2 = 'hostname rack-sw\n!\ninterface Gi0/1\n switchport access vlan 10\n!\nntp server 10.0.0.5\n';
// The change that breaks: the servers' port moved to the wrong VLAN.
const CONFIG_V3 = 'hostname rack-sw\n!\ninterface Gi0/1\n switchport access vlan 99\n!\nntp server 10.0.0.5\n';

describe('config repository: the checkpoint names the switch config to restore', function () {
  this.timeout(120000);
  const configs = tempFolder('configs');
  const commits: Record<string, string> = {};
  let backend: BackendProcess;
  let agent: AgentProcess;
  const cli = async (...args: string[]) => (await run(process.execPath, [CLI_MAIN, '--url', backend.url, ...args])).stdout;

  before(async function () {
    const repo = await TestConfigRepository.create(configs);
    commits.initial = await repo.commit({ timeMs: at(0), author: 'oxidized', message: 'update racks/rack-sw', files: { 'racks/rack-sw': CONFIG_V1 } });
    // The nightly fetch found a change no syslog told of.
    commits.ntp = await repo.commit({ timeMs: at(5), author: 'oxidized', message: 'update racks/rack-sw', files: { 'racks/rack-sw': CONFIG_V2 } });
    // Oxidized fetched the config 20 s after the switch's syslog said it changed.
    commits.vlan = await repo.commit({ timeMs: at(20, 50), author: 'oxidized', message: 'update racks/rack-sw', files: { 'racks/rack-sw': CONFIG_V3 } });

    backend = await startBackendProcess({
      extra: {
        checkpoints: { scopes: { rack: { services: ['rack-*'], hosts: [], devices: ['rack-sw'] } } },
        config_repository: { path: configs, poll_interval: '1s' },
      },
    });
    agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort, syslog: {}, exporter: { heartbeat_interval: '1s' } });
    const traffic = { service: 'rack-api', version: '3.2.0', host: 'rack-web-1', spansPerMinute: 60, latencyMs: () => 30 };
    const sends = [
      trafficRequest({ ...traffic, from: at(0), to: at(21), errorRate: () => 0.005 }),
      trafficRequest({ ...traffic, from: at(21), to: at(25), errorRate: () => 0.6 }),
      trafficRequest({ ...traffic, from: at(25), to: at(29), errorRate: () => 0.005 }),
    ];
    for (const request of sends) expect((await rawExport(agent.grpcPort, traces.grpcMethod, traces.encode(request))).code).to.equal(status.OK);
    await sendTcp(agent.syslog!.tcp, `<189>1 ${iso(at(20, 30))} rack-sw - - - - %SYS-5-CONFIG_I: Configured from console by admin on vty0\n`);
    await waitUntil(async () => Number((await backend.sql("SELECT count() AS n FROM otel_traces WHERE ServiceName = 'rack-api'"))[0]!.n) >= 29 * 60 - 1, 'the spans to be stored');
    await waitUntil(async () => Number((await backend.sql("SELECT count() AS n FROM change_events WHERE entity = 'rack-sw'"))[0]!.n) === 1, 'the syslog config change to be stored');
    await waitUntil(async () => Number((await backend.sql("SELECT count() AS n FROM config_commits WHERE device = 'rack-sw'"))[0]!.n) === 3, 'the config revisions to be read');
  });

  after(async function () {
    await agent?.stop();
    await backend?.stop();
    rmSync(configs, { recursive: true, force: true });
  });

  it('lists the commits as changes: the one no syslog announced, and the one a syslog did as one change', async function () {
    const { changes } = (await (await fetch(`${backend.url}/api/v1/changes?scope=rack&from=${encodeURIComponent(iso(T))}`)).json()) as { changes: Array<Record<string, unknown>> };
    const ofSwitch = changes.filter((c) => c.entity === 'rack-sw');
    expect(ofSwitch.map((c) => [c.time, c.kind, c.source, c.author, c.version, c.previousVersion])).to.deep.equal([
      [iso(at(20, 30)), 'config_commit', 'config_repository', 'admin', commits.vlan, commits.ntp],
      [iso(at(5)), 'config_commit', 'config_repository', 'oxidized', commits.ntp, commits.initial],
      [iso(at(0)), 'config_commit', 'config_repository', 'oxidized', commits.initial, ''],
    ]);
  });

  it('gives the checkpoint before the incident with the revision to restore and the diff to the config now', async function () {
    const checkpoint = JSON.parse(await cli('--json', 'checkpoint', '--scope', 'rack', '--at', iso(at(22)))) as { time: string; state: Array<{ entity: string; config?: Record<string, unknown> }> };
    expect(checkpoint.time).to.equal(iso(at(20)));
    const config = checkpoint.state.find((s) => s.entity === 'rack-sw')!.config as { revision: Record<string, string>; current: Record<string, string>; diff: string };
    expect(config.revision).to.include({ commit: commits.ntp, time: iso(at(5)), author: 'oxidized', path: 'racks/rack-sw' });
    expect(config.current).to.include({ commit: commits.vlan, time: iso(at(20, 50)) });
    expect(config.diff).to.include('--- a/racks/rack-sw').and.include('\n- switchport access vlan 10\n+ switchport access vlan 99\n');
    const table = await cli('checkpoint', '--scope', 'rack', '--at', iso(at(22)));
    expect(table).to.match(new RegExp(`device\\W+rack-sw\\W+config ${commits.ntp!.slice(0, 8)} of ${iso(at(5)).replace('T', ' ').slice(0, 19)} by oxidized`)).and.include('+ switchport access vlan 99');
  });

  it('explains the incident: the switch change is the suspect, the checkpoint restores its revision, with the diff', async function () {
    const story = await cli('explain', `rack:${at(21) / 1000}`);
    expect(story).to.include(`rack-api went unhealthy at ${clock(at(21))}`);
    expect(story).to.include(`Last checkpoint ${clock(at(20))}: rack-api 3.2.0, rack-sw config ${commits.ntp!.slice(0, 8)} of ${clock(at(5))}.`);
    expect(story).to.include(`Suspects since then: rack-sw config ${commits.vlan!.slice(0, 8)}: update racks/rack-sw (rack-sw) at ${clock(at(20, 30))} by admin.`);
    expect(story).to.include(`rack-sw: restore ${commits.ntp!.slice(0, 8)} (racks/rack-sw, by oxidized); the config now, ${commits.vlan!.slice(0, 8)}, differs by:`).and.include('+ switchport access vlan 99');
  });

  it('gives the timeline page the same: the checkpoint of the incident with the revision and the diff, the commits among its changes', async function () {
    const timeline = (await (await fetch(`${backend.url}/api/v1/timeline?scope=rack&from=${encodeURIComponent(iso(T))}`)).json()) as {
      incidents: Array<{ checkpoint: { state: Array<{ entity: string; config?: { revision?: { commit: string }; diff?: string } }> } }>;
      changes: Array<{ kind: string; version: string }>;
    };
    const device = timeline.incidents[0]!.checkpoint.state.find((s) => s.entity === 'rack-sw')!;
    expect(device.config?.revision?.commit).to.equal(commits.ntp);
    expect(device.config?.diff).to.include('+ switchport access vlan 99');
    expect(timeline.changes.filter((c) => c.kind === 'config_commit').map((c) => c.version)).to.deep.equal([commits.vlan, commits.ntp, commits.initial]);
  });
});
