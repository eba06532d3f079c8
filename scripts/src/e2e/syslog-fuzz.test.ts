import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { expect } from 'chai';
import { REPO_ROOT } from '../testing/paths.js';
import { seededRandom } from '../testing/random.js';
import { metricValue, startAgentProcess, startBackendProcess, waitUntil, type AgentProcess, type BackendProcess } from '../testing/processes.js';
import { sendUdp } from '../testing/syslog.js';

// 100,000 random and mutated syslog messages over UDP and TCP, mixed with well-formed ones that
// carry a marker: the agent must stay up, every marked message must be stored, and the counters
// must add up (every message received is parsed or failed, and stored).

const UDP_MESSAGES = 60_000;
const TCP_CONNECTIONS = 40;
const TCP_MESSAGES_PER_CONNECTION = 1_000;
const WELL_FORMED_SHARE = 0.2;
const UDP_BURST = 500;


const seeds: string[] = (JSON.parse(readFileSync(`${REPO_ROOT}agent/testdata/syslog-corpus.json`, 'utf8')) as { cases: Array<{ input: string }> }).cases.map((c) => c.input);

describe('syslog fuzzing: 100,000 random and mutated messages', function () {
  this.timeout(240000);
  let backend: BackendProcess;
  let agent: AgentProcess;
  const next = seededRandom(20261130);
  const int = (below: number) => Math.floor(next() * below);
  let markers = 0;

  function wellFormed(): string {
    const mark = `fuzzok-${++markers}`;
    return next() < 0.5
      ? `<${int(192)}>Nov 30 1${int(10)}:${10 + int(50)}:00 host-${int(50)} app${int(9)}[${int(9999)}]: ${mark} ok`
      : `<${int(192)}>1 2026-11-30T11:${10 + int(50)}:00.${int(999999)}Z host-${int(50)} app - ID${int(99)} [x@1 k="${int(9)}"] ${mark} ok`;
  }

  /** A corpus message with random damage: bytes flipped, cut, or runs of random bytes inserted. */
  function mutated(): Buffer {
    const bytes = Buffer.from(seeds[int(seeds.length)]!);
    const damaged = [...bytes];
    for (let i = 0, n = 1 + int(6); i < n; i++) {
      const at = int(damaged.length + 1);
      const choice = int(4);
      if (choice === 0) damaged[at] = int(256);
      else if (choice === 1) damaged.splice(at, int(20));
      else if (choice === 2) damaged.splice(at, 0, ...Array.from({ length: int(30) }, () => int(256)));
      else damaged.splice(0, at);
    }
    return Buffer.from(damaged);
  }

  const randomBytes = (): Buffer => Buffer.from(Array.from({ length: int(300) }, () => int(256)));
  const fuzz = (): Buffer => (next() < 0.5 ? mutated() : randomBytes());

  /** A TCP frame of `body`: LF-framed (LFs removed, no leading digit) or octet-counted. */
  function frame(body: Buffer): Buffer {
    if (next() < 0.5) return Buffer.concat([Buffer.from(`${body.length} `), body]);
    const line = Buffer.from(body.filter((b) => b !== 0x0a));
    if (line.length > 0 && line[0]! >= 0x30 && line[0]! <= 0x39) line[0] = 0x3c;
    return Buffer.concat([line, Buffer.from('\n')]);
  }

  before(async function () {
    // No TTL: mutated timestamps reach back to 1970, and rows past the TTL are dropped on insert.
    backend = await startBackendProcess({ ttlDays: 0 });
    agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort, syslog: {} });
  });

  after(async function () {
    await agent?.stop();
    await backend?.stop();
  });

  const count = (metrics: string, transport: string, outcome: string) =>
    metricValue(metrics, `rollpoint_agent_receiver_syslog_messages_total{receiver="syslog",transport="${transport}",outcome="${outcome}"}`);

  it('stays up, stores every message it received, and every well-formed one among them', async function () {
    // UDP, in bursts, waiting for each to be read: the test measures the agent, not the kernel's buffer.
    let sent = 0;
    while (sent < UDP_MESSAGES) {
      const burst = Array.from({ length: UDP_BURST }, () => (next() < WELL_FORMED_SHARE ? Buffer.from(wellFormed()) : fuzz()));
      await sendUdp(agent.syslog!.udp, burst);
      sent += burst.length;
      await waitUntil(async () => count(await agent.metrics(), 'udp', 'received') === sent, `${sent} datagrams to be read`, 20000, agent);
    }

    // TCP: every message framed correctly, garbage or not, over many connections at once.
    let tcpMessages = 0;
    await Promise.all(
      Array.from({ length: TCP_CONNECTIONS }, () => {
        const frames: Buffer[] = [];
        for (let i = 0; i < TCP_MESSAGES_PER_CONNECTION; i++) {
          const body = next() < WELL_FORMED_SHARE ? Buffer.from(wellFormed()) : fuzz();
          // A body that is empty or blank once framed is no message at all.
          if (body.filter((b) => b !== 0x0a && b !== 0x0d && b !== 0x00).length === 0) continue;
          frames.push(frame(body));
          tcpMessages++;
        }
        return new Promise<void>((resolve, reject) => {
          const socket = connect(agent.syslog!.tcp, '127.0.0.1', () => socket.end(Buffer.concat(frames)));
          socket.on('close', () => resolve());
          socket.on('error', reject);
        });
      }),
    );

    expect(agent.child.exitCode, agent.output()).to.equal(null);
    await waitUntil(async () => count(await agent.metrics(), 'tcp', 'received') >= tcpMessages, 'the TCP messages to be read', 60000, agent);
    const metrics = await agent.metrics();
    const received = count(metrics, 'udp', 'received') + count(metrics, 'tcp', 'received');
    for (const transport of ['udp', 'tcp']) {
      expect(count(metrics, transport, 'parsed') + count(metrics, transport, 'failed'), transport).to.equal(count(metrics, transport, 'received'));
      expect(count(metrics, transport, 'dropped'), transport).to.equal(0);
    }
    expect(received).to.be.at.least(UDP_MESSAGES + tcpMessages);

    const stored = async () => Number((await backend.sql('SELECT count() AS n FROM otel_logs'))[0]!.n);
    await waitUntil(async () => (await stored()) === received, `all ${received} messages to be stored`, 120000);
    const [marked] = await backend.sql("SELECT uniqExact(extract(Body, 'fuzzok-[0-9]+')) AS n FROM otel_logs WHERE position(Body, 'fuzzok-') > 0");
    expect(Number(marked!.n)).to.equal(markers);
  });
});
