import { createSocket, type Socket as UdpSocket, type SocketType } from 'node:dgram';
import { watch, type FSWatcher } from 'node:fs';
import { reverse } from 'node:dns/promises';
import { isIPv6 } from 'node:net';
import { SCOPE_SNMPTRAP } from '@rollpoint/proto';
import { splitEndpoint } from '@rollpoint/runtime';
import snmp from 'net-snmp';
import type { Component, ComponentContext, ReceiverConsumers } from '../../component.js';
import { DeviceNames } from '../internal/device-names.js';
import { createReceiverBuffer, type LogBuffer } from '../internal/log-buffer.js';
import type { SnmptrapConfig } from './config.js';
import { MibNames } from './mib-names.js';
import { sysName, toNotification, type ReceivedPdu } from './notification.js';
import { trapToLogRecord } from './to-otlp.js';

const REVERSE_LOOKUP_TIMEOUT_MS = 500;
const MIB_RELOAD_DELAY_MS = 200;
// Room for bursts of traps (a link flapping on a hundred ports) while the agent catches up.
const UDP_RECEIVE_BUFFER_BYTES = 8 * 1024 * 1024;

type Receiver = ReturnType<typeof snmp.createReceiver>;

const BER_SEQUENCE = 0x30;
const BER_INTEGER = 0x02;
// msgVersion values: 0 SNMPv1, 1 SNMPv2c, 3 SNMPv3.
const SNMP_VERSIONS = new Set([0, 1, 3]);

const MAX_LENGTH_BYTES = 4;

/**
 * Whether a packet is one whole SNMP message of a version we speak: SEQUENCE { INTEGER version … }
 * whose length is the packet's. net-snmp checks neither (a v1 trap with version 7, or cut short,
 * passes as v1), so this looks at the first bytes itself; the rest is net-snmp's to decode.
 */
export function isWholeSnmpMessage(packet: Buffer): boolean {
  if (packet[0] !== BER_SEQUENCE || packet.length < 5) return false;
  const first = packet[1]!;
  let length = first;
  let header = 2;
  if (first >= 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > MAX_LENGTH_BYTES) return false;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + packet[2 + i]!;
    header += count;
  }
  if (header + length !== packet.length) return false;
  return packet[header] === BER_INTEGER && packet[header + 1] === 1 && SNMP_VERSIONS.has(packet[header + 2]!);
}

const nowNanos = (): bigint => BigInt(Date.now()) * 1_000_000n;

// net-snmp reports a wrong v3 password as a digest mismatch or a PDU it could not decrypt.
const SECURITY_FAILURE = /^(Authentication digest|Failed to decrypt PDU)/;

/** A refusal (wrong community, unknown user, wrong password) or a packet that is not SNMP at all. */
function errorOutcome(error: Error): 'rejected' | 'malformed' {
  return error instanceof snmp.RequestFailedError || SECURITY_FAILURE.test(error.message) ? 'rejected' : 'malformed';
}

/** The SNMP trap receiver: v1, v2c and v3 traps and informs through net-snmp's receiver, as OTLP log records. */
export class SnmpTrapReceiver implements Component {
  private receiver?: Receiver;
  private buffer?: LogBuffer;
  private readonly mib: MibNames;
  private watcher?: FSWatcher;
  private readonly names = new Map<string, Promise<string>>();
  private readonly devices: DeviceNames;

  constructor(
    private readonly config: SnmptrapConfig,
    private readonly consumers: ReceiverConsumers,
    private readonly context: ComponentContext,
  ) {
    this.mib = new MibNames((file, error) => context.logger.warn({ receiver: context.id, file, error }, 'MIB file not loaded'));
    this.devices = context.agent.devices ?? new DeviceNames(undefined);
  }

  private count(outcome: string, version = 'unknown'): void {
    this.context.metrics.snmpTraps.inc({ receiver: this.context.id, version, outcome });
  }

  async start(): Promise<void> {
    const consume = this.consumers.logs;
    if (!consume) throw new Error(`${this.context.id}: the snmptrap receiver is in no logs pipeline`);
    this.buffer = createReceiverBuffer(this.context, {
      consume,
      scopeName: SCOPE_SNMPTRAP,
      what: 'traps',
      maxPending: this.config.max_pending_messages,
      onPressure: () => undefined,
      countDropped: (records) => this.context.metrics.snmpTraps.inc({ receiver: this.context.id, version: 'unknown', outcome: 'dropped' }, records),
    });
    if (this.config.mib_folder) this.watchMibFolder(this.config.mib_folder);
    await this.listen();
  }

  private loadMibs(folder: string): void {
    try {
      const count = this.mib.loadFolder(folder);
      this.context.logger.info({ receiver: this.context.id, folder, objects: count }, 'MIB folder loaded');
    } catch (err) {
      this.context.logger.error({ receiver: this.context.id, folder, err: (err as Error).message }, 'MIB folder not readable');
    }
  }

  /** Loads the MIB folder now and again whenever a file in it changes. */
  private watchMibFolder(folder: string): void {
    this.loadMibs(folder);
    let timer: NodeJS.Timeout | undefined;
    const cannotWatch = (err: Error) => this.context.logger.warn({ receiver: this.context.id, folder, err: err.message }, 'cannot watch the MIB folder: MIB files added later are not loaded');
    try {
      this.watcher = watch(folder, () => {
        clearTimeout(timer);
        timer = setTimeout(() => this.loadMibs(folder), MIB_RELOAD_DELAY_MS);
      });
      this.watcher.on('error', cannotWatch);
    } catch (err) {
      cannotWatch(err as Error);
    }
  }

