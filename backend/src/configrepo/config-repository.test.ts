import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import { checkpointsConfigSchema } from '../checkpoints/config.js';
import { CheckpointEngine } from '../checkpoints/engine.js';
import { explain } from '../checkpoints/explain.js';
import type { Change, EntityState } from '../checkpoints/api-types.js';
import { configRepositorySchema } from './config.js';
import { configDiff } from './config-diff.js';
import { deviceOfFile } from './device-files.js';
import { openConfigRepository } from './open.js';
import { ConfigCommitPoller } from './poller.js';
import { ConfigRepository } from './repository.js';
import { TestConfigRepository } from '../testing/config-repository.js';
import { storeDeviceEvent } from '../testing/scenario-data.js';
import { useTempStore } from '../testing/temp-store.js';

// A real git repository of device configs (made here with isomorphic-git, commits at set times),
// read into the embedded ClickHouse: the revisions become changes, a syslog config change that
// announced a commit is one change with it, and the checkpoint names each device's revision to
// restore with the diff to its config now.

const MINUTE = 60_000;
// Two hours ago, on the hour: every window is complete.
const T = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
const at = (minutes: number, seconds = 0): number => T + minutes * MINUTE + seconds * 1000;
const iso = (ms: number): string => new Date(ms).toISOString();

const EDGE_V1 = 'hostname edge-1\ninterface Gi0/1\n description uplink\n no shutdown\n';
const EDGE_V2 = 'hostname edge-1\ninterface Gi0/1\n description uplink\n no shutdown\nip route 0.0.0.0 0.0.0.0 10.0.0.1\n';
const EDGE_V3 = 'hostname edge-1\ninterface Gi0/1\n description uplink\n shutdown\nip route 0.0.0.0 0.0.0.0 10.0.0.1\n';
const SW_V1 = 'hostname sw-1\nvlan 10\n';
const SW_V2 = 'hostname sw-1\nvlan 10\nvlan 20\n';

