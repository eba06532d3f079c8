#!/usr/bin/env node
import { ConfigError, runUntilSignalled } from '@rollpoint/proto';
import { Command } from 'commander';
import { pino } from 'pino';
import { startBackend } from './backend.js';
import { loadBackendConfig } from './config.js';

const program = new Command('rollpoint-backend')
  .description('Receives OTLP from rollpoint agents and OpenTelemetry SDKs, stores it in ClickHouse and serves the API.')
  .option('-c, --config <file>', 'YAML configuration (every setting has a default)')
  .action(async (options: { config?: string }) => {
    let config;
    try {
      config = loadBackendConfig(options.config);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      process.stderr.write(`rollpoint-backend: ${err.message}\n`);
      process.exit(2);
    }
    const logger = pino({ level: config.log.level });
    await runUntilSignalled(logger, () => startBackend(config, logger));
  });

await program.parseAsync();