  /**
   * net-snmp handles each packet inside the socket's 'message' listener, where an exception (a
   * fuzzed inform it cannot answer, seen in our fuzz test) would end the process. Its receiver takes
   * the dgram module to use, so it gets one whose 'message' listeners cannot throw, and which drops
   * packets of unknown SNMP versions before net-snmp sees them.
   */
  private guardedDgram() {
    const malformed = (error: unknown) => {
      this.count('malformed');
      this.context.logger.debug({ receiver: this.context.id, error: (error as Error).message.slice(0, 80) }, 'SNMP packet dropped as malformed');
    };
    return {
      createSocket: (type: SocketType): UdpSocket => {
        const socket = createSocket(type);
        socket.once('listening', () => {
          try {
            socket.setRecvBufferSize(UDP_RECEIVE_BUFFER_BYTES);
          } catch {
            // The kernel caps it (net.core.rmem_max); the default still works.
          }
        });
        const on = socket.on.bind(socket);
        socket.on = ((event: string, listener: (...args: unknown[]) => void) =>
          on(event, event !== 'message' ? listener : (...args: unknown[]) => {
            if (!isWholeSnmpMessage(args[0] as Buffer)) {
              malformed(new Error('not one whole SNMPv1, v2c or v3 message'));
              return;
            }
            try {
              listener(...args);
            } catch (error) {
              malformed(error);
            }
          })) as UdpSocket['on'];
        return socket;
      },
    };
  }

  private async listen(): Promise<void> {
    const { host, port } = splitEndpoint(this.config.endpoint);
    const receiver = snmp.createReceiver(
      {
        dgramModule: this.guardedDgram(),
        port,
        address: host,
        transport: isIPv6(host) ? 'udp6' : 'udp4',
        // An empty allow-list accepts any community (and v3 noAuthNoPriv from any user name).
        disableAuthorization: this.config.communities.length === 0,
        includeAuthentication: true,
        ...(this.config.engine_id ? { engineID: this.config.engine_id } : {}),
      },
      (error: Error | null, notification: { pdu: ReceivedPdu; rinfo: { address: string } } | null) => {
        if (error) this.refuse(error);
        // A notification that cannot be turned into a record is counted, never left to end the process.
        else if (notification) this.accept(notification.pdu, notification.rinfo.address).catch((error: unknown) => this.refuse(error instanceof Error ? error : new Error(String(error))));
      },
    );
    const authorizer = receiver.getAuthorizer();
    for (const community of this.config.communities) authorizer.addCommunity(community);
    for (const user of this.config.users) {
      authorizer.addUser({
        name: user.name,
        level: user.priv_protocol ? snmp.SecurityLevel.authPriv : user.auth_protocol ? snmp.SecurityLevel.authNoPriv : snmp.SecurityLevel.noAuthNoPriv,
        ...(user.auth_protocol ? { authProtocol: snmp.AuthProtocols[user.auth_protocol], authKey: user.auth_key } : {}),
        ...(user.priv_protocol ? { privProtocol: snmp.PrivProtocols[user.priv_protocol], privKey: user.priv_key } : {}),
      } as never);
    }
    this.receiver = receiver;
    // net-snmp binds without telling when it is done: wait on its socket, so a busy port fails start.
    const sockets = Object.values((receiver as unknown as { listener: { sockets: Record<string, UdpSocket> } }).listener.sockets);
    await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((resolve, reject) => {
            socket.once('listening', () => resolve());
            socket.once('error', reject);
          }),
      ),
    );
    this.context.logger.info({ receiver: this.context.id, port: sockets[0]?.address().port }, 'SNMP traps listening');
  }

  /** A packet refused: counted, logged without its community or user (they may be secrets). */
  private refuse(error: Error): void {
    const outcome = errorOutcome(error);
    this.count(outcome);
    const source = (error as Error & { rinfo?: { address: string } }).rinfo?.address;
    this.context.logger.debug({ receiver: this.context.id, source, outcome, error: error.name }, 'SNMP packet refused');
  }

  private async accept(pdu: ReceivedPdu, sourceAddress: string): Promise<void> {
    const notification = toNotification(pdu, sourceAddress);
    this.count(notification.problem ? 'malformed' : 'received', notification.version);
    // The device's learned name (its syslog hostname or sysName.0) first, then reverse DNS, then the address.
    const learned = this.devices.trapDevice(notification.agentAddress, sysName(notification));
    const hostName = learned ?? (this.config.reverse_lookup ? await this.hostName(notification.agentAddress) : notification.agentAddress);
    const record = trapToLogRecord(notification, { mib: this.mib, config: this.config, sourceAddress, receivedAtNanos: nowNanos() });
    if (!this.buffer!.add(hostName, record, true)) this.count('dropped', notification.version);
  }

  /** The reverse DNS name of `address` (cached, failures too), or the address. */
  private hostName(address: string): Promise<string> {
    let name = this.names.get(address);
    if (!name) {
      const timeout = new Promise<string>((resolve) => setTimeout(() => resolve(address), REVERSE_LOOKUP_TIMEOUT_MS).unref());
      name = Promise.race([reverse(address).then((names) => names[0] ?? address, () => address), timeout]);
      this.names.set(address, name);
    }
    return name;
  }

  async shutdown(): Promise<void> {
    this.watcher?.close();
    await new Promise<void>((resolve) => (this.receiver ? this.receiver.close(() => resolve()) : resolve()));
    await this.buffer?.close();
  }
}
