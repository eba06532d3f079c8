import type { ReceiverFactory } from '../../component.js';
import { filelogConfigSchema, type FilelogConfig } from './config.js';
import { FilelogReceiver } from './receiver.js';

export const filelogReceiverFactory: ReceiverFactory<FilelogConfig> = {
  type: 'filelog',
  signals: ['logs'],
  configSchema: filelogConfigSchema,
  create: (config, consumers, context) => new FilelogReceiver(config, consumers, context),
};
