import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { replaceFileSync } from '../../files/replace-file.js';

// One name per device, whichever way it speaks: its syslog says "edge-1" from 10.0.0.1, its traps
// come from agent address 10.0.0.1. The agent learns such address ↔ name pairs from what it
// receives (a syslog message's source address and header hostname, a trap's agent address and
// sysName.0) and gives a message that names no device (a trap, a syslog line without a hostname)
// the name learned for its address. One registry per agent, shared by the syslog and snmptrap
// receivers, kept in the data folder so a restart keeps what was learned.

/** Where a name was learned from: a syslog hostname is the name the device's own logs go under, so it wins over sysName. */
export type NameSource = 'syslog' | 'sysName';

interface Learned {
  name: string;
  from: NameSource;
  /** Syslog under more than one hostname came from this address (a relay): its name is not used. */
  ambiguous?: true;
}

/** Addresses remembered at most; past it the longest-known one is forgotten first. */
export const MAX_DEVICE_NAMES = 10_000;
/** Changes are written at most this often (a burst of new devices is one write). */
const SAVE_DELAY_MS = 1000;

/** A host name that names something, not an address ("10.0.0.1", "::1") or syslog's NILVALUE. */
export const isDeviceName = (name: string | undefined): name is string => name !== undefined && name !== '' && name !== '-' && isIP(name) === 0;

export class DeviceNames {
  private readonly byAddress = new Map<string, Learned>();
  private saveTimer: NodeJS.Timeout | undefined;
  /** The last syslog sender and hostname and their device: a sender's messages mostly come in runs. Forgotten when anything is learned. */
  private last = { peer: '', hostName: '', device: '' };

  /** `path`: the file the pairs are kept in (read now); undefined keeps them in memory only. */
  constructor(
    private readonly path: string | undefined,
    private readonly logger?: Logger,
    private readonly maxEntries = MAX_DEVICE_NAMES,
  ) {
    if (path) this.load(path);
  }

  /** Notes that the device at `address` calls itself `name` (ignored unless `name` is a name). */
  learn(address: string, name: string | undefined, from: NameSource): void {
    if (!isDeviceName(name) || isIP(address) === 0) return;
    const known = this.byAddress.get(address);
    if (known?.ambiguous) return;
    let learned: Learned;
    if (known?.from === 'syslog') {
      // A sysName never overrides a syslog hostname; a second hostname marks a relay.
      if (from === 'sysName' || known.name === name) return;
      learned = { name: known.name, from, ambiguous: true };
      this.logger?.warn({ address, names: [known.name, name] }, 'syslog under several hostnames from one address (a relay?): that address is given no device name');
    } else {
      if (known?.name === name && known.from === from) return;
      // New, a sysName confirmed by syslog, or a new sysName (a renamed device).
      learned = { name, from };
    }
    this.last = { peer: '', hostName: '', device: '' };
    this.byAddress.delete(address);
    this.byAddress.set(address, learned);
    if (this.byAddress.size > this.maxEntries) this.byAddress.delete(this.byAddress.keys().next().value!);
    this.scheduleSave();
  }

  /** The name learned for `address`, if one was. */
  nameOf(address: string): string | undefined {
    const learned = this.byAddress.get(address);
    return learned && !learned.ambiguous ? learned.name : undefined;
  }

  /**
   * The device of a syslog message from `peer` whose header gives `hostName` (its hostname, else
   * `peer`): a name is that device's (and learned for `peer`); an address is given the name learned
   * for it, else the one learned for `peer`.
   */
  syslogDevice(peer: string, hostName: string): string {
    if (peer === this.last.peer && hostName === this.last.hostName) return this.last.device;
    let device = hostName;
    if (isDeviceName(hostName)) this.learn(peer, hostName, 'syslog');
    else device = this.nameOf(hostName) ?? this.nameOf(peer) ?? hostName;
    this.last = { peer, hostName, device };
    return device;
  }

  /** The device of a trap from `agentAddress` that carries `sysName` (sysName.0), if any: learned as for syslog. */
  trapDevice(agentAddress: string, sysName: string | undefined): string | undefined {
    this.learn(agentAddress, sysName, 'sysName');
    return this.nameOf(agentAddress);
  }

  /** Writes what changed since the last write now (at shutdown). */
  flush(): void {
    if (!this.saveTimer) return;
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.save();
  }

  private scheduleSave(): void {
    if (!this.path || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.save();
    }, SAVE_DELAY_MS);
    this.saveTimer.unref();
  }

  private save(): void {
    try {
      replaceFileSync(this.path!, JSON.stringify(Object.fromEntries(this.byAddress)));
    } catch (err) {
      this.logger?.warn({ file: this.path, err: (err as Error).message }, 'learned device names not saved');
    }
  }

  private load(path: string): void {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger?.warn({ file: path, err: (err as Error).message }, 'learned device names not read');
      return;
    }
    try {
      const saved = JSON.parse(text) as Record<string, Learned>;
      for (const [address, learned] of Object.entries(saved)) {
        if (isDeviceName(learned?.name) && (learned.from === 'syslog' || learned.from === 'sysName')) this.byAddress.set(address, learned);
      }
    } catch (err) {
      // A file that does not parse is learned again from what arrives.
      this.logger?.warn({ file: path, err: (err as Error).message }, 'learned device names not readable; starting afresh');
    }
  }
}
