// A received trap or inform in one shape for every version: SNMPv1 traps are converted to SNMPv2
// notifications by the rules of RFC 3584 §3.1.

export interface Varbind {
  oid: string;
  type: number;
  value: unknown;
}

export interface Notification {
  version: '1' | '2c' | '3';
  kind: 'trap' | 'inform';
  trapOid: string;
  /** sysUpTime.0 (hundredths of a second), when the trap carries it. */
  uptime?: number;
  /** The device that sent it: v1 agent-addr, snmpTrapAddress.0, or the packet's source. */
  agentAddress: string;
  /** The varbinds after sysUpTime.0 and snmpTrapOID.0. */
  varbinds: Varbind[];
  community?: string;
  securityName?: string;
  /** What is wrong with it, when something is (it is kept all the same). */
  problem?: string;
}

const SYS_UPTIME = '1.3.6.1.2.1.1.3.0';
const SYS_NAME = '1.3.6.1.2.1.1.5.0';
const SNMP_TRAP_OID = '1.3.6.1.6.3.1.1.4.1.0';
const SNMP_TRAP_ENTERPRISE = '1.3.6.1.6.3.1.1.4.3.0';
const SNMP_TRAP_ADDRESS = '1.3.6.1.6.3.18.1.3.0';
const STANDARD_TRAPS = '1.3.6.1.6.3.1.1.5';
const ENTERPRISE_SPECIFIC = 6;
const TYPE_OID = 6;
const TYPE_IP_ADDRESS = 64;
const PDU_TRAP_V1 = 164;
const PDU_INFORM = 166;

/** What net-snmp's receiver hands over for one notification. */
export interface ReceivedPdu {
  type: number;
  varbinds: Varbind[];
  enterprise?: string;
  agentAddr?: string;
  generic?: number;
  specific?: number;
  upTime?: number;
  community?: string;
  user?: string;
}

/** RFC 3584 §3.1: generic 0–5 → snmpTraps.(generic+1); enterpriseSpecific → enterprise.0.specific. */
export function v1TrapOid(enterprise: string, generic: number, specific: number): string {
  return generic === ENTERPRISE_SPECIFIC ? `${enterprise}.0.${specific}` : `${STANDARD_TRAPS}.${generic + 1}`;
}

export function toNotification(pdu: ReceivedPdu, sourceAddress: string): Notification {
  const identity = pdu.community !== undefined ? { community: pdu.community } : pdu.user !== undefined ? { securityName: pdu.user } : {};
  if (pdu.type === PDU_TRAP_V1) {
    const agentAddress = pdu.agentAddr && pdu.agentAddr !== '0.0.0.0' ? pdu.agentAddr : sourceAddress;
    const varbinds = [...pdu.varbinds];
    if (!varbinds.some((v) => v.oid === SNMP_TRAP_ADDRESS)) varbinds.push({ oid: SNMP_TRAP_ADDRESS, type: TYPE_IP_ADDRESS, value: agentAddress });
    if (!varbinds.some((v) => v.oid === SNMP_TRAP_ENTERPRISE)) varbinds.push({ oid: SNMP_TRAP_ENTERPRISE, type: TYPE_OID, value: pdu.enterprise ?? '' });
    return {
      version: '1',
      kind: 'trap',
      trapOid: v1TrapOid(pdu.enterprise ?? '', pdu.generic ?? 0, pdu.specific ?? 0),
      ...(pdu.upTime !== undefined ? { uptime: pdu.upTime } : {}),
      agentAddress,
      varbinds,
      ...identity,
    };
  }
  const uptime = pdu.varbinds.find((v) => v.oid === SYS_UPTIME)?.value;
  const trapOid = pdu.varbinds.find((v) => v.oid === SNMP_TRAP_OID)?.value;
  const trapAddress = pdu.varbinds.find((v) => v.oid === SNMP_TRAP_ADDRESS)?.value;
  return {
    version: pdu.user !== undefined ? '3' : '2c',
    kind: pdu.type === PDU_INFORM ? 'inform' : 'trap',
    trapOid: typeof trapOid === 'string' ? trapOid : '',
    ...(typeof uptime === 'number' ? { uptime } : {}),
    agentAddress: typeof trapAddress === 'string' ? trapAddress : sourceAddress,
    varbinds: pdu.varbinds.filter((v) => v.oid !== SYS_UPTIME && v.oid !== SNMP_TRAP_OID),
    ...identity,
    ...(typeof trapOid === 'string' ? {} : { problem: 'the notification has no snmpTrapOID.0' }),
  };
}

/** The device's sysName.0, when the notification carries it as text. */
export function sysName(notification: Notification): string | undefined {
  const value = notification.varbinds.find((v) => v.oid === SYS_NAME)?.value;
  const text = Buffer.isBuffer(value) ? value.toString('utf8') : typeof value === 'string' ? value : undefined;
  return text?.replace(/\0+$/, '').trim() || undefined;
}
