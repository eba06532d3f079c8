// `npm run demo`: a two-minute incident with real processes on loopback. Two services instrumented
// with the OpenTelemetry SDK (checkout and payments) send spans through an agent; a "router",
// edge-1, sends syslog and SNMP traps to it. checkout is deployed from 1.4.2 to 1.4.3, which fails
// a third of its requests, and edge-1's configuration is changed right after. The backend (10 s
// windows, so the story fits in two minutes) finds the incident, the checkpoint before the deploy
// and the suspects; the demo prints `rollpoint explain`. Nothing is left running or on disk.
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import snmp from 'net-snmp';
import { CLI_MAIN, DEMO_SERVICE } from './testing/paths.js';
import { spawnNode, startAgentProcess, startBackendProcess, waitUntil, type ManagedProcess } from './testing/processes.js';

const run = promisify(execFile);
const say = (line: string) => process.stdout.write(`${line}\n`);
const clock = () => new Date().toISOString().slice(11, 19);

const backend = await startBackendProcess({
  extra: { checkpoints: { window: '10s', stable_windows: 3, baseline_windows: 6, min_events: 10, recompute_interval: '2s' } },
});
const agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort, syslog: {}, snmptrap: {}, batch: { timeout: '200ms' }, exporter: { heartbeat_interval: '1s' } });
const cli = (...args: string[]) => run(process.execPath, [CLI_MAIN, '--url', backend.url, ...args]);
say(`${clock()} backend (HTTP ${backend.url}) and agent (OTLP 127.0.0.1:${agent.grpcPort}, syslog ${agent.syslog!.tcp}, traps ${agent.snmptrap}) are up`);

const services: ManagedProcess[] = [];
const startService = (name: string, version: string, errorRate: number, host: string): ManagedProcess => {
  const service = spawnNode(DEMO_SERVICE, [], {
    OTLP_ENDPOINT: `http://127.0.0.1:${agent.grpcPort}`,
    SERVICE_NAME: name,
    SERVICE_VERSION: version,
    HOST_NAME: host,
    ERROR_RATE: String(errorRate),
    DURATION_MS: '150000',
  });
  services.push(service);
  say(`${clock()} ${name} ${version} starts on ${host} (${(errorRate * 100).toFixed(1)} % of requests fail)`);
  return service;
};

/** The router's syslog, over TCP to the agent (RFC 5424). */
const router = connect(agent.syslog!.tcp, '127.0.0.1');
const syslog = (severity: number, message: string) => router.write(`<${184 + severity}>1 ${new Date().toISOString()} edge-1 - - - - ${message}\n`);
const traps = snmp.createSession('127.0.0.1', 'public', { version: snmp.Version2c, trapPort: agent.snmptrap! });
const trap = (type: number) => new Promise<void>((resolve) => traps.trap(type, [{ oid: '1.3.6.1.2.1.2.2.1.1.1', type: snmp.ObjectType.Integer, value: 1 }], () => resolve()));

try {
  syslog(5, '%SYS-5-CONFIG_I: Configured from console by netops on vty0 (10.0.0.5)');
  say(`${clock()} edge-1: configuration changed by netops (syslog)`);
  const oldCheckout = startService('checkout', '1.4.2', 0.005, 'web-1');
  startService('payments', '2.0.1', 0.005, 'web-2');
  const chatter = setInterval(() => syslog(6, '%SEC-6-IPACCESSLOGP: list 101 permitted tcp 10.0.0.9(51234) -> 10.0.1.4(443), 1 packet'), 2000);

  // Healthy for 50 s: long enough for a baseline and a soaked checkpoint.
  await sleep(50000);
  await oldCheckout.stop();
  startService('checkout', '1.4.3', 0.33, 'web-1');
  say(`${clock()} checkout deployed: 1.4.2 → 1.4.3`);
  await sleep(6000);
  syslog(5, '%SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.0.0.7)');
  say(`${clock()} edge-1: configuration changed by admin (syslog)`);
  await sleep(3000);
  await trap(snmp.TrapType.LinkDown);
  await sleep(2000);
  await trap(snmp.TrapType.LinkUp);
  say(`${clock()} edge-1: linkDown, linkUp (SNMP traps)`);

  let id = '';
  await waitUntil(
    async () => {
      const { stdout } = await cli('--json', 'incidents');
      id = (JSON.parse(stdout) as { incidents: Array<{ id: string }> }).incidents[0]?.id ?? '';
      return id !== '';
    },
    'the incident to be found',
    90000,
  );
  // Let the incident's windows and the suspects settle.
  await sleep(12000);
  clearInterval(chatter);

  say(`\n$ rollpoint incidents\n${(await cli('incidents')).stdout}`);
  say(`$ rollpoint changes\n${(await cli('changes')).stdout}`);
  say(`$ rollpoint checkpoint\n${(await cli('checkpoint')).stdout}`);
  say(`$ rollpoint explain ${id}\n${(await cli('explain', id)).stdout}`);
} finally {
  for (const service of services) await service.stop();
  traps.close();
  router.destroy();
  await agent.stop();
  await backend.stop();
}
