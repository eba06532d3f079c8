#!/usr/bin/env node
// Only the poll module: the runtime's index loads gRPC, which would add 150 ms to every command.
import { pollUntil } from '@rollpoint/runtime/poll';
import { Command } from 'commander';
import prettyBytes from 'pretty-bytes';
import { BACKEND_VERSION } from '../version.js';
import type { Change, Checkpoint, Completeness, Incident, IncidentDetail } from '../checkpoints/api-types.js';
import { describeConfigDiffs } from '../checkpoints/explain.js';
import type { AuditRecord } from '../audit/audit-log.js';
import type { BackupEntry } from '../backups/backups.js';
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
  tables: Record<string, { family: string; retention_seconds: number; rows: number; oldest_row: string | null; bytes_on_disk: number }>;
  webhooks: Array<{ name: string; delivered: number; failed: number; pending: number; recentFailures: Array<{ time: string; incidentId: string; event: string; attempts: number; error: string }> }>;
}

const print = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

const program = new Command('rollpoint')
  .description('Ask the rollpoint backend about what it stored.')
  .version(BACKEND_VERSION, '-V, --version', 'print the version and exit')
  .option('--url <url>', 'the backend HTTP API', process.env.ROLLPOINT_URL ?? 'http://127.0.0.1:14318')
  .option('--token <token>', 'the API token, when the backend has tokens (api.tokens, http.api_token); or ROLLPOINT_TOKEN', process.env.ROLLPOINT_TOKEN)
  .option('--json', 'print JSON for scripts instead of tables');

const client = (): ApiClient => new ApiClient(program.opts<GlobalOptions>().url, program.opts<GlobalOptions>().token);
const wantsJson = (): boolean => program.opts<GlobalOptions>().json === true;

program
  .command('sql')
  .description('run one read-only SQL statement on the store')
  .argument('<statement...>', 'the statement (quote it, or pass it as several words)')
  .action(async (words: string[]) => {
    // A statement that failed after its answer began streaming ends it with an error instead of rows.
    const result = await client().request<QueryResult & { error?: { message: string } }>('POST', '/api/v1/sql', words.join(' '));
    if (result.error) throw new ApiError(result.error.message, 200);
    if (wantsJson()) print(JSON.stringify(result));
    else print(renderTable(result.columns.map((c) => c.name), result.rows) + `\n${result.rows.length} row(s)`);
  });

program
  .command('status')
  .description("backend health, each table's retention, rows, oldest row and size on disk, and webhook deliveries")
  .action(async () => {
    const status = await client().request<Status>('GET', '/api/v1/status');
    if (wantsJson()) {
      print(JSON.stringify(status));
      return;
    }
    print(`backend: ${status.ready ? 'ready' : 'NOT READY'} · store: ${status.store.driver} · schema version ${status.store.schema_version}`);
    print(
      renderTable(
        ['table', 'family', 'retention', 'rows', 'oldest row', 'on disk'],
        Object.entries(status.tables).map(([name, t]) => [name, t.family, retentionText(t.retention_seconds), t.rows, clock(t.oldest_row), prettyBytes(t.bytes_on_disk, { binary: true })]),
      ),
    );
    if (status.webhooks.length === 0) return;
    print(renderTable(['webhook', 'delivered', 'failed', 'pending'], status.webhooks.map((w) => [w.name, w.delivered, w.failed, w.pending])));
    const failures = status.webhooks.flatMap((w) => w.recentFailures.map((f) => [w.name, clock(f.time), f.incidentId, f.event, f.attempts, f.error]));
    if (failures.length > 0) print(`recent webhook failures:\n${renderTable(['webhook', 'time', 'incident', 'event', 'attempts', 'error'], failures)}`);
  });

const retentionText = (seconds: number): string => (seconds === 0 ? 'forever' : seconds % 86400 === 0 ? `${seconds / 86400}d` : `${seconds / 3600}h`);