describe('config repository: device config revisions from git', function () {
  this.timeout(120000);
  const held = useTempStore('configrepo');
  const dir = mkdtempSync(join(tmpdir(), 'rollpoint-configs-'));
  const logger = pino({ level: 'silent' });
  const config = configRepositorySchema.parse({ path: dir, devices: { files: { 'rancid/r1.cfg': 'r1' } } });
  const deviceOf = deviceOfFile(config.devices, (name) => (name === 'edge-1.example.net' ? 'edge-1' : name));
  const commits: Record<string, string> = {};
  let repo: TestConfigRepository;
  let repository: ConfigRepository;

  before(async function () {
    repo = await TestConfigRepository.create(dir);
    // Before its first commit, a repository has nothing to read (and that is no error).
    expect(await new ConfigCommitPoller(held.store, new ConfigRepository(dir), deviceOf, logger).poll()).to.equal(0);
    // Oxidized's layout: a node in the root, a node in a group's folder; a dot file that is no device.
    commits.initial = await repo.commit({ timeMs: at(0), author: 'oxidized', message: 'initial configs', files: { 'edge-1': EDGE_V1, 'core/sw-1': SW_V1, '.gitignore': '*.tmp\n' } });
    // Announced by syslog 15 s before Oxidized fetched it.
    await storeDeviceEvent(held.store, 'edge-1', at(10, 5), '%SYS-5-CONFIG_I: Configured from console by admin on vty0', 'config_change');
    commits.route = await repo.commit({ timeMs: at(10, 20), author: 'oxidized', message: 'update edge-1', files: { 'edge-1': EDGE_V2 } });
    // No syslog told of this one.
    commits.vlan = await repo.commit({ timeMs: at(20), author: 'nightly', message: 'update core/sw-1', files: { 'core/sw-1': SW_V2 } });
    await storeDeviceEvent(held.store, 'edge-1', at(30, 30), '%SYS-5-CONFIG_I: Configured from console by bob on vty1', 'config_change');
    commits.shutdown = await repo.commit({ timeMs: at(30, 40), author: 'oxidized', message: 'update edge-1', files: { 'edge-1': EDGE_V3 } });
    // A syslog config change of sw-1 with no commit near it: a change of its own.
    await storeDeviceEvent(held.store, 'sw-1', at(40), '%SYS-5-CONFIG_I: Configured from console by carol on vty0', 'config_change');
    repository = new ConfigRepository(dir);
  });

  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('knows which file is which device: configured files, then the file pattern, through the device names', function () {
    expect(['edge-1', 'core/sw-1', 'edge-1.example.net', 'rancid/r1.cfg', '.gitignore', 'core/.keep'].map(deviceOf)).to.deep.equal(['edge-1', 'sw-1', 'edge-1', 'r1', undefined, undefined]);
    const rancid = deviceOfFile(configRepositorySchema.parse({ path: dir, devices: { file_pattern: '^[^/]+/configs/([^/]+)$' } }).devices, (name) => name);
    expect(['routers/configs/r2', 'routers/router.db', 'r3'].map(rancid)).to.deep.equal(['r2', undefined, undefined]);
    expect(configRepositorySchema.safeParse({ path: dir, devices: { file_pattern: '^[^/]+$' } }).error?.issues.map((i) => [i.path.join('.'), i.message])).to.deep.equal([['devices.file_pattern', 'needs a capture group: the device name']]);
    expect(configRepositorySchema.safeParse({ path: dir, devices: { file_pattern: '(' } }).success).to.equal(false);
  });

  it('reads each commit with the files it changed, and the text of a file at a commit', async function () {
    const read = await repository.commits();
    expect(read.map((c) => [c.commit, c.time * 1000, c.author, c.message, c.files.map((f) => f.path).sort()])).to.deep.equal([
      [commits.shutdown, at(30, 40), 'oxidized', 'update edge-1', ['edge-1']],
      [commits.vlan, at(20), 'nightly', 'update core/sw-1', ['core/sw-1']],
      [commits.route, at(10, 20), 'oxidized', 'update edge-1', ['edge-1']],
      [commits.initial, at(0), 'oxidized', 'initial configs', ['.gitignore', 'core/sw-1', 'edge-1']],
    ]);
    expect(await repository.text(read[0]!.files[0]!.blob)).to.equal(EDGE_V3);
    // A bare repository (Oxidized's git output) is its git folder itself.
    expect(await new ConfigRepository(join(dir, '.git')).head()).to.equal(commits.shutdown);
    expect(() => new ConfigRepository(join(dir, 'core'))).to.throw(/is not a git repository/);
    // The backend does not start on such a path, and says which key is wrong.
    expect(() => openConfigRepository(configRepositorySchema.parse({ path: join(dir, 'core') }), [], held.store, logger)).to.throw(/^config_repository\.path: .*core is not a git repository/);
  });

  it('stores every revision of a device file once, across polls and restarts', async function () {
    const poller = new ConfigCommitPoller(held.store, repository, deviceOf, logger);
    expect(await poller.poll()).to.equal(5);
    expect(await poller.poll()).to.equal(0);
    // A restart: the stored commits are known.
    expect(await new ConfigCommitPoller(held.store, repository, deviceOf, logger).poll()).to.equal(0);
    const rows = await held.store.query({ sql: 'SELECT device, path, commit, author FROM config_commits FINAL ORDER BY time, device', params: {} });
    expect(rows).to.deep.equal([
      { device: 'edge-1', path: 'edge-1', commit: commits.initial, author: 'oxidized' },
      { device: 'sw-1', path: 'core/sw-1', commit: commits.initial, author: 'oxidized' },
      { device: 'edge-1', path: 'edge-1', commit: commits.route, author: 'oxidized' },
      { device: 'sw-1', path: 'core/sw-1', commit: commits.vlan, author: 'nightly' },
      { device: 'edge-1', path: 'edge-1', commit: commits.shutdown, author: 'oxidized' },
    ]);
  });

  it('lists config commits as changes, each syslog change that announced one folded into it', async function () {
    const engine = new CheckpointEngine(held.store, checkpointsConfigSchema.parse({}));
    // Oldest first, by entity within the same time.
    const changes = (await engine.changes('default', at(0) / 1000, at(60) / 1000, 100)).sort((a, b) => a.time.localeCompare(b.time) || a.entity.localeCompare(b.entity));
    const brief = (c: Change) => [c.time, c.entity, c.kind, c.source, c.author, c.version, c.previousVersion];
    expect(changes.map(brief)).to.deep.equal([
      [iso(at(0)), 'edge-1', 'config_commit', 'config_repository', 'oxidized', commits.initial, ''],
      [iso(at(0)), 'sw-1', 'config_commit', 'config_repository', 'oxidized', commits.initial, ''],
      // The syslog's time (the change on the device) and user; the commit's id.
      [iso(at(10, 5)), 'edge-1', 'config_commit', 'config_repository', 'admin', commits.route, commits.initial],
      // Without a syslog message: a change all the same.
      [iso(at(20)), 'sw-1', 'config_commit', 'config_repository', 'nightly', commits.vlan, commits.initial],
      [iso(at(30, 30)), 'edge-1', 'config_commit', 'config_repository', 'bob', commits.shutdown, commits.route],
      [iso(at(40)), 'sw-1', 'config_change', 'syslog', 'carol', '', ''],
    ]);
    expect(changes[2]!.title).to.equal(`edge-1 config ${commits.route!.slice(0, 8)}: update edge-1`);
    expect(changes[2]!.description).to.equal('update edge-1\n%SYS-5-CONFIG_I: Configured from console by admin on vty0');
  });

  it('names per device the revision to restore at the checkpoint, and the diff from it to the config now', async function () {
    const engine = new CheckpointEngine(held.store, checkpointsConfigSchema.parse({ scopes: { net: { services: [], hosts: [], devices: ['edge-1', 'sw-1'] } } }), (from, to) => configDiff(repository, from, to));
    const checkpoint = await engine.checkpoint('net', at(25) / 1000);
    expect(checkpoint.time).to.equal(iso(at(25)));
    const byDevice = new Map<string, EntityState>(checkpoint.state.map((s) => [s.entity, s]));
    const edge = byDevice.get('edge-1')!.config!;
    expect(edge.time).to.equal(iso(at(10, 5)));
    expect(edge.revision).to.include({ commit: commits.route, time: iso(at(10, 20)), author: 'oxidized', message: 'update edge-1', path: 'edge-1' });
    expect(edge.current).to.include({ commit: commits.shutdown, time: iso(at(30, 40)) });
    expect(edge.diff).to.equal(
      [
        '===================================================================',
        `--- a/edge-1\t${commits.route!.slice(0, 8)}`,
        `+++ b/edge-1\t${commits.shutdown!.slice(0, 8)}`,
        '@@ -1,5 +1,5 @@',
        ' hostname edge-1',
        ' interface Gi0/1',
        '  description uplink',
        '- no shutdown',
        '+ shutdown',
        ' ip route 0.0.0.0 0.0.0.0 10.0.0.1',
        '',
      ].join('\n'),
    );
    // sw-1 has not changed in the repository since: its revision is its config now.
    const sw = byDevice.get('sw-1')!.config!;
    expect([sw.revision?.commit, sw.current?.commit, sw.diff]).to.deep.equal([commits.vlan, commits.vlan, '']);

    // Before the first commit there is nothing to restore from the repository.
    const early = await engine.checkpoint('net', at(5) / 1000);
    expect(early.state.map((s) => [s.entity, s.config?.revision?.commit])).to.deep.equal([['edge-1', commits.initial], ['sw-1', commits.initial]]);

    const story = explain({ id: 'net:1', scope: 'net', start: iso(at(26)), end: iso(at(28)), status: 'resolved', windows: 2, peakEntities: 1, firstBad: { entityKind: 'device', entity: 'edge-1', rules: ['link_down'], errorRatio: 0, p95Ms: 0, errorLogs: 0, deviceEvents: { link_down: 1 }, baselines: {}, metrics: {} }, checkpoint, suspects: [] });
    expect(story).to.include(`Last checkpoint ${iso(at(25)).slice(11, 19)}: edge-1 config ${commits.route!.slice(0, 8)} of ${iso(at(10, 20)).slice(11, 19)}, sw-1 config ${commits.vlan!.slice(0, 8)} of ${iso(at(20)).slice(11, 19)}.`);
    expect(story).to.include(`edge-1: restore ${commits.route!.slice(0, 8)} (edge-1, by oxidized); the config now, ${commits.shutdown!.slice(0, 8)}, differs by:\n====`);
    expect(story).to.include('\n- no shutdown\n+ shutdown\n');
  });

  it('finds a commit made after the last poll at the next one: the config now moves on', async function () {
    const poller = new ConfigCommitPoller(held.store, repository, deviceOf, logger);
    await poller.poll();
    const later = await repo.commit({ timeMs: at(50), author: 'oxidized', message: 'update edge-1', files: { 'edge-1': EDGE_V1 } });
    expect(await poller.poll()).to.equal(1);
    const engine = new CheckpointEngine(held.store, checkpointsConfigSchema.parse({}));
    const edge = (await engine.checkpoint('default', at(25) / 1000)).state.find((s) => s.entity === 'edge-1')!.config!;
    expect([edge.revision?.commit, edge.current?.commit]).to.deep.equal([commits.route, later]);
  });
});
