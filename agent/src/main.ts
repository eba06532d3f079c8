#!/usr/bin/env node
import { runService } from '@rollpoint/proto';
import { pino, type Logger } from 'pino';
import { loadAgentConfig, type AgentConfig } from './config.js';
import { startAgent } from './service/service.js';

await runService<AgentConfig, Logger>({
  name: 'rollpoint-agent',
  description: 'Receives OTLP (and, as they arrive, syslog and SNMP traps) on this host and ships it to the rollpoint backend.',
  load: loadAgentConfig,
  logger: (config) => pino({ level: config.logLevel }),
  start: startAgent,
});
