#!/usr/bin/env node
import { createRequire } from 'node:module';
import { runService } from '@rollpoint/runtime';
import { pino, type Logger } from 'pino';
import { loadAgentConfig, type AgentConfig } from './config.js';
import { startAgent } from './service/service.js';

await runService<AgentConfig, Logger>({
  name: 'rollpoint-agent',
  version: (createRequire(import.meta.url)('../package.json') as { version: string }).version,
  description: 'Receives OTLP, syslog and SNMP traps on this host and ships them as OTLP to the rollpoint backend.',
  load: loadAgentConfig,
  logger: (config) => pino({ level: config.logLevel }),
  start: startAgent,
});
