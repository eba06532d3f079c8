import type { ReceiverFactory } from '../../component.js';
import { snmptrapConfigSchema, type SnmptrapConfig } from './config.js';
import { SnmpTrapReceiver } from './receiver.js';

export const snmptrapReceiverFactory: ReceiverFactory<SnmptrapConfig> = {
  type: 'snmptrap',
  signals: ['logs'],
  configSchema: snmptrapConfigSchema,
  create: (config, consumers, context) => new SnmpTrapReceiver(config, consumers, context),
};
