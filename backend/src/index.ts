export { startBackend } from './backend.js';
export type { RunningBackend } from './backend.js';
export { backendConfigSchema, loadBackendConfig } from './config.js';
export type { BackendConfig } from './config.js';
