// The packed build (`npm run pack`) installed as a server installs it (docs/DEPLOYMENT.md, "A server
// without Docker"): the archive unpacked in a temporary folder outside the repository, `npm install`
// there from npm's cache, then the installed backend and agent started from that folder on loopback
// ports with temporary data folders. A syslog line sent to the installed agent must be stored by the
// installed backend, whose embedded engine must be the installed copy of chdb, not the repository's.
// The systemd units the packages ship are checked against the example configurations beside them,
// and by systemd-analyze verify.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { loadAgentConfig } from '@rollpoint/agent';
import { loadBackendConfig } from '@rollpoint/backend';
import { expect } from 'chai';
import { requireTools, SYSTEMD_ANALYZE } from '../testing/debian-tools.js';
import { PACK_MAIN, REPO_ROOT } from '../testing/paths.js';
import { startAgentProcess, startBackendProcess, tempFolder, type ManagedProcess } from '../testing/processes.js';
import { marker, sendUdp, storedLog } from '../testing/syslog.js';

/** Where the units expect the install (ExecStart). */
const UNIT_PREFIX = '/opt/rollpoint';

const walk = (folder: string): string[] =>
  readdirSync(folder, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? walk(join(folder, entry.name)) : [join(folder, entry.name)]));

/** The value of `key=` in a unit file (each key is set once in ours). */
const unitField = (unit: string, key: string): string | undefined => unit.match(new RegExp(`^${key}=(.*)$`, 'm'))?.[1];

/** The files a running process has mapped (its native libraries among them), each once. */
const mappedFiles = (process: ManagedProcess): string[] =>
  readFileSync(`/proc/${process.child.pid}/maps`, 'utf8')
    .split('\n')
    .map((line) => line.split(/\s+/).slice(5).join(' '))
    .filter((path, i, all) => path.startsWith('/') && all.indexOf(path) === i);

