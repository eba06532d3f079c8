import { createSocket } from 'node:dgram';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import snmp from 'net-snmp';
import { freePort } from '../testing/ports.js';
import { startAgentProcess, startBackendProcess, tempFolder, waitUntil } from '../testing/processes.js';
import { startSnmptrapd } from '../testing/snmp.js';
import { lineCount, zeroLossRate } from './udp.js';

// SNMP traps: the highest rate rollpoint's agent takes with zero loss (every trap stored in
// ClickHouse) beside Debian's snmptrapd logging each trap to a file, fed the same packets.

export const TRAP_RATES = [1_000, 2_000, 5_000, 10_000, 20_000];
export const TRAP_SECONDS = 2;

/** One real v2c linkDown trap (ifIndex, ifAdminStatus, ifOperStatus, ifDescr), as net-snmp's sender encodes it. */
async function trapPacket(): Promise<Buffer> {
  const port = await freePort();
  const socket = createSocket('udp4');
  const captured = new Promise<Buffer>((resolve) => socket.once('message', resolve));
  await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', () => resolve()));
  const session = snmp.createSession('127.0.0.1', 'public', { version: snmp.Version2c, trapPort: port });
  const ifEntry = '1.3.6.1.2.1.2.2.1';
  session.trap(snmp.TrapType.LinkDown, [
    { oid: `${ifEntry}.1.7`, type: snmp.ObjectType.Integer, value: 7 },
    { oid: `${ifEntry}.7.7`, type: snmp.ObjectType.Integer, value: 1 },
    { oid: `${ifEntry}.8.7`, type: snmp.ObjectType.Integer, value: 2 },
    { oid: `${ifEntry}.2.7`, type: snmp.ObjectType.OctetString, value: 'GigabitEthernet1/0/7' },
  ], () => session.close());
  const packet = await captured;
  socket.close();
  return packet;
}

export interface TrapBenchResult {
  rollpoint: number;
  snmptrapd?: number;
}

export async function measureTraps(snmptrapdInstalled: boolean): Promise<TrapBenchResult> {
  const packet = await trapPacket();
  const backend = await startBackendProcess({ ttlDays: 0 });
  const agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort, snmptrap: {} });
  let rollpoint: number;
  try {
    const count = async () => Number((await backend.sql('SELECT count() AS n FROM otel_logs'))[0]!.n);
    await waitUntil(async () => (await count()) >= 0, 'the backend', 5000);
    rollpoint = await zeroLossRate(TRAP_RATES, TRAP_SECONDS, agent.snmptrap!, count, () => packet);
  } finally {
    await agent.stop();
    await backend.stop();
  }
  if (!snmptrapdInstalled) return { rollpoint };
  const folder = tempFolder('bench-snmptrapd');
  const daemon = await startSnmptrapd(join(folder, 'traps.log'));
  try {
    // snmptrapd writes a line when it starts: only trap lines after it count.
    await waitUntil(async () => lineCount(daemon.file) >= 1, 'snmptrapd to start its log', 10000).catch(() => undefined);
    const base = lineCount(daemon.file);
    return { rollpoint, snmptrapd: await zeroLossRate(TRAP_RATES, TRAP_SECONDS, daemon.port, async () => lineCount(daemon.file) - base, () => packet) };
  } finally {
    await daemon.stop();
    rmSync(folder, { recursive: true, force: true });
  }
}
