import type { SignalName } from '@rollpoint/proto';
import type { ReceiverFactory } from '../../component.js';
import { hostmetricsConfigSchema, type HostmetricsConfig } from './config.js';
import { HostMetricsReceiver } from './receiver.js';

export const hostmetricsReceiverFactory: ReceiverFactory<HostmetricsConfig> = {
  type: 'hostmetrics',
  // The cast goes when SignalName gains 'metrics' (the metrics signal of issue 15, merged beside this).
  signals: ['metrics' as SignalName],
  configSchema: hostmetricsConfigSchema,
  create: (config, consumers, context) => new HostMetricsReceiver(config, consumers, context),
};
