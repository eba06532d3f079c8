import type { ReceiverFactory } from '../../component.js';
import { otlpReceiverConfigSchema, type OtlpReceiverConfig } from './config.js';
import { OtlpReceiver } from './receiver.js';

export const otlpReceiverFactory: ReceiverFactory<OtlpReceiverConfig> = {
  type: 'otlp',
  signals: ['traces', 'logs', 'metrics'],
  configSchema: otlpReceiverConfigSchema,
  create: (config, consumers, context) => new OtlpReceiver(config, consumers, context),
};
