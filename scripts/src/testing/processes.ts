import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { namedRows, type QueryResult } from '@rollpoint/backend';
import { AGENT_MAIN, BACKEND_MAIN } from './paths.js';
import { freePort } from './ports.js';

// Starts the real rollpoint processes on loopback for tests and benchmarks.

const MAX_OUTPUT = 1024 * 1024;

export interface ManagedProcess {
  child: ChildProcess;
  /** What the process printed so far (the last MiB). */
  output(): string;
  /** Resolves with the exit code when the process ends. */
  exited: Promise<number | null>;
  /** Sends `signal` and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs `node script args` and keeps its output; `cleanup` folders are removed once it has exited. */
export function spawnNode(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, cleanup: readonly string[] = []): ManagedProcess {
  return spawnManaged(process.execPath, [script, ...args], { ...process.env, ...env }, cleanup);
}

/** Runs `command args` with `env`, keeping its output; `cleanup` folders are removed once it has exited. */
export function spawnManaged(command: string, args: readonly string[], env: NodeJS.ProcessEnv, cleanup: readonly string[] = []): ManagedProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-MAX_OUTPUT);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    const done = (code: number | null) => {
      for (const folder of cleanup) rmSync(folder, { recursive: true, force: true });
      resolve(code);
    };
    // A command that cannot be started at all: its error is the output, the exit code -1.
    child.once('error', (error) => {
      keep(Buffer.from(`${error}\n`));
      done(-1);
    });
    child.once('exit', (code) => done(code));
  });
  return {
    child,
    output: () => output,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Polls `check` until it is true; fails with `what` and the process output after `timeoutMs`. */
export async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 30000, process?: ManagedProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (process && process.child.exitCode !== null) throw new Error(`${what}: the process exited (${process.child.exitCode}):\n${process.output()}`);
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${process ? `:\n${process.output()}` : ''}`);
}

const isOk = async (url: string): Promise<boolean> => (await fetch(url)).ok;

/** A fresh temporary folder. */
export const tempFolder = (prefix: string): string => mkdtempSync(join(tmpdir(), `rollpoint-${prefix}-`));

/** Writes a configuration file (JSON is YAML) into `folder`. */
export function writeConfig(folder: string, name: string, config: unknown): string {
  const path = join(folder, name);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

export interface BackendProcess extends ManagedProcess {
  grpcPort: number;
  httpPort: number;
  url: string;
  dataDir: string;
  /** Runs a statement through POST /api/v1/sql; rows come back as objects. */
  sql(statement: string): Promise<Array<Record<string, unknown>>>;
  metrics(): Promise<string>;
}

/** `base` with `extra` laid over it, objects merged key by key. */
function merged(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const result = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = result[key];
    const bothObjects = [current, value].every((v) => typeof v === 'object' && v !== null && !Array.isArray(v));
    result[key] = bothObjects ? merged(current as Record<string, unknown>, value as Record<string, unknown>) : value;
  }
  return result;
}

export interface BackendOptions {
  /** The script to run; default the repository's backend/dist/main.js. */
  main?: string;
  dataDir?: string;
  maxRecvMsgSizeMib?: number;
  grpcPort?: number;
  httpPort?: number;
  ttlDays?: number;
  /** More configuration, merged over the test's. */
  extra?: Record<string, unknown>;
  /** The API token the helpers send (when the backend requires one). */
  apiToken?: string;
  /** Wait for /readyz (default); false returns once the process is started. */
  waitReady?: boolean;
  /** More environment for the backend process. */
  env?: NodeJS.ProcessEnv;
}

export async function startBackendProcess(options: BackendOptions = {}): Promise<BackendProcess> {
  const grpcPort = options.grpcPort ?? (await freePort());
  const httpPort = options.httpPort ?? (await freePort());
  const folder = tempFolder('backend');
  // Data the caller brought stays; data made here goes with the process.
  const dataDir = options.dataDir ?? join(folder, 'data');
  const config = {
    otlp: { grpc: { endpoint: `127.0.0.1:${grpcPort}`, max_recv_msg_size_mib: options.maxRecvMsgSizeMib ?? 16 } },
    http: { endpoint: `127.0.0.1:${httpPort}` },
    storage: { chdb: { path: dataDir }, ttl_days: options.ttlDays ?? 30 },
    log: { level: 'warn' },
  };
  const configPath = writeConfig(folder, 'backend.yaml', merged(config, options.extra ?? {}));
  const auth: Record<string, string> = options.apiToken ? { authorization: `Bearer ${options.apiToken}` } : {};
  const managed = spawnNode(options.main ?? BACKEND_MAIN, ['--config', configPath], options.env ?? {}, [folder]);
  const url = `http://127.0.0.1:${httpPort}`;
  if (options.waitReady ?? true) await waitUntil(() => isOk(`${url}/readyz`), 'the backend to be ready', 60000, managed);
  return {
    ...managed,
    grpcPort,
    httpPort,
    url,
    dataDir,
    sql: async (statement) => {
      const response = await fetch(`${url}/api/v1/sql`, { method: 'POST', body: statement, headers: { 'content-type': 'text/plain', ...auth } });
      const body = (await response.json()) as QueryResult & { message?: string; error?: unknown };
      if (!response.ok) throw new Error(`SQL failed (${response.status}): ${body.message}`);
      // A statement that failed part-way through its streamed answer.
      if (body.error) throw new Error(`SQL failed after its answer began: ${JSON.stringify(body.error)}`);
      return namedRows(body);
    },
    metrics: async () => (await fetch(`${url}/metrics`)).text(),
  };
}

