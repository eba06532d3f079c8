import type { ReceiverFactory } from '../../component.js';
import { hostmetricsConfigSchema, type HostmetricsConfig } from './config.js';
import { HostMetricsReceiver } from './receiver.js';

export const hostmetricsReceiverFactory: ReceiverFactory<HostmetricsConfig> = {
  type: 'hostmetrics',
  signals: ['metrics'],
  configSchema: hostmetricsConfigSchema,
  create: (config, consumers, context) => new HostMetricsReceiver(config, consumers, context),
};
