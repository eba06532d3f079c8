import { fileURLToPath } from 'node:url';

/** The repository root, from scripts/dist/testing/. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BACKEND_MAIN = `${REPO_ROOT}backend/dist/main.js`;
export const AGENT_MAIN = `${REPO_ROOT}agent/dist/main.js`;
export const CLI_MAIN = `${REPO_ROOT}backend/dist/cli/main.js`;
export const START_MAIN = `${REPO_ROOT}scripts/dist/start.js`;
export const PACK_MAIN = `${REPO_ROOT}scripts/dist/pack.js`;
export const SDK_APP = `${REPO_ROOT}scripts/dist/testing/sdk-app.js`;
export const DEMO_SERVICE = `${REPO_ROOT}scripts/dist/testing/demo-service.js`;
export const CLICKHOUSE_HTTP = `${REPO_ROOT}scripts/dist/testing/clickhouse-http.js`;
