import { createSocket } from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import snmp from 'net-snmp';
import { freePort } from '../testing/ports.js';
import { seededRandom } from '../testing/random.js';
import { metricValue, startAgentProcess, startBackendProcess, waitUntil, type AgentProcess, type BackendProcess } from '../testing/processes.js';

// 50,000 random and mutated UDP packets at the trap port, with well-formed traps (each marked)
// among them: the agent must stay up and every marked trap must be stored.

const PACKETS = 50_000;
const BURST = 500;
const VALID_EVERY = 50;


type Session = ReturnType<typeof snmp.createSession>;

/** Sends one v2c (or v1) trap with sysLocation = `mark` from net-snmp's sender to `port`. */
function sendTrap(session: Session, mark: string): Promise<void> {
  return new Promise((resolve, reject) =>
    session.trap(snmp.TrapType.LinkUp, [{ oid: '1.3.6.1.2.1.1.6.0', type: snmp.ObjectType.OctetString, value: mark }], (error: Error | null) => (error ? reject(error) : resolve())),
  );
}

/** Real trap packets to mutate: net-snmp's sender aimed at a socket of ours. */
async function capturePackets(): Promise<Buffer[]> {
  const port = await freePort();
  const socket = createSocket('udp4');
  const packets: Buffer[] = [];
  socket.on('message', (packet) => packets.push(packet));
  await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', () => resolve()));
  for (const version of [snmp.Version1, snmp.Version2c]) {
    const session = snmp.createSession('127.0.0.1', 'public', { version, trapPort: port });
    for (let i = 0; i < 5; i++) await sendTrap(session, `seed-${version}-${i}`);
    session.close();
  }
  await waitUntil(async () => packets.length >= 10, 'the seed packets', 5000);
  socket.close();
  return packets;
}

describe('SNMP trap fuzzing: 50,000 random and mutated packets', function () {
  this.timeout(180000);
  let backend: BackendProcess;
  let agent: AgentProcess;

  before(async function () {
    backend = await startBackendProcess();
    agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort, snmptrap: {} });
  });

  after(async function () {
    await agent?.stop();
    await backend?.stop();
  });

  it('counts a wrong version, a truncated PDU and bad BER, and takes a huge varbind list', async function () {
    const [seed] = await capturePackets();
    const malformed = async () => metricValue(await agent.metrics(), 'rollpoint_agent_receiver_snmp_traps_total{receiver="snmptrap",version="unknown",outcome="malformed"}');
    const before = await malformed();
    const wrongVersion = Buffer.from(seed!);
    // SEQUENCE, length, INTEGER(version): the version's value byte is the fifth (short lengths).
    wrongVersion[4] = 7;
    const bad = [wrongVersion, seed!.subarray(0, seed!.length - 10), Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01])];
    const socket = createSocket('udp4');
    for (const packet of bad) await new Promise<void>((resolve) => socket.send(packet, agent.snmptrap!, '127.0.0.1', () => resolve()));
    socket.close();
    await waitUntil(async () => (await malformed()) >= before + bad.length, 'the bad packets to be counted', 10000);

    const session = snmp.createSession('127.0.0.1', 'public', { version: snmp.Version2c, trapPort: agent.snmptrap! });
    const varbinds = Array.from({ length: 1000 }, (_, i) => ({ oid: `1.3.6.1.4.1.99998.1.${i}`, type: snmp.ObjectType.Integer, value: i }));
    varbinds.push({ oid: '1.3.6.1.2.1.1.6.0', type: snmp.ObjectType.OctetString, value: 'huge-varbind-list' } as never);
    await new Promise<void>((resolve, reject) => session.trap('1.3.6.1.4.1.99998.0.1', varbinds, (error: Error | null) => (error ? reject(error) : resolve())));
    session.close();
    await waitUntil(
      async () => (await backend.sql("SELECT length(mapKeys(LogAttributes)) AS n FROM otel_logs WHERE LogAttributes['snmp.varbind.sysLocation'] = 'huge-varbind-list'"))[0]?.n !== undefined,
      'the huge trap to be stored',
    );
    const [row] = await backend.sql("SELECT length(mapKeys(LogAttributes)) AS n FROM otel_logs WHERE LogAttributes['snmp.varbind.sysLocation'] = 'huge-varbind-list'");
    expect(Number(row!.n)).to.be.above(1000);
    expect(agent.child.exitCode).to.equal(null);
  });

  it('stays up and stores every well-formed trap sent among them', async function () {
    const next = seededRandom(4242);
    const int = (below: number) => Math.floor(next() * below);
    const seeds = await capturePackets();
    const mutate = (): Buffer => {
      const bytes = [...seeds[int(seeds.length)]!];
      for (let i = 0, n = 1 + int(4); i < n; i++) {
        const at = int(bytes.length);
        const choice = int(4);
        if (choice === 0) bytes[at] = int(256);
        else if (choice === 1) bytes.splice(at, 1 + int(8));
        else if (choice === 2) bytes.splice(at, 0, ...Array.from({ length: 1 + int(8) }, () => int(256)));
        else bytes.length = at;
      }
      return Buffer.from(bytes);
    };
    const randomPacket = (): Buffer => Buffer.from(Array.from({ length: 1 + int(400) }, () => int(256)));

    const socket = createSocket('udp4');
    const session = snmp.createSession('127.0.0.1', 'public', { version: snmp.Version2c, trapPort: agent.snmptrap! });
    const marks: string[] = [];
    try {
      for (let sent = 0; sent < PACKETS; ) {
        for (let i = 0; i < BURST; i++, sent++) {
          if (sent % VALID_EVERY === 0) {
            const mark = `fuzztrap-${marks.length}`;
            marks.push(mark);
            await sendTrap(session, mark);
          } else {
            socket.send(next() < 0.6 ? mutate() : randomPacket(), agent.snmptrap!, '127.0.0.1');
          }
        }
        // Paced, so that the kernel's socket buffer, not the agent, is never what drops a packet.
        await sleep(20);
        expect(agent.child.exitCode, agent.output()).to.equal(null);
      }
    } finally {
      session.close();
      socket.close();
    }

    const stored = async () =>
      Number((await backend.sql("SELECT uniqExact(LogAttributes['snmp.varbind.sysLocation']) AS n FROM otel_logs WHERE startsWith(LogAttributes['snmp.varbind.sysLocation'], 'fuzztrap-')"))[0]!.n);
    await waitUntil(async () => (await stored()) === marks.length, `all ${marks.length} marked traps to be stored`, 60000);
    const metrics = await agent.metrics();
    const outcome = (name: string) => metricValue(metrics, `rollpoint_agent_receiver_snmp_traps_total{receiver="snmptrap",version="unknown",outcome="${name}"}`);
    expect(outcome('malformed'), 'malformed packets counted').to.be.at.least(PACKETS / 4);
    expect(agent.child.exitCode).to.equal(null);
  });
});
