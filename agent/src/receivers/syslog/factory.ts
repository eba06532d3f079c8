import type { ReceiverFactory } from '../../component.js';
import { syslogConfigSchema, type SyslogConfig } from './config.js';
import { SyslogReceiver } from './receiver.js';

export const syslogReceiverFactory: ReceiverFactory<SyslogConfig> = {
  type: 'syslog',
  signals: ['logs'],
  configSchema: syslogConfigSchema,
  create: (config, consumers, context) => new SyslogReceiver(config, consumers, context),
};
