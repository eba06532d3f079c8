import type { Logger } from 'pino';
import { type DecodedQuery, queryDecoded, text } from '../store/row-decoder.js';
import type { Store } from '../store/store.js';
import { MAX_LEARNED_DEVICES, type DevicePair } from './device-names.js';
import type { EncodePool } from './encode-pool.js';

// The device pairs the write path learns (a device event's address and the name it went by), told
// to every encoder and kept in learned_devices: a restart, or another backend replica at its start,
// knows them. Devices that report through different agents merge this way: one agent's syslog
// names the address another agent's traps come from.

/** The latest pairs, oldest first: replayed in order, an address with two names is a relay's again. */
const learnedDevicesQuery = (): DecodedQuery<{ address: string; name: string }> => ({
  sql: `SELECT address, name FROM (SELECT address, name, learned_at FROM learned_devices FINAL ORDER BY learned_at DESC LIMIT {max:UInt32}) ORDER BY learned_at`,
  params: { max: MAX_LEARNED_DEVICES },
  decoder: { address: text('address'), name: text('name') },
});

export class LearnedDevices {
  private loaded: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly pool: EncodePool,
    private readonly logger: Logger,
  ) {}

  /** Resolves once what earlier runs learned is known to the encoders (once; a failure is logged, not thrown). */
  load(): Promise<void> {
    this.loaded ??= queryDecoded(this.store, learnedDevicesQuery()).then(
      (rows) => void this.pool.learn(rows.map(({ address, name }) => [address, name] as const)),
      (err: unknown) => this.logger.warn({ err }, 'learned device names not read: they are learned again from what arrives'),
    );
    return this.loaded;
  }

  /** Pairs from stored device events: the new ones are told to the encoders now; resolves once they are written down (never rejects). */
  async note(pairs: readonly DevicePair[]): Promise<void> {
    const changed = this.pool.learn(pairs);
    if (changed.length === 0) return;
    this.logger.debug({ pairs: changed }, 'device names learned');
    try {
      await this.store.insert('learned_devices', changed.map(([address, name]) => ({ address, name })));
    } catch (err) {
      // Still known until the next restart, and learned again from the next events.
      this.logger.warn({ err }, 'learned device names not written to learned_devices');
    }
  }
}