const clock = (iso: string | null): string => (iso ? iso.replace('T', ' ').slice(0, 19) : '–');

program
  .command('audit')
  .description('the audit trail: every write through the API, newest first (admin token)')
  .option('--since <time>', 'ISO time or Unix seconds (default: from the beginning)')
  .option('--limit <n>', 'at most this many entries', '100')
  .action(async (options: { since?: string; limit: string }) => {
    const answer = await ask<{ entries: AuditRecord[] }>('/api/v1/audit', { since: options.since, limit: options.limit });
    if (wantsJson()) return print(JSON.stringify(answer));
    print(renderTable(['time', 'token', 'role', 'address', 'action', 'detail', 'status'], answer.entries.map((e) => [clock(e.time), e.tokenName || '(unknown)', e.role || '–', e.address, e.action, e.detail, e.status])));
  });

/** GET `path` with the options given (undefined ones left out) as the query. */
function ask<T>(path: string, params: Record<string, string | undefined>): Promise<T> {
  const given = Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return client().request<T>('GET', `${path}?${new URLSearchParams(given)}`);
}
// No default here: the backend's is the default scope, or a scope-limited token's first scope.
const scopeOption = ['--scope <scope>', 'the scope (a set of entities in the backend configuration; default: default, or the token’s first scope)'] as const;

program
  .command('incidents')
  .description('incidents of a scope: runs of unhealthy complete windows')
  .option(...scopeOption)
  .option('--since <time>', 'ISO time or Unix seconds (default: the backend’s recompute range)')
  .action(async (options: { scope?: string; since?: string }) => {
    const answer = await ask<{ incidents: Incident[]; completeness: Completeness }>('/api/v1/incidents', { scope: options.scope, from: options.since });
    if (wantsJson()) return print(JSON.stringify(answer));
    print(
      renderTable(
        ['id', 'start', 'end', 'status', 'first to go bad', 'rules'],
        answer.incidents.map((i) => [i.id, clock(i.start), clock(i.end), i.status, `${i.firstBad.entityKind} ${i.firstBad.entity}`, i.firstBad.rules.join(', ')]),
      ),
    );
    print(`${answer.incidents.length} incident(s); windows complete until ${clock(answer.completeness.completeUntil)}${answer.completeness.stale.length > 0 ? `; stale sources left out: ${answer.completeness.stale.join(', ')}` : ''}`);
  });

program
  .command('checkpoint')
  .description('where to roll back to: the last state that was healthy and unchanged for long enough')
  .option(...scopeOption)
  .option('--at <time>', 'ISO time or Unix seconds (default: now, i.e. the latest complete window)')
  .action(async (options: { scope?: string; at?: string }) => {
    const checkpoint = await ask<Checkpoint>('/api/v1/checkpoint', { scope: options.scope, at: options.at });
    if (wantsJson()) return print(JSON.stringify(checkpoint));
    if (!checkpoint.time) return print(`scope ${checkpoint.scope}: no checkpoint (never healthy and unchanged for ${checkpoint.stableWindows} windows in range)`);
    print(`scope ${checkpoint.scope}: checkpoint ${clock(checkpoint.time)} (healthy and unchanged for ${checkpoint.stableWindows} × ${checkpoint.windowSeconds} s before it)`);
    const deviceState = (config: Checkpoint['state'][number]['config']) =>
      config?.revision ? `config ${config.revision.commit.slice(0, 8)} of ${clock(config.revision.time)} by ${config.revision.author}` : `config of ${clock(config?.time ?? null)}`;
    print(renderTable(['kind', 'entity', 'state'], checkpoint.state.map((s) => [s.entityKind, s.entity, s.entityKind === 'device' ? deviceState(s.config) : s.versions.join(', ')])));
    for (const diff of describeConfigDiffs(checkpoint)) print(`\n${diff}`);
  });

