import type { ProcessorFactory } from '../../component.js';
import { attributesConfigSchema, type AttributesConfig } from './config.js';
import { AttributesProcessor } from './processor.js';

export const attributesProcessorFactory: ProcessorFactory<AttributesConfig> = {
  type: 'attributes',
  signals: ['logs', 'traces'],
  configSchema: attributesConfigSchema,
  create: (config, signal, next) => new AttributesProcessor(config, signal, next),
};
