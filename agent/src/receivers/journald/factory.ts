import type { ReceiverFactory } from '../../component.js';
import { journaldConfigSchema, type JournaldConfig } from './config.js';
import { JournaldReceiver } from './receiver.js';

export const journaldReceiverFactory: ReceiverFactory<JournaldConfig> = {
  type: 'journald',
  signals: ['logs'],
  configSchema: journaldConfigSchema,
  create: (config, consumers, context) => new JournaldReceiver(config, consumers, context),
};