program
  .command('changes')
  .description('changes in a scope, newest first: deploys, device config changes, markers')
  .option(...scopeOption)
  .option('--since <time>', 'ISO time or Unix seconds')
  .action(async (options: { scope?: string; since?: string }) => {
    const answer = await ask<{ changes: Change[] }>('/api/v1/changes', { scope: options.scope, from: options.since });
    if (wantsJson()) return print(JSON.stringify(answer));
    print(renderTable(['time', 'kind', 'entity', 'what', 'by'], answer.changes.map((c) => [clock(c.time), c.kind, `${c.entityKind} ${c.entity}`, c.title, c.author])));
  });

program
  .command('explain')
  .description('the story of an incident: what went bad, the checkpoint, the suspects')
  .argument('[incident]', 'an incident id, as `rollpoint incidents` lists them (default: the scope’s latest incident)')
  .option(...scopeOption)
  .action(async (id: string | undefined, options: { scope?: string }) => {
    const incident = id ?? (await latestIncident(options.scope));
    // Nothing went wrong lately: an answer, not an error (JSON `null` for scripts).
    if (!incident) return print(wantsJson() ? 'null' : `no incident in scope ${options.scope ?? 'default'} lately (rollpoint incidents --since <time> looks further back)`);
    const detail = await client().request<IncidentDetail & { story: string }>('GET', `/api/v1/incidents/${encodeURIComponent(incident)}`);
    if (wantsJson()) return print(JSON.stringify(detail));
    print(detail.story);
  });

const backup = program.command('backup').description("backups of rollpoint's whole database (ClickHouse BACKUP), to where backups.* in the backend configuration says");
const backupRows = (backups: readonly BackupEntry[]): string =>
  renderTable(['name', 'time', 'size (bytes)', 'base', 'status', 'location'], backups.map((b) => [b.name, clock(b.time), b.size, b.base ?? '–', b.error ? `${b.status}: ${b.error}` : b.status, b.location]));

backup
  .command('create')
  .description('make a backup now, and wait for it to be made')
  .option('--incremental', 'write only what changed since the newest backup (which it then needs to restore)')
  .action(async (options: { incremental?: boolean }) => {
    const started = await client().request<BackupEntry>('POST', '/api/v1/backups', { incremental: options.incremental === true });
    const made = await backupEnded(started.name);
    if (wantsJson()) print(JSON.stringify(made));
    else print(backupRows([made]));
    if (made.status === 'failed') process.exitCode = 1;
  });

/** The backend answers a backup once it started; its end shows in the catalogue: looked at after 200 ms, then twice as long each time up to 2 s. */
function backupEnded(name: string): Promise<BackupEntry> {
  return pollUntil(async () => {
    const backup = (await listBackups()).find((b) => b.name === name);
    if (backup === undefined) throw new ApiError(`backup ${name} is no longer in the catalogue`, 404);
    return backup.status === 'creating' ? undefined : backup;
  }, { initialMs: 200, maxMs: 2000 });
}

const listBackups = async (): Promise<BackupEntry[]> => (await client().request<{ backups: BackupEntry[] }>('GET', '/api/v1/backups')).backups;

backup
  .command('list')
  .description('the backups in the catalogue, oldest first')
  .action(async () => {
    const backups = await listBackups();
    if (wantsJson()) return print(JSON.stringify({ backups }));
    print(`${backupRows(backups)}\n${backups.length} backup(s)`);
  });

/** The id of the scope's latest incident in the backend's recompute range, if it had one. */
async function latestIncident(scope: string | undefined): Promise<string | undefined> {
  const { incidents } = await ask<{ incidents: Incident[] }>('/api/v1/incidents', { scope });
  return incidents.at(-1)?.id;
}

try {
  await program.parseAsync();
} catch (err) {
  if (!(err instanceof ApiError)) throw err;
  process.stderr.write(`rollpoint: ${err.message}\n`);
  process.exitCode = 1;
}
