import { SCOPE_SNMPTRAP, SCOPE_SYSLOG } from '@rollpoint/proto';

// One entity per device: the configured `devices:` table names each device once, with the
// addresses and other names its events may carry (a syslog hostname, a trap's agent address, a
// reverse DNS name). A device event (a record of a syslog or snmptrap scope) is stored under the
// canonical name when its resource's host.name, or the address its records carry, is in the table.

/** One `devices:` entry. */
export interface DeviceAlias {
  /** The canonical name: the device's entity. */
  name: string;
  addresses: readonly string[];
  names: readonly string[];
}

/** The log attribute that holds the device's own address, by device scope. */
export const DEVICE_ADDRESS_ATTRIBUTES: Readonly<Record<string, string>> = {
  [SCOPE_SYSLOG]: 'network.peer.address',
  [SCOPE_SNMPTRAP]: 'snmp.agent_address',
};

/** The canonical device name of every configured name and address. */
export class DeviceNameTable {
  private readonly canonical = new Map<string, string>();

  constructor(aliases: readonly DeviceAlias[]) {
    for (const { name, addresses, names } of aliases) {
      for (const key of [name, ...addresses, ...names]) this.canonical.set(key, name);
    }
  }

  get empty(): boolean {
    return this.canonical.size === 0;
  }

  /** The canonical name of the device that goes by `nameOrAddress` (itself when it is that name), if it is configured. */
  resolve(nameOrAddress: string): string | undefined {
    return this.canonical.get(nameOrAddress);
  }
}

/** No `devices:` table: every event keeps the name it came with. */
export const NO_DEVICES = new DeviceNameTable([]);
