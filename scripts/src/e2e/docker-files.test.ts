// The deployment files under docker/ checked without a Docker engine: the Dockerfiles by a linter
// (dockerfile-utils) and by the rules that matter here, read with dockerfile-ast; the compose files
// by docker-compose itself; the ClickHouse XML by a parser; the rollpoint YAML by the processes' own
// config loaders. Run after `npm run build`: the images copy and run compiled files.
import { DOCKER_COMPOSE, requireTools } from '../testing/debian-tools.js';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { loadAgentConfig } from '@rollpoint/agent';
import { loadBackendConfig } from '@rollpoint/backend';
import { expect } from 'chai';
import { DockerfileParser, type Dockerfile, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../testing/paths.js';

// A CommonJS module whose typings declare an ES default export.
const dockerignore = createRequire(import.meta.url)('@balena/dockerignore') as typeof import('@balena/dockerignore').default;

const DOCKER = join(REPO_ROOT, 'docker');
const walk = (folder: string): string[] =>
  readdirSync(folder, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? walk(join(folder, entry.name)) : [join(folder, entry.name)]));
const files = walk(DOCKER);
const named = (pattern: RegExp) => files.filter((path) => pattern.test(path)).map((path) => relative(REPO_ROOT, path));
const read = (repoPath: string) => readFileSync(join(REPO_ROOT, repoPath), 'utf8');
const exists = (repoPath: string) => existsSync(join(REPO_ROOT, repoPath));

const ignored = dockerignore().add(read('.dockerignore').split('\n'));
const words = (instruction: Instruction) => instruction.getArguments().map((a) => a.getValue());

/** A Dockerfile's stages: each FROM with the instructions up to the next one. */
function stages(dockerfile: Dockerfile) {
  const all = dockerfile.getInstructions();
  const froms = dockerfile.getFROMs();
  return froms.map((from, i) => {
    const start = all.indexOf(from);
    const end = i + 1 < froms.length ? all.indexOf(froms[i + 1]!) : all.length;
    const instructions = all.slice(start + 1, end);
    const workdir = instructions.filter((x) => x.getKeyword() === 'WORKDIR').map((x) => words(x)[0]).pop() ?? '/';
    return { from, name: from.getBuildStage(), instructions, workdir };
  });
}

/** The file as docker-compose reads it: relative paths resolved, variables interpolated (no Docker engine needed). */
const composeConfig = (path: string) =>
  parseYaml(execFileSync('docker-compose', ['-f', path, 'config'], { cwd: REPO_ROOT, encoding: 'utf8' })) as ComposeConfig;

