import type { ProcessorFactory } from '../../component.js';
import { resourceConfigSchema, type ResourceConfig } from './config.js';
import { ResourceProcessor } from './processor.js';

export const resourceProcessorFactory: ProcessorFactory<ResourceConfig> = {
  type: 'resource',
  configSchema: resourceConfigSchema,
  create: (config, signal, next, context) => new ResourceProcessor(config, signal, next, context.agent.id),
};
