#!/usr/bin/env node
import { runService } from '@rollpoint/runtime';
import { pino, type Logger } from 'pino';
import { startBackend } from './backend.js';
import { loadBackendConfig, type BackendConfig } from './config.js';
import { schemaScript } from './schema/migrations.js';
import { retentionOf, schemaOptionsOf } from './store/open.js';
import { BACKEND_VERSION } from './version.js';

await runService<BackendConfig, Logger>({
  name: 'rollpoint-backend',
  version: BACKEND_VERSION,
  description: 'Receives OTLP from rollpoint agents and OpenTelemetry SDKs, stores it in ClickHouse and serves the API.',
  load: loadBackendConfig,
  logger: (config) => pino({ level: config.log.level }),
  start: startBackend,
  commands: (program, load) => {
    program
      .command('schema')
      .description("rollpoint's ClickHouse schema, for operators who own the DDL (storage.clickhouse.create_schema: false)")
      .requiredOption('--print', 'print the DDL as one script for clickhouse-client --multiquery')
      .option('-c, --config <file>', 'the configuration whose storage settings (cluster, retention, ttl_days) shape the DDL')
      .action((options: { config?: string }) => {
        const { storage } = load(options.config);
        process.stdout.write(schemaScript(schemaOptionsOf(storage), retentionOf(storage)));
      });
  },
});