describe('the packed build (npm run pack), installed without the repository', function () {
  let folder: string;
  /** The unpacked archive, where `npm install` ran: what a server has in /opt/rollpoint. */
  let prefix: string;
  const installed = (name: string) => join(prefix, 'node_modules', name);
  const command = (name: string) => join(prefix, 'node_modules', '.bin', name);

  before(function () {
    // npm install writes some 600 MiB (most of it chdb's engine), slow on a busy disk.
    this.timeout(180000);
    folder = tempFolder('install');
    const archive = execFileSync(process.execPath, [PACK_MAIN, '--out', folder], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    execFileSync('tar', ['-xzf', archive, '-C', folder]);
    prefix = join(folder, basename(archive, '.tar.gz'));
    // From npm's cache, which the repository's own install filled: no package is fetched that it holds.
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: prefix, stdio: ['ignore', 'pipe', 'pipe'] });
  });

  after(function () {
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('holds what the processes run, and neither tests nor TypeScript sources', function () {
    // Every workspace the archive carries, whatever their number.
    const files = walk(installed('@rollpoint')).map((path) => `@rollpoint/${relative(installed('@rollpoint'), path)}`);
    expect(files).to.include.members([
      '@rollpoint/proto/dist/index.js',
      '@rollpoint/proto/opentelemetry/proto/collector/logs/v1/logs_service.proto',
      '@rollpoint/runtime/dist/index.js',
      '@rollpoint/agent/bin/rollpoint-agent.js',
      '@rollpoint/agent/dist/main.js',
      '@rollpoint/agent/systemd/rollpoint-agent.service',
      '@rollpoint/agent/systemd/agent.yaml',
      '@rollpoint/backend/bin/rollpoint-backend.js',
      '@rollpoint/backend/bin/rollpoint.js',
      '@rollpoint/backend/dist/main.js',
      '@rollpoint/backend/web/index.html',
      '@rollpoint/backend/systemd/rollpoint-backend.service',
      '@rollpoint/backend/systemd/backend.yaml',
    ]);
    expect(files.filter((path) => /\.test\.|\/src\/|\/testdata\/|(?<!\.d)\.ts$|tsconfig/.test(path))).to.deep.equal([]);
  });

  it('prints the version of each command', function () {
    const version = (name: string) => (JSON.parse(readFileSync(join(installed(name), 'package.json'), 'utf8')) as { version: string }).version;
    for (const [bin, name] of [['rollpoint-agent', '@rollpoint/agent'], ['rollpoint-backend', '@rollpoint/backend'], ['rollpoint', '@rollpoint/backend']] as const) {
      expect(execFileSync(command(bin), ['--version'], { cwd: prefix, encoding: 'utf8' }).trim(), bin).to.equal(version(name));
    }
  });

  it('runs: a syslog line sent to the installed agent is stored by the installed backend', async function () {
    const backend = await startBackendProcess({ main: command('rollpoint-backend') });
    try {
      const agent = await startAgentProcess({ main: command('rollpoint-agent'), backendGrpcPort: backend.grpcPort, syslog: {} });
      try {
        const mark = marker('installed');
        await sendUdp(agent.syslog!.udp, [`<14>1 ${new Date().toISOString()} installed-host app - - - ${mark}`]);
        const row = await storedLog(backend, mark);
        expect(row.ResourceAttributes['host.name']).to.equal('installed-host');

        const backendFiles = mappedFiles(backend);
        expect(backendFiles.filter((path) => path.endsWith('/libchdb.so'))).to.deep.equal([installed('@chdb/lib-linux-x64-gnu/libchdb.so')]);
        for (const process of [backend, agent]) expect(mappedFiles(process).filter((path) => path.startsWith(REPO_ROOT))).to.deep.equal([]);
      } finally {
        await agent.stop();
      }
    } finally {
      await backend.stop();
    }
  });

  describe('the systemd units', function () {
    const units = [
      { unit: '@rollpoint/backend/systemd/rollpoint-backend.service', config: 'backend.yaml' },
      { unit: '@rollpoint/agent/systemd/rollpoint-agent.service', config: 'agent.yaml' },
    ];
    const read = (name: string) => readFileSync(installed(name), 'utf8');

    it('run the installed command on /etc/rollpoint/<config>, as user rollpoint, restarted on failure, with limits', function () {
      for (const { unit, config } of units) {
        const text = read(unit);
        const bin = basename(unit, '.service');
        expect(unitField(text, 'ExecStart'), unit).to.equal(`${UNIT_PREFIX}/node_modules/.bin/${bin} --config /etc/rollpoint/${config}`);
        expect(unitField(text, 'User'), unit).to.equal('rollpoint');
        expect(unitField(text, 'Restart'), unit).to.equal('on-failure');
        expect(unitField(text, 'RestartPreventExitStatus'), unit).to.equal('2');
        expect(Number(unitField(text, 'LimitNOFILE')), unit).to.be.greaterThan(1024);
        expect(unitField(text, 'MemoryMax'), unit).to.match(/^\d+G$/);
        expect(unitField(text, 'ProtectSystem'), unit).to.equal('strict');
        // V8 writes the code it runs: this setting would stop node.
        expect(unitField(text, 'MemoryDenyWriteExecute'), unit).to.equal(undefined);
      }
      const agent = read(units[1]!.unit);
      expect(unitField(agent, 'AmbientCapabilities')).to.equal('CAP_NET_BIND_SERVICE');
      expect(unitField(agent, 'CapabilityBoundingSet')).to.equal('CAP_NET_BIND_SERVICE');
      expect(unitField(read(units[0]!.unit), 'CapabilityBoundingSet')).to.equal('');
    });

    it('give each process the state folder its example configuration keeps its data in', function () {
      const stateFolder = (unit: string) => `/var/lib/${unitField(read(unit), 'StateDirectory')}`;
      const backend = loadBackendConfig(installed('@rollpoint/backend/systemd/backend.yaml'));
      expect(backend.storage.chdb.path.startsWith(`${stateFolder(units[0]!.unit)}/`), backend.storage.chdb.path).to.equal(true);
      const agent = loadAgentConfig(installed('@rollpoint/agent/systemd/agent.yaml'));
      expect(agent.dataDir).to.equal(stateFolder(units[1]!.unit));
    });

    it('pass systemd-analyze verify', function () {
      requireTools(this, SYSTEMD_ANALYZE);
      for (const { unit } of units) {
        // systemd-analyze checks that ExecStart's command exists: point it at this install.
        const copy = join(folder, basename(unit));
        writeFileSync(copy, read(unit).replaceAll(`${UNIT_PREFIX}/`, `${prefix}/`));
        const verify = spawnSync(SYSTEMD_ANALYZE.path, ['verify', copy], { encoding: 'utf8' });
        // Exit status 0 and nothing said: an unknown key or a bad value is only a warning.
        expect({ status: verify.status, said: `${verify.stdout}${verify.stderr}` }, unit).to.deep.equal({ status: 0, said: '' });
      }
    });
  });
});
