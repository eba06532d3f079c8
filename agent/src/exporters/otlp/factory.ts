import type { ExporterFactory } from '../../component.js';
import { otlpExporterConfigSchema, type OtlpExporterConfig } from './config.js';
import { OtlpGrpcExporter } from './exporter.js';

export const otlpExporterFactory: ExporterFactory<OtlpExporterConfig> = {
  type: 'otlp',
  configSchema: otlpExporterConfigSchema,
  create: (config, context) => new OtlpGrpcExporter(config, context),
};
