export { loadAgentConfig } from './config.js';
export type { AgentConfig } from './config.js';
export { startAgent } from './service/service.js';
export type { RunningAgent } from './service/service.js';
