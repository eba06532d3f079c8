import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadBackendConfig } from '@rollpoint/backend';
import { expect } from 'chai';
import { CURL, requireTools, type DebianTool } from '../testing/debian-tools.js';
import { SCENARIO_SCOPES, sendIncidentScenario, type IncidentScenario } from '../testing/incident-scenario.js';
import { REPO_ROOT } from '../testing/paths.js';
import { startAgentProcess, startBackendProcess, tempFolder, type AgentProcess, type BackendProcess } from '../testing/processes.js';
import { readmeCommands } from '../testing/readme-commands.js';

// The README's "Look at it" and "When something breaks" commands, read from README.md and run as
// written, through a shell from the repository root, against a running backend and agent holding a
// known incident. The commands name the default address; the stack listens on free ports, and is
// pointed at the way a user would: ROLLPOINT_URL for the CLI, curl's own config file (connect-to)
// for curl. npx runs offline: the binaries must resolve locally. And each binary's --version and
// --help, through npx --no-install as the design promises.

const run = promisify(execFile);
const SECTIONS = ['Look at it', 'When something breaks'];
const COMMANDS = readmeCommands(SECTIONS);
const TOOLS: Record<string, DebianTool> = { curl: CURL };

/** What the answer of a command must show, beyond exiting 0 with some output, by what it runs. */
const expectations = (scenario: IncidentScenario): Array<{ command: RegExp; output: RegExp }> => [
  { command: /rollpoint status/, output: /backend: ready/ },
  { command: /rollpoint sql .*otel_traces/, output: /shop-cart/ },
  { command: /rollpoint --json sql .*otel_logs/, output: /payment declined/ },
  // This stack's count: curl reached it, not whatever listens on the default port.
  { command: /api\/v1\/sql/, output: new RegExp(`"rows":\\[\\["${scenario.logRecords}"\\]\\]`) },
  { command: /rollpoint incidents/, output: /service shop-cart.*span_error_ratio[\s\S]*[1-9]\d* incident\(s\)/ },
  { command: /rollpoint explain/, output: /went unhealthy at .*Last checkpoint/ },
  { command: /rollpoint checkpoint/, output: /^scope default: / },
  { command: /rollpoint changes/, output: /feature flag new-basket on/ },
  { command: /api\/v1\/changes/, output: /"status":"recorded"/ },
];

const version = (pkg: string): string => (JSON.parse(readFileSync(join(REPO_ROOT, pkg, 'package.json'), 'utf8')) as { version: string }).version;
const BINARIES = [
  { bin: 'rollpoint', version: version('backend') },
  { bin: 'rollpoint-agent', version: version('agent') },
  { bin: 'rollpoint-backend', version: version('backend') },
];

describe("the README's commands", function () {
  this.timeout(120000);

  it('are found in the README: each section has a block of commands', function () {
    for (const section of SECTIONS) expect(COMMANDS.filter((c) => c.section === section), section).to.not.have.lengthOf(0);
  });

  describe('against a running stack', function () {
    let backend: BackendProcess;
    let agent: AgentProcess;
    let curlHome: string;
    let env: NodeJS.ProcessEnv;
    let expected: ReturnType<typeof expectations>;

    before(async function () {
      backend = await startBackendProcess({ extra: { checkpoints: { scopes: SCENARIO_SCOPES } } });
      agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort });
      expected = expectations(await sendIncidentScenario(backend));
      const readmeAddress = loadBackendConfig(undefined).http.endpoint;
      curlHome = tempFolder('curl');
      writeFileSync(join(curlHome, '.curlrc'), `connect-to = ${readmeAddress}:127.0.0.1:${backend.httpPort}\n`);
      env = { ...process.env, ROLLPOINT_URL: backend.url, CURL_HOME: curlHome, npm_config_offline: 'true' };
    });

    after(async function () {
      await agent?.stop();
      await backend?.stop();
      if (curlHome) rmSync(curlHome, { recursive: true, force: true });
    });

    for (const { section, command } of COMMANDS) {
      it(`${section}: ${command}`, async function () {
        const tool = TOOLS[command.split(' ')[0]!];
        if (tool) requireTools(this, tool);
        const { stdout } = await run('/bin/sh', ['-c', command], { cwd: REPO_ROOT, env }).catch((err: Error & { stdout?: string; stderr?: string }) => {
          throw new Error(`${command}\n${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
        });
        expect(stdout.trim(), 'its output').to.not.equal('');
        if (command.includes('--json') || /^[[{]/.test(stdout)) expect(() => JSON.parse(stdout), `JSON: ${stdout}`).to.not.throw();
        for (const { output } of expected.filter((e) => e.command.test(command))) expect(stdout, stdout).to.match(output);
      });
    }
  });

  for (const { bin, version } of BINARIES) {
    it(`npx --no-install ${bin}: --version and --help`, async function () {
      const npx = (flag: string) => run('npx', ['--no-install', bin, flag], { cwd: REPO_ROOT, env: { ...process.env, npm_config_offline: 'true' } });
      expect((await npx('--version')).stdout.trim()).to.equal(version);
      expect((await npx('--help')).stdout).to.match(new RegExp(`^Usage: ${bin} \\[options\\]`));
    });
  }
});
