export { loadAgentConfig } from './config.js';
export type { AgentConfig } from './config.js';
export { startAgent } from './service/service.js';
export type { RunningAgent } from './service/service.js';
export { BUILT_IN_EVENT_RULES } from './receivers/syslog/event-rules.js';
export { parseSyslog } from './receivers/syslog/parse.js';
export type { ParseResult, SyslogMessage } from './receivers/syslog/parse.js';
export { toLogRecord } from './receivers/syslog/to-otlp.js';
