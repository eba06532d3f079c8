#!/usr/bin/env node
import { ConfigError, runUntilSignalled } from '@rollpoint/proto';
import { Command } from 'commander';
import { pino } from 'pino';
import { loadAgentConfig } from './config.js';
import { startAgent } from './service/service.js';

const program = new Command('rollpoint-agent')
  .description('Receives OTLP (and, as they arrive, syslog and SNMP traps) on this host and ships it to the rollpoint backend.')
  .option('-c, --config <file>', 'Collector-style YAML configuration (every setting has a default)')
  .action(async (options: { config?: string }) => {
    let config;
    try {
      config = loadAgentConfig(options.config);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      process.stderr.write(`rollpoint-agent: ${err.message}\n`);
      process.exit(2);
    }
    const logger = pino({ level: config.logLevel });
    await runUntilSignalled(logger, () => startAgent(config, logger));
  });

await program.parseAsync();