describe('docker/: Dockerfiles, compose files and ClickHouse configs (no Docker engine)', function () {
  const dockerfiles = named(/\.Dockerfile$/);
  const composeFiles = named(/docker-compose\.ya?ml$/);

  it('finds the files it checks', function () {
    expect(dockerfiles).to.include.members(['docker/agent.Dockerfile', 'docker/backend.Dockerfile', 'docker/demo.Dockerfile']);
    expect(composeFiles).to.include.members(['docker/docker-compose.yml', 'docker/cluster/docker-compose.yml']);
  });

  it('.dockerignore leaves every file git tracks in the build context', function () {
    const tracked = execFileSync('git', ['ls-files'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(tracked.filter((path) => ignored.ignores(path))).to.deep.equal([]);
  });

  for (const path of dockerfiles) {
    describe(path, function () {
      const text = read(path);
      const dockerfile = DockerfileParser.parse(text);
      const all = stages(dockerfile);
      const final = all[all.length - 1]!;

      it('passes the linter (dockerfile-utils)', function () {
        const problems = validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
        expect(problems.join('\n')).to.equal('');
      });

      it('copies from the build context only paths that exist and that .dockerignore keeps, never a URL', function () {
        for (const instruction of dockerfile.getInstructions().filter((x) => ['COPY', 'ADD'].includes(x.getKeyword()))) {
          if (instruction.getKeyword() === 'COPY' && /--from=/.test(instruction.toString())) continue;
          for (const source of words(instruction).slice(0, -1)) {
            expect(source, instruction.toString()).not.to.match(/^[a-z]+:\/\//i);
            expect(exists(source), `${instruction.toString()}: ${source} is not in the repository`).to.equal(true);
            if (source !== '.') expect(ignored.ignores(source), `${source} is excluded by .dockerignore`).to.equal(false);
          }
        }
      });

      it('copies from its own stages only what the build makes (the compiled tree of `npm run build`)', function () {
        for (const stage of all) {
          for (const copy of stage.instructions.filter((x) => x.getKeyword() === 'COPY' && /--from=/.test(x.toString()))) {
            const fromStage = all.find((s) => s.name === /--from=(\S+)/.exec(copy.toString())![1]);
            expect(fromStage, copy.toString()).not.to.equal(undefined);
            for (const source of words(copy).slice(0, -1)) {
              expect(source.startsWith(`${fromStage!.workdir}/`), `${source} is outside ${fromStage!.workdir}`).to.equal(true);
              const repoPath = source.slice(fromStage!.workdir.length + 1) || '.';
              expect(exists(repoPath), `${copy.toString()}: ${repoPath} is not in the built repository`).to.equal(true);
            }
          }
        }
      });

      it('gives every `npm ci` the manifest of every workspace (npm checks the lockfile against them all)', function () {
        const workspaces = (JSON.parse(read('package.json')) as { workspaces: string[] }).workspaces;
        for (const stage of all.filter((s) => s.instructions.some((x) => x.getKeyword() === 'RUN' && /\bnpm ci\b/.test(x.toString())))) {
          const copied = stage.instructions.filter((x) => x.getKeyword() === 'COPY' && !/--from=/.test(x.toString())).flatMap((x) => words(x).slice(0, -1));
          for (const workspace of workspaces) expect(copied, `stage ${stage.name ?? stage.from.getImageName()}`).to.include(`${workspace}/package.json`);
        }
      });

      it('pins every base image to a tag or digest', function () {
        const stageNames = all.map((s) => s.name);
        for (const { from } of all.filter((s) => !stageNames.includes(s.from.getImageName()))) {
          expect(from.getImageTag() ?? from.getImageDigest(), from.toString()).to.be.a('string').and.not.equal('latest');
        }
      });

      it('runs its final stage as a user other than root, with a HEALTHCHECK, and a program that the build makes', function () {
        const users = final.instructions.filter((x) => x.getKeyword() === 'USER').map((x) => words(x)[0]!.split(':')[0]);
        expect(users.pop(), 'the last USER of the final stage').to.be.a('string').and.not.be.oneOf(['root', '0']);
        expect(final.instructions.filter((x) => x.getKeyword() === 'HEALTHCHECK')).to.have.lengthOf(1);
        const entrypoint = final.instructions.find((x) => x.getKeyword() === 'ENTRYPOINT');
        const [program, script] = JSON.parse(entrypoint!.getRawArgumentsContent()!) as string[];
        expect(program).to.equal('node');
        expect(exists(script!), `${script} (ENTRYPOINT) is not built`).to.equal(true);
      });
    });
  }

  for (const path of composeFiles) {
    describe(path, function () {
      it('is valid for docker-compose, and every file it builds from or mounts exists', function () {
        requireTools(this, DOCKER_COMPOSE);
        execFileSync('docker-compose', ['-f', path, 'config', '-q'], { cwd: REPO_ROOT, stdio: 'pipe' });
        for (const [name, service] of Object.entries(composeConfig(path).services)) {
          if (service.build) {
            expect(existsSync(service.build.context), `${name}: build context`).to.equal(true);
            expect(existsSync(join(service.build.context, service.build.dockerfile ?? 'Dockerfile')), `${name}: ${service.build.dockerfile}`).to.equal(true);
          }
          for (const volume of service.volumes ?? []) {
            const source = typeof volume === 'string' ? volume.split(':')[0]! : (volume.source ?? '');
            if (source.startsWith('/')) expect(existsSync(source), `${name}: ${source} (mounted)`).to.equal(true);
          }
          for (const file of service.env_file ?? []) expect(existsSync(file), `${name}: ${file} (env_file)`).to.equal(true);
        }
      });

      it('pins every image it pulls to a tag', function () {
        requireTools(this, DOCKER_COMPOSE);
        for (const [name, service] of Object.entries(composeConfig(path).services)) {
          if (!service.build) expect(service.image, name).to.match(/:[\w][\w.-]*$/).and.not.match(/:latest$/);
        }
      });
    });
  }

  it('ClickHouse XML configs parse, with <clickhouse> at the top', function () {
    const xmlFiles = named(/\.xml$/);
    expect(xmlFiles).to.include.members(['docker/cluster/clickhouse/cluster.xml', 'docker/cluster/clickhouse/keeper.xml']);
    for (const path of xmlFiles) {
      const text = read(path);
      expect(XMLValidator.validate(text), path).to.equal(true);
      expect(new XMLParser().parse(text), path).to.have.property('clickhouse');
    }
  });

  it('the cluster configs name every ClickHouse server and Keeper node of the cluster compose file, with its macros and id', function () {
    const xml = new XMLParser({ ignoreAttributes: false }).parse(read('docker/cluster/clickhouse/cluster.xml')) as ClusterXml;
    const hosts = xml.clickhouse.remote_servers.rollpoint.shard.flatMap((shard) => shard.replica.map((r) => r.host));
    const compose = parseYaml(read('docker/cluster/docker-compose.yml'), { merge: true }) as ComposeConfig;
    const servers = Object.entries(compose.services).filter(([, s]) => s.image?.startsWith('clickhouse/clickhouse-server'));
    expect(servers.map(([name]) => name)).to.have.members(hosts);
    for (const [name, service] of servers) expect(service.environment).to.include({ CLICKHOUSE_REPLICA: name });
    expect(xml.clickhouse.macros).to.deep.equal({ shard: { '@_from_env': 'CLICKHOUSE_SHARD' }, replica: { '@_from_env': 'CLICKHOUSE_REPLICA' } });

    const keeper = new XMLParser().parse(read('docker/cluster/clickhouse/keeper.xml')) as KeeperXml;
    const keepers = Object.entries(compose.services).filter(([, s]) => s.image?.startsWith('clickhouse/clickhouse-keeper'));
    const members = keeper.clickhouse.keeper_server.raft_configuration.server;
    expect(members.map((m) => m.hostname)).to.have.members(keepers.map(([name]) => name));
    expect(xml.clickhouse.zookeeper.node.map((n) => n.host)).to.have.members(keepers.map(([name]) => name));
    for (const [name, service] of keepers) expect(service.environment).to.include({ KEEPER_SERVER_ID: String(members.find((m) => m.hostname === name)!.id) });
  });

  it('the compose ClickHouse server has the backups disk the compose backend writes its backups to', function () {
    const compose = parseYaml(read('docker/docker-compose.yml'), { merge: true }) as ComposeConfig;
    const mounts = (compose.services.clickhouse?.volumes ?? []).filter((v): v is string => typeof v === 'string').map((v) => v.split(':'));
    const [config] = mounts.filter(([, target]) => target?.startsWith('/etc/clickhouse-server/config.d/')).map(([source]) => join('docker', source!));
    const xml = new XMLParser().parse(read(config!)) as BackupsXml;
    process.env.CLICKHOUSE_PASSWORD ??= 'test-password';
    const { disk } = loadBackendConfig(join(REPO_ROOT, 'docker/backend-clickhouse.yaml')).backups;
    expect(disk).to.be.a('string');
    expect(xml.clickhouse.backups.allowed_disk).to.equal(disk);
    const path = xml.clickhouse.storage_configuration.disks[disk!]?.path;
    // The disk's folder is a volume of its own: backups outlive the data's volume.
    expect(mounts.find(([source, target]) => !source!.startsWith('.') && path?.startsWith(`${target}/`))?.[0]).to.equal('clickhouse-backups');
    expect(Object.keys(compose.volumes ?? {})).to.include('clickhouse-backups');
  });

  it('the agent configs load with the agent’s own config loader', function () {
    for (const path of named(/agent\.ya?ml$/)) expect(() => loadAgentConfig(join(REPO_ROOT, path)), path).not.to.throw();
  });

  it('the backend configs load with the backend’s own config loader', function () {
    const password = process.env.CLICKHOUSE_PASSWORD;
    process.env.CLICKHOUSE_PASSWORD = 'test-password';
    try {
      for (const path of named(/backend[\w-]*\.ya?ml$/)) expect(() => loadBackendConfig(join(REPO_ROOT, path)), path).not.to.throw();
    } finally {
      if (password === undefined) delete process.env.CLICKHOUSE_PASSWORD;
      else process.env.CLICKHOUSE_PASSWORD = password;
    }
  });
});

interface ComposeConfig {
  services: Record<
    string,
    {
      image?: string;
      build?: { context: string; dockerfile?: string };
      volumes?: Array<string | { source?: string }>;
      env_file?: string[];
      environment?: Record<string, string>;
    }
  >;
  volumes?: Record<string, unknown>;
}

interface BackupsXml {
  clickhouse: { storage_configuration: { disks: Record<string, { type: string; path: string }> }; backups: { allowed_disk: string } };
}

interface ClusterXml {
  clickhouse: { remote_servers: { rollpoint: { shard: Array<{ replica: Array<{ host: string }> }> } }; macros: unknown; zookeeper: { node: Array<{ host: string }> } };
}

interface KeeperXml {
  clickhouse: { keeper_server: { raft_configuration: { server: Array<{ id: number; hostname: string }> } } };
}
