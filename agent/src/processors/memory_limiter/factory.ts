import type { ProcessorFactory } from '../../component.js';
import { memoryLimiterConfigSchema, type MemoryLimiterConfig } from './config.js';
import { MemoryLimiter } from './processor.js';

export const memoryLimiterFactory: ProcessorFactory<MemoryLimiterConfig> = {
  type: 'memory_limiter',
  configSchema: memoryLimiterConfigSchema,
  create: (config, signal, next, context) => new MemoryLimiter(config, signal, next, context),
};
