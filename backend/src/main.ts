#!/usr/bin/env node
import { runService } from '@rollpoint/proto';
import { pino, type Logger } from 'pino';
import { startBackend } from './backend.js';
import { loadBackendConfig, type BackendConfig } from './config.js';

await runService<BackendConfig, Logger>({
  name: 'rollpoint-backend',
  description: 'Receives OTLP from rollpoint agents and OpenTelemetry SDKs, stores it in ClickHouse and serves the API.',
  load: loadBackendConfig,
  logger: (config) => pino({ level: config.log.level }),
  start: startBackend,
});