export interface SyslogPorts {
  udp: number;
  tcp: number;
  tls?: number;
}

export interface AgentProcess extends ManagedProcess {
  grpcPort: number;
  httpPort: number;
  healthPort: number;
  /** The syslog receiver's ports, when it has one. */
  syslog?: SyslogPorts;
  /** The SNMP trap receiver's UDP port, when it has one. */
  snmptrap?: number;
  metrics(): Promise<string>;
  /** The agent's data folder (disk queue, dead letters). */
  dataDir: string;
  /** Starts the agent again with the same configuration: same ports, same data folder. */
  restart(): Promise<AgentProcess>;
}

export interface AgentOptions {
  backendGrpcPort: number;
  /** The script to run; default the repository's agent/dist/main.js. */
  main?: string;
  /** The agent's data folder; default: a temporary one, removed when the agent exits. */
  dataDir?: string;
  /** Overrides of processors.batch. */
  batch?: { send_batch_size?: number; timeout?: string };
  maxRecvMsgSizeMib?: number;
  exporterMaxSendMib?: number;
  /** Adds a syslog receiver (UDP and TCP on free ports, TLS too when `tls` is given) to the logs pipeline; `settings.tcp` adds to the TCP listener. */
  syslog?: { tls?: Record<string, unknown>; settings?: Record<string, unknown> };
  /** More settings for exporters.otlp. */
  exporter?: Record<string, unknown>;
  /** Adds a memory_limiter with these settings, first in every pipeline. */
  memoryLimiter?: Record<string, unknown>;
  /** Adds an SNMP trap receiver (a free UDP port) with these settings to the logs pipeline. */
  snmptrap?: Record<string, unknown>;
  /** Adds a metrics pipeline: the OTLP receiver through the same processors to exporters.otlp. */
  metrics?: boolean;
  /** Adds a hostmetrics receiver with these settings to the metrics pipeline (which it adds). */
  hostmetrics?: Record<string, unknown>;
  /** Adds a prometheus receiver with these settings to the metrics pipeline (which it adds). */
  prometheus?: Record<string, unknown>;
  /** Adds these processors (id -> settings) to the logs pipeline, in this order, before resource and batch. */
  logsProcessors?: Record<string, unknown>;
  /** Adds a journald receiver with these settings to the logs pipeline. */
  journald?: Record<string, unknown>;
  /** Adds a filelog receiver with these settings to the logs pipeline. */
  filelog?: Record<string, unknown>;
  /** More environment for the agent process (e.g. a PATH). */
  env?: NodeJS.ProcessEnv;
  /** Wait for /readyz (default); false waits for /healthz only. */
  waitReady?: boolean;
}

/** The agent.id of every test agent: the rollpoint.agent.id its resource processor stamps. */
export const AGENT_TEST_ID = 'agent-under-test';

