#!/usr/bin/env node
import { runService } from '@rollpoint/runtime';
import type { Command } from 'commander';
import { pino, type Logger } from 'pino';
import { startBackend } from './backend.js';
import { restoreBackup, RestoreRefusedError } from './backups/restore.js';
import { loadBackendConfig, type BackendConfig } from './config.js';
import { schemaScript } from './schema/migrations.js';
import { retentionOf, schemaOptionsOf } from './store/open.js';
import { withoutStackTrace } from './store/store.js';
import { BACKEND_VERSION } from './version.js';

/** A subcommand's --config, or the one given before it (`rollpoint-backend --config x.yaml restore …`). */
const configOf = (command: Command): string | undefined => command.optsWithGlobals<{ config?: string }>().config;

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
      .action((_options: unknown, command: Command) => {
        const { storage } = load(configOf(command));
        process.stdout.write(schemaScript(schemaOptionsOf(storage), retentionOf(storage)));
      });
    program
      .command('restore')
      .description("restore rollpoint's database from a backup into an empty data folder (embedded) or database (server); no backend may be running on it")
      .requiredOption('--from <backup>', 'a backup name as `rollpoint backup list` shows it, or (embedded engine) the path of a backup folder')
      .option('--force', "drop the tables of a rollpoint database already in the target first")
      .option('-c, --config <file>', 'the configuration of the backend that will serve the restored data (storage, backups)')
      .action(async (options: { from: string; force?: boolean }, command: Command) => {
        const config = load(configOf(command));
        try {
          const restored = await restoreBackup(config, { from: options.from, force: options.force === true }, pino({ level: config.log.level }, pino.destination(2)));
          process.stdout.write(`restored ${restored.name} from ${restored.location}: ${restored.tables} tables and views, ${restored.size} bytes read\n`);
        } catch (err) {
          // Refused, or the engine's error once the target was cleared: a message, never a stack trace.
          const message = err instanceof Error ? withoutStackTrace(err.message) : String(err);
          process.stderr.write(`rollpoint-backend: ${err instanceof RestoreRefusedError ? '' : 'restore failed: '}${message}\n`);
          process.exitCode = 1;
        }
      });
  },
});
