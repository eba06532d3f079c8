import type { Logger } from 'pino';
import type { ConfigDiffer } from '../checkpoints/engine.js';
import { DeviceNameTable, type DeviceAlias } from '../ingest/device-names.js';
import type { Store } from '../store/store.js';
import type { ConfigRepositoryConfig } from './config.js';
import { configDiff } from './config-diff.js';
import { deviceOfFile } from './device-files.js';
import { ConfigCommitPoller } from './poller.js';
import { ConfigRepository } from './repository.js';

/**
 * The configured config repository: its poller, which stores each device's revisions, and the
 * diffs between revisions for the checkpoints. A path that is no git repository fails the start.
 */
export function openConfigRepository(
  config: ConfigRepositoryConfig,
  devices: readonly DeviceAlias[],
  store: Store,
  logger: Logger,
): { start(): void; stop(): Promise<void>; diff: ConfigDiffer } {
  let repository: ConfigRepository;
  try {
    repository = new ConfigRepository(config.path, config.branch);
  } catch (err) {
    throw new Error(`config_repository.path: ${(err as Error).message}`, { cause: err });
  }
  const names = new DeviceNameTable(devices);
  const poller = new ConfigCommitPoller(store, repository, deviceOfFile(config.devices, (name) => names.resolve(name) ?? name), logger.child({ component: 'config_repository' }));
  return { start: () => poller.start(config.poll_interval), stop: () => poller.stop(), diff: (from, to) => configDiff(repository, from, to) };
}
