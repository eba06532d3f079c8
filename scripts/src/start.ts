// `npm start`: runs a backend (embedded ClickHouse) and one agent together on this machine, prints
// where they listen, and on Ctrl-C stops the agent first (it flushes its batches to the backend),
// then the backend.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeHostLogSource, findHostLogSource, hostLogSearch, loadAgentConfig, type HostlogsConfig } from '@rollpoint/agent';
import { loadBackendConfig } from '@rollpoint/backend';
import { ConfigError } from '@rollpoint/runtime';
import { Command } from 'commander';
import { AGENT_MAIN, BACKEND_MAIN } from './testing/paths.js';

interface Options {
  backendConfig?: string;
  agentConfig?: string;
}

const say = (line: string) => process.stdout.write(`${line}\n`);
const httpUrl = (endpoint: string) => `http://${endpoint.replace(/^0\.0\.0\.0:/, '127.0.0.1:')}`;

/** Starts `script` in its own process group (Ctrl-C reaches only us; we decide the order of stopping). */
function startChild(name: string, script: string, configPath: string | undefined): ChildProcess {
  const child = spawn(process.execPath, [script, ...(configPath ? ['--config', configPath] : [])], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`[${name}] ${line}\n`));
  }
  return child;
}

async function waitReady(name: string, child: ChildProcess, url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with status ${child.exitCode} while starting`);
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await sleep(100);
  }
  throw new Error(`${name} did not become ready at ${url}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function main({ backendConfig, agentConfig }: Options): Promise<void> {
  // Validate both configurations here first, so a mistake is reported once and nothing starts.
  const backend = loadBackendConfig(backendConfig);
  const agent = loadAgentConfig(agentConfig);
  const otlp = agent.receivers.get('otlp')?.config as { protocols: { grpc?: { endpoint: string }; http?: { endpoint: string } } } | undefined;
  const syslog = agent.receivers.get('syslog')?.config as { udp?: { endpoint: string }; tcp?: { endpoint: string }; tls?: { endpoint: string } } | undefined;
  const snmptrap = agent.receivers.get('snmptrap')?.config as { endpoint: string } | undefined;
  const hostmetrics = agent.receivers.get('hostmetrics')?.config as { collection_interval: number } | undefined;
  const hostlogs = agent.receivers.get('hostlogs')?.config as HostlogsConfig | undefined;

  const backendProcess = startChild('backend', BACKEND_MAIN, backendConfig);
  let agentProcess: ChildProcess | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping: agent first (it flushes its batches), then the backend…');
    if (agentProcess) await stopChild(agentProcess);
    await stopChild(backendProcess);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  backendProcess.once('exit', (code) => void stop(code ?? 1));

  await waitReady('backend', backendProcess, `${httpUrl(backend.http.endpoint)}/readyz`);
  agentProcess = startChild('agent', AGENT_MAIN, agentConfig);
  agentProcess.once('exit', (code) => void stop(code ?? 1));
  await waitReady('agent', agentProcess, `${httpUrl(agent.healthEndpoint)}/readyz`);

  say('');
  say('rollpoint is running');
  say(`  agent    OTLP gRPC ${otlp?.protocols.grpc?.endpoint ?? 'off'} · OTLP HTTP ${otlp?.protocols.http?.endpoint ?? 'off'} · health ${agent.healthEndpoint}`);
  if (syslog) say(`           syslog UDP ${syslog.udp?.endpoint ?? 'off'} · TCP ${syslog.tcp?.endpoint ?? 'off'} · TLS ${syslog.tls?.endpoint ?? 'off'}`);
  if (snmptrap) say(`           SNMP traps UDP ${snmptrap.endpoint}`);
  if (hostmetrics) say(`           this host's metrics every ${hostmetrics.collection_interval / 1000} s`);
  // The agent made the same choice when it started.
  if (hostlogs) say(`           this host's logs: ${describeHostLogSource(await findHostLogSource(hostLogSearch(hostlogs)))}${hostlogs.start_at === 'end' ? ' (what is written since the agent first started)' : ''}`);
  say(`  backend  OTLP gRPC ${backend.otlp.grpc.endpoint} · HTTP API ${backend.http.endpoint} · data ${backend.storage.chdb.path}`);
  say(`Send data: OTEL_EXPORTER_OTLP_ENDPOINT=http://${otlp?.protocols.grpc?.endpoint ?? '127.0.0.1:4317'} OTEL_EXPORTER_OTLP_PROTOCOL=grpc node your-app.js`);
  say(`Look at it: npx rollpoint --url ${httpUrl(backend.http.endpoint)} status`);
  say('Ctrl-C stops both.');
}

await new Command('rollpoint-start')
  .description('Run a rollpoint backend and agent together on this machine.')
  .option('--backend-config <file>', 'backend YAML (default: all defaults)')
  .option('--agent-config <file>', 'agent YAML (default: all defaults)')
  .action(async (options: Options) => {
    try {
      await main(options);
    } catch (err) {
      process.stderr.write(`rollpoint: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
      process.exit(err instanceof ConfigError ? 2 : 1);
    }
  })
  .parseAsync();
