import { isIP } from 'node:net';
import { SCOPE_SNMPTRAP, SCOPE_SYSLOG } from '@rollpoint/proto';

// One entity per device. The configured `devices:` table names each device once, with the
// addresses and other names its events may carry (a syslog hostname, a trap's agent address, a
// reverse DNS name). Beside it, pairs learned from what is stored: a device event whose host.name
// is a name and whose record carries the device's address says that address is that device, so a
// trap that reached another agent under its bare address still finds its name. A device event (a
// record of a syslog or snmptrap scope) is stored under the canonical name of its host.name (or,
// by the configured table, of the address its record carries).

/** One `devices:` entry. */
export interface DeviceAlias {
  /** The canonical name: the device's entity. */
  name: string;
  addresses: readonly string[];
  names: readonly string[];
}

/** Each configured device's other names and addresses, by its name. */
export const deviceAliases = (devices: readonly DeviceAlias[]): Record<string, string[]> =>
  Object.fromEntries(devices.map(({ name, names, addresses }) => [name, [...names, ...addresses]]));

/** An address and the name a device event from it went by. */
export type DevicePair = readonly [address: string, name: string];
/** A learned address and its name, null for an address that went by several (a relay's). */
export type LearnedDevice = readonly [address: string, name: string | null];

/** The log attribute that holds the device's own address, by device scope. */
export const DEVICE_ADDRESS_ATTRIBUTES: Readonly<Record<string, string>> = {
  [SCOPE_SYSLOG]: 'network.peer.address',
  [SCOPE_SNMPTRAP]: 'snmp.agent_address',
};

/** Learned addresses kept at most; past it the longest-known one is forgotten first. */
export const MAX_LEARNED_DEVICES = 10_000;

/** A host name that names something, not an address or syslog's NILVALUE. */
export const isDeviceName = (name: string): boolean => name !== '' && name !== '-' && isIP(name) === 0;

/** The canonical device name of every configured name and address, and of every learned address. */
export class DeviceNameTable {
  private readonly canonical = new Map<string, string>();
  /** Learned address → name; null once events from the address went by several names (a relay). */
  private readonly learned = new Map<string, string | null>();

  constructor(
    aliases: readonly DeviceAlias[],
    learned: Iterable<LearnedDevice> = [],
    private readonly maxLearned = MAX_LEARNED_DEVICES,
  ) {
    for (const { name, addresses, names } of aliases) {
      for (const key of [name, ...addresses, ...names]) this.canonical.set(key, name);
    }
    for (const [address, name] of learned) this.learned.set(address, name);
  }

  /** What was learned, oldest first: what another table starts from to know the same. */
  learnedDevices(): LearnedDevice[] {
    return [...this.learned];
  }

  /** No `devices:` table is configured. */
  get empty(): boolean {
    return this.canonical.size === 0;
  }

  /** The configured canonical name of the device that goes by `nameOrAddress` (itself when it is that name). */
  resolve(nameOrAddress: string): string | undefined {
    return this.canonical.get(nameOrAddress);
  }

  /** The canonical name of the device learned at `address`, if one is. */
  learnedName(address: string): string | undefined {
    const name = this.learned.get(address);
    return name === undefined || name === null ? undefined : (this.canonical.get(name) ?? name);
  }

  /** Whether learning the pair would change nothing. */
  knows([address, name]: DevicePair): boolean {
    const known = this.learned.get(address);
    return known === null || known === name || this.canonical.has(address);
  }

  /**
   * Learns that the device at `address` goes by `name` (a configured address is the table's);
   * a second name for one address makes it a relay's, named by neither. True when it changed the table.
   */
  learn(pair: DevicePair): boolean {
    if (this.knows(pair)) return false;
    const [address, name] = pair;
    const known = this.learned.get(address);
    this.learned.delete(address);
    this.learned.set(address, known === undefined ? name : null);
    if (this.learned.size > this.maxLearned) this.learned.delete(this.learned.keys().next().value!);
    return true;
  }
}

/** No `devices:` table and nothing learned: every event keeps the name it came with. */
export const NO_DEVICES = new DeviceNameTable([]);
