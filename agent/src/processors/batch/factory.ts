import type { ProcessorFactory } from '../../component.js';
import { batchConfigSchema, type BatchConfig } from './config.js';
import { BatchProcessor } from './processor.js';

export const batchProcessorFactory: ProcessorFactory<BatchConfig> = {
  type: 'batch',
  configSchema: batchConfigSchema,
  create: (config, signal, next) => new BatchProcessor(config, signal, next),
};