/** The agent's configuration for a test: OTLP in, resource + batch, OTLP out to the backend. */
export async function agentTestConfig(options: AgentOptions, dataDir: string) {
  const [grpcPort, httpPort, healthPort] = [await freePort(), await freePort(), await freePort()];
  const size = options.maxRecvMsgSizeMib ?? 16;
  const limiter = options.memoryLimiter ? ['memory_limiter'] : [];
  const pipeline = { receivers: ['otlp'], processors: [...limiter, 'resource', 'batch'], exporters: ['otlp'] };
  const logsPipelineProcessors = [...limiter, ...Object.keys(options.logsProcessors ?? {}), 'resource', 'batch'];
  let syslog: SyslogPorts | undefined;
  const receivers: Record<string, unknown> = {
    otlp: {
      protocols: {
        grpc: { endpoint: `127.0.0.1:${grpcPort}`, max_recv_msg_size_mib: size },
        http: { endpoint: `127.0.0.1:${httpPort}`, max_request_body_size_mib: size },
      },
    },
  };
  if (options.syslog) {
    // UDP and TCP may share a port number; a free TCP port is taken for both.
    const port = await freePort();
    syslog = { udp: port, tcp: port, ...(options.syslog.tls ? { tls: await freePort() } : {}) };
    const { tcp, ...settings } = (options.syslog.settings ?? {}) as { tcp?: Record<string, unknown> };
    receivers.syslog = {
      udp: { endpoint: `127.0.0.1:${port}` },
      tcp: { endpoint: `127.0.0.1:${port}`, ...tcp },
      ...(options.syslog.tls ? { tls: { endpoint: `127.0.0.1:${syslog.tls}`, ...options.syslog.tls } } : {}),
      ...settings,
    };
  }
  let snmptrap: number | undefined;
  if (options.snmptrap) {
    snmptrap = await freePort();
    receivers.snmptrap = { endpoint: `127.0.0.1:${snmptrap}`, ...options.snmptrap };
  }
  if (options.hostmetrics) receivers.hostmetrics = options.hostmetrics;
  if (options.prometheus) receivers.prometheus = options.prometheus;
  if (options.journald) receivers.journald = options.journald;
  if (options.filelog) receivers.filelog = options.filelog;
  const logReceivers = ['otlp', ...(options.syslog ? ['syslog'] : []), ...(options.snmptrap ? ['snmptrap'] : []), ...(options.journald ? ['journald'] : []), ...(options.filelog ? ['filelog'] : [])];
  const metricReceivers = ['otlp', ...(options.hostmetrics ? ['hostmetrics'] : []), ...(options.prometheus ? ['prometheus'] : [])];
  const config = {
    agent: { id: AGENT_TEST_ID, data_dir: dataDir },
    receivers,
    processors: {
      resource: { host_name: 'test-host' },
      batch: options.batch ?? {},
      ...(options.memoryLimiter ? { memory_limiter: options.memoryLimiter } : {}),
      ...options.logsProcessors,
    },
    exporters: { otlp: { endpoint: `127.0.0.1:${options.backendGrpcPort}`, max_send_msg_size_mib: options.exporterMaxSendMib ?? 16, ...options.exporter } },
    extensions: { health_check: { endpoint: `127.0.0.1:${healthPort}` } },
    service: {
      pipelines: { traces: pipeline, logs: { ...pipeline, receivers: logReceivers, processors: logsPipelineProcessors }, ...(options.metrics || options.hostmetrics || options.prometheus ? { metrics: { ...pipeline, receivers: metricReceivers } } : {}) },
      telemetry: { logs: { level: 'warn' } },
    },
  };
  return { config, grpcPort, httpPort, healthPort, ...(syslog ? { syslog } : {}), ...(snmptrap ? { snmptrap } : {}) };
}

export async function startAgentProcess(options: AgentOptions): Promise<AgentProcess> {
  // Data the caller brought stays (and can be restarted on); data made here goes with the process.
  const dataDir = options.dataDir ?? tempFolder('agent-data');
  const { config, ...ports } = await agentTestConfig(options, dataDir);
  const start = async (): Promise<AgentProcess> => {
    const configFolder = tempFolder('agent');
    const managed = spawnNode(options.main ?? AGENT_MAIN, ['--config', writeConfig(configFolder, 'agent.yaml', config)], options.env, [configFolder, ...(options.dataDir ? [] : [dataDir])]);
    const probe = options.waitReady ?? true ? 'readyz' : 'healthz';
    await waitUntil(() => isOk(`http://127.0.0.1:${ports.healthPort}/${probe}`), `the agent to answer /${probe}`, 30000, managed);
    return {
      ...managed,
      ...ports,
      dataDir,
      metrics: async () => (await fetch(`http://127.0.0.1:${ports.healthPort}/metrics`)).text(),
      restart: async () => {
        if (!options.dataDir) throw new Error('restart needs a dataDir the test owns');
        return start();
      },
    };
  };
  return start();
}

/** The value of one Prometheus sample, e.g. metricValue(text, 'x_total{a="b"}'); 0 when absent. */
export function metricValue(metricsText: string, sample: string): number {
  const line = metricsText.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}
