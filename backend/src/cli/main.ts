#!/usr/bin/env node
import { Command } from 'commander';
import type { QueryResult } from '../store/store.js';
import { ApiClient, ApiError } from './api-client.js';
import { renderTable } from './table.js';

interface GlobalOptions {
  url: string;
  token?: string;
  json?: boolean;
}

interface Status {
  ready: boolean;
  store: { driver: string; schema_version: number };
  tables: Record<string, number>;
}

const print = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

const program = new Command('rollpoint')
  .description('Ask the rollpoint backend about what it stored.')
  .option('--url <url>', 'the backend HTTP API', process.env.ROLLPOINT_URL ?? 'http://127.0.0.1:14318')
  .option('--token <token>', 'the API token, when the backend sets http.api_token (or ROLLPOINT_TOKEN)', process.env.ROLLPOINT_TOKEN)
  .option('--json', 'print JSON for scripts instead of tables');

const client = (): ApiClient => new ApiClient(program.opts<GlobalOptions>().url, program.opts<GlobalOptions>().token);
const wantsJson = (): boolean => program.opts<GlobalOptions>().json === true;

program
  .command('sql')
  .description('run one read-only SQL statement on the store')
  .argument('<statement...>', 'the statement (quote it, or pass it as several words)')
  .action(async (words: string[]) => {
    const result = await client().request<QueryResult>('POST', '/api/v1/sql', words.join(' '));
    if (wantsJson()) print(JSON.stringify(result));
    else print(renderTable(result.columns.map((c) => c.name), result.rows) + `\n${result.rows.length} row(s)`);
  });

program
  .command('status')
  .description('backend health and rows per table')
  .action(async () => {
    const status = await client().request<Status>('GET', '/api/v1/status');
    if (wantsJson()) {
      print(JSON.stringify(status));
      return;
    }
    print(`backend: ${status.ready ? 'ready' : 'NOT READY'} · store: ${status.store.driver} · schema version ${status.store.schema_version}`);
    print(renderTable(['table', 'rows'], Object.entries(status.tables)));
  });

try {
  await program.parseAsync();
} catch (err) {
  if (!(err instanceof ApiError)) throw err;
  process.stderr.write(`rollpoint: ${err.message}\n`);
  process.exitCode = 1;
}
