import type { ProcessorFactory } from '../../component.js';
import { filterConfigSchema, type FilterConfig } from './config.js';
import { FilterProcessor } from './processor.js';

export const filterProcessorFactory: ProcessorFactory<FilterConfig> = {
  type: 'filter',
  configSchema: filterConfigSchema,
  create: (config, signal, next, context) => new FilterProcessor(config, signal, next, context),
};
