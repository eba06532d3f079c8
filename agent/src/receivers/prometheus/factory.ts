import type { ReceiverFactory } from '../../component.js';
import { prometheusConfigSchema, type PrometheusConfig } from './config.js';
import { PrometheusReceiver } from './receiver.js';

export const prometheusReceiverFactory: ReceiverFactory<PrometheusConfig> = {
  type: 'prometheus',
  signals: ['metrics'],
  configSchema: prometheusConfigSchema,
  create: (config, consumers, context) => new PrometheusReceiver(config, consumers, context),
};
