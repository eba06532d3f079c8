import type { ExporterFactory, ProcessorFactory, ReceiverFactory } from './component.js';
import { otlpExporterFactory } from './exporters/otlp/factory.js';
import { attributesProcessorFactory } from './processors/attributes/factory.js';
import { batchProcessorFactory } from './processors/batch/factory.js';
import { filterProcessorFactory } from './processors/filter/factory.js';
import { memoryLimiterFactory } from './processors/memory_limiter/factory.js';
import { resourceProcessorFactory } from './processors/resource/factory.js';
import { filelogReceiverFactory } from './receivers/filelog/factory.js';
import { hostlogsReceiverFactory } from './receivers/hostlogs/factory.js';
import { hostmetricsReceiverFactory } from './receivers/hostmetrics/factory.js';
import { journaldReceiverFactory } from './receivers/journald/factory.js';
import { otlpReceiverFactory } from './receivers/otlp/factory.js';
import { prometheusReceiverFactory } from './receivers/prometheus/factory.js';
import { snmptrapReceiverFactory } from './receivers/snmptrap/factory.js';
import { syslogReceiverFactory } from './receivers/syslog/factory.js';

// Every component type the agent knows, by the `type` used in configuration.

const byType = <F extends { type: string }>(...factories: F[]): ReadonlyMap<string, F> => new Map(factories.map((f) => [f.type, f]));

export const receiverFactories = byType<ReceiverFactory<never>>(
  otlpReceiverFactory as ReceiverFactory<never>,
  syslogReceiverFactory as ReceiverFactory<never>,
  snmptrapReceiverFactory as ReceiverFactory<never>,
  hostmetricsReceiverFactory as ReceiverFactory<never>,
  prometheusReceiverFactory as ReceiverFactory<never>,
  journaldReceiverFactory as ReceiverFactory<never>,
  filelogReceiverFactory as ReceiverFactory<never>,
  hostlogsReceiverFactory as ReceiverFactory<never>,
);
export const processorFactories = byType<ProcessorFactory<never>>(
  batchProcessorFactory as ProcessorFactory<never>,
  memoryLimiterFactory as ProcessorFactory<never>,
  resourceProcessorFactory as ProcessorFactory<never>,
  filterProcessorFactory as ProcessorFactory<never>,
  attributesProcessorFactory as ProcessorFactory<never>,
);
export const exporterFactories = byType<ExporterFactory<never>>(otlpExporterFactory as ExporterFactory<never>);
