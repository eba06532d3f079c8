import type { ReceiverFactory } from '../../component.js';
import { hostlogsConfigSchema, type HostlogsConfig } from './config.js';
import { HostlogsReceiver } from './receiver.js';

export const hostlogsReceiverFactory: ReceiverFactory<HostlogsConfig> = {
  type: 'hostlogs',
  signals: ['logs'],
  configSchema: hostlogsConfigSchema,
  create: (config, consumers, context) => new HostlogsReceiver(config, consumers, context),
};
