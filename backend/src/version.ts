import { createRequire } from 'node:module';

/** The backend package's version, which `rollpoint-backend --version` and `rollpoint --version` print. */
export const BACKEND_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
