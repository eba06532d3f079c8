import { isIP } from 'node:net';
import { ConfigError, durationMs, endpoint, parseConfig, readYamlFile } from '@rollpoint/runtime';
import { z } from 'zod';
import { API_TOKENS_ENV, apiConfigSchema, apiTokenSchema, LEGACY_TOKEN_NAME, tokenProblems, type ApiTokenConfig } from './api/config.js';
import { backupsConfigSchema } from './backups/config.js';
import { checkpointsConfigSchema, DEFAULT_SCOPE } from './checkpoints/config.js';
import { configRepositorySchema } from './configrepo/config.js';
import { MAX_RETENTION_SECONDS } from './schema/retention.js';
import { webhooksConfigSchema } from './webhooks/config.js';

// The backend's configuration: loaded and validated once at start, then passed down.
// Keys are snake_case as in the YAML file, so the docs and the code use the same names.

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

const HOUR_MS = 3_600_000;

/** A retention: 0, or whole hours (TTLs count in days and hours), at most 50 years. */
const retentionDuration = durationMs
  .refine((ms) => ms % HOUR_MS === 0, 'must be 0 or a whole number of hours, e.g. 90d or 36h (a bare number is milliseconds)')
  .refine((ms) => ms <= MAX_RETENTION_SECONDS * 1000, 'must be at most 50y (a TTL further ahead would wrap past 2106); 0 keeps rows forever')
  .optional();

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);

const device = z.strictObject({
  /** The device's canonical name: its entity, what its syslog and traps are stored under. */
  name: z.string().min(1),
  /** Addresses its events come from: a syslog sender's, a trap's agent address. */
  addresses: z.array(z.string().refine((a) => isIP(a) !== 0, 'must be an IPv4 or IPv6 address')).default([]),
  /** Other names it goes by: a syslog hostname, a sysName, a reverse DNS name. */
  names: z.array(z.string().min(1)).default([]),
});

/** Each device name and address names one device only. */
function checkDevices(devices: z.output<typeof device>[], ctx: z.RefinementCtx): void {
  const owner = new Map<string, string>();
  devices.forEach((d, i) => {
    const keys: [string, (string | number)[]][] = [
      [d.name, ['devices', i, 'name']],
      ...d.addresses.map((a, j): [string, (string | number)[]] => [a, ['devices', i, 'addresses', j]]),
      ...d.names.map((n, j): [string, (string | number)[]] => [n, ['devices', i, 'names', j]]),
    ];
    for (const [key, path] of keys) {
      const other = owner.get(key);
      if (other !== undefined && other !== d.name) ctx.addIssue({ code: 'custom', path, message: `"${key}" is device "${other}" already` });
      else owner.set(key, d.name);
    }
  });
}

/** A backup target the driver can write to: a folder for the embedded engine, a disk or S3 for a server. */
function checkBackupTarget({ storage, backups }: { storage: { driver: string }; backups: z.output<typeof backupsConfigSchema> }, ctx: z.RefinementCtx): void {
  if (storage.driver === 'chdb') {
    for (const key of ['disk', 's3'] as const) {
      if (backups[key] !== undefined) ctx.addIssue({ code: 'custom', path: ['backups', key], message: 'is for a ClickHouse server; the embedded engine writes backups to backups.path' });
    }
  } else {
    if (backups.path !== undefined) ctx.addIssue({ code: 'custom', path: ['backups', 'path'], message: 'is for the embedded engine; a server writes backups to one of its disks (backups.disk) or to S3 (backups.s3)' });
    if (backups.schedule?.keep !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['backups', 'schedule', 'keep'], message: "is for the embedded engine: rollpoint cannot delete a server's backups; expire them with the disk's or bucket's own rules" });
    }
  }
}

export const backendConfigSchema = z.strictObject({
  otlp: z
    .strictObject({
      grpc: z
        .strictObject({
          /** Where the OTLP/gRPC server listens. */
          endpoint: endpoint.default('127.0.0.1:14317'),
          /** Largest accepted request, after decompression; larger ones get RESOURCE_EXHAUSTED. */
          max_recv_msg_size_mib: z.number().positive().max(2047).default(16),
          /** Request bytes handled at once; beyond it more exports are refused with UNAVAILABLE (senders retry). */
          max_in_flight_mib: z.number().positive().default(256),
          /** Who may export: {agent-name: token}, each sent as "authorization: Bearer <token>". Empty: anyone. */
          bearer_tokens: z.record(z.string().min(1), z.string().min(16, 'must be at least 16 characters')).default({}),
          /**
           * Threads that decode Exports into rows, beside the one serving gRPC and driving the inserts;
           * 0 decodes on that thread.
           */
          decode_workers: z.number().int().nonnegative().max(64).default(1),
          /** TLS for OTLP/gRPC; with client_ca_file and require_client_cert, mutual TLS. Absent: plaintext. */
          tls: z
            .strictObject({
              cert_file: z.string().min(1),
              key_file: z.string().min(1),
              client_ca_file: z.string().min(1).optional(),
              require_client_cert: z.boolean().default(false),
            })
            .refine((t) => !t.require_client_cert || t.client_ca_file !== undefined, 'require_client_cert needs client_ca_file')
            .optional(),
        })
        .prefault({}),
    })
    .prefault({}),
  http: z
    .strictObject({
      /** Where the HTTP API, health endpoints and /metrics listen. */
      endpoint: endpoint.default('127.0.0.1:14318'),
      /** A token with the admin role, named "api_token" (from before api.tokens); health and /metrics stay open. */
      api_token: z.string().min(16, 'must be at least 16 characters').optional(),
      /** How people reach this port (behind a proxy, say); links in webhook notifications start with it. Default: http://<endpoint>. */
      external_url: z.url({ protocol: /^https?$/ }).optional(),
    })
    .prefault({}),
  /** Who may use /api/v1: tokens with roles, optionally limited to scopes. None (and no http.api_token): anyone, as admin. */
  api: apiConfigSchema,
  storage: z
    .strictObject({
      /** chdb: the embedded engine (zero setup); clickhouse: a ClickHouse server or cluster over HTTP(S). */
      driver: z.enum(['chdb', 'clickhouse']).default('chdb'),
      chdb: z
        .strictObject({
          /** Folder of the embedded ClickHouse data. */
          path: z.string().min(1).default('./data'),
        })
        .prefault({}),
      clickhouse: z
        .strictObject({
          /** The server's HTTP(S) interface. */
          url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL, e.g. http://127.0.0.1:8123' }).default('http://127.0.0.1:8123'),
          username: z.string().min(1).default('default'),
          password: z.string().default(''),
          /** Must exist on the server (rollpoint creates tables, not databases). */
          database: z.string().regex(IDENTIFIER, 'must be a plain identifier (letters, digits, _)').default('default'),
          /** CA of the server's certificate, for https URLs signed by a private CA. */
          tls: z.strictObject({ ca_file: z.string().min(1) }).optional(),
          /** Longest one request may take, inserts of large batches included. */
          request_timeout: durationMs.default(60000),
          /** gzip inserts and answers. */
          compression: z.boolean().default(true),
          /** A cluster of the server's remote_servers: DDL ON CLUSTER, Replicated tables, Distributed tables over them. */
          cluster: z.string().regex(IDENTIFIER, 'must be a plain identifier (letters, digits, _)').optional(),
          /** false: operators own the DDL (`rollpoint-backend schema --print`); the backend only checks the schema version. */
          create_schema: z.boolean().default(true),
          /** Waits between attempts to reach the server at start: from initial_interval, growing to max_interval. */
          connect_retry: z
            .strictObject({ initial_interval: durationMs.default(1000), max_interval: durationMs.default(30000) })
            .prefault({}),
        })
        .prefault({}),
      /**
       * Exports from every sender are coalesced into one insert per table, written when it holds
       * send_batch_size rows or timeout after its first rows arrived (names as in the Collector's
       * batch processor); a sender is answered once the insert holding its records is stored.
       */
      insert_batch: z
        .strictObject({
          send_batch_size: z.number().int().positive().default(50000),
          timeout: durationMs.default(200),
          /** Written at once when nothing arrived for this long (its senders wait for answers); 0: never early. */
          quiet_period: durationMs.default(5),
          /** Encoded rows held per table, buffered or being inserted, beyond which Exports are refused for a retry. */
          max_buffered_mib: z.number().positive().default(256),
        })
        .prefault({}),
      /** Days to keep every family of tables that storage.retention does not name; 0 keeps them forever. */
      ttl_days: z.number().int().nonnegative().max(Math.floor(MAX_RETENTION_SECONDS / 86400), 'must be at most 18262 (50 years); 0 keeps rows forever').default(30),
      /**
       * How long each family of tables keeps its rows (docs/CONFIGURATION.md lists the tables), e.g.
       * 14d or 720h; 0 keeps them forever; absent: ttl_days. Applied to existing tables at start.
       */
      retention: z
        .strictObject({ logs: retentionDuration, traces: retentionDuration, metrics: retentionDuration, checkpoints: retentionDuration })
        .prefault({}),
    })
    .prefault({}),
  sql: z
    .strictObject({
      /** Most rows an analyst's statement may return (ClickHouse's max_result_rows). */
      max_rows: z.number().int().positive().default(1_000_000),
      /** Most MiB an analyst's statement may return, as ClickHouse counts them (max_result_bytes: uncompressed, in memory). */
      max_result_mib: z.number().positive().default(100),
      /** Longest an analyst's statement may run. */
      timeout: durationMs.default(30000),
    })
    .prefault({}),
  /** Where `rollpoint backup create` writes rollpoint's database (BACKUP DATABASE), and restores read it from. */
  backups: backupsConfigSchema.prefault({}),
  /** Windows, scopes and health rules of the checkpoint engine. */
  checkpoints: checkpointsConfigSchema,
  log: z.strictObject({ level: logLevel.default('info') }).prefault({}),
  /** Where notifications go when an incident opens, its checkpoint is known and it resolves. */
  webhooks: webhooksConfigSchema.default([]),
  /**
   * One entity per device: syslog and traps whose host.name or device address is one of an
   * entry's names or addresses are stored under its name.
   */
  devices: z.array(device).default([]),
  /** A git repository of device configs (Oxidized, RANCID): each device's config revisions, the one a checkpoint restores. Absent: none is read. */
  config_repository: configRepositorySchema.optional(),
}).superRefine((config, ctx) => {
  checkDevices(config.devices, ctx);
  checkBackupTarget(config, ctx);
  const scopes = new Set([DEFAULT_SCOPE, ...Object.keys(config.checkpoints.scopes)]);
  for (const { path, message } of tokenProblems([...config.api.tokens, ...legacyTokens(config.http.api_token)], [...scopes])) {
    // Past api.tokens: http.api_token.
    const [i, ...rest] = path;
    ctx.addIssue({ code: 'custom', path: (i as number) < config.api.tokens.length ? ['api', 'tokens', ...path] : ['http', 'api_token', ...rest.slice(1)], message });
  }
  config.webhooks.forEach((webhook, i) =>
    webhook.scopes.forEach((scope, j) => {
      if (!scopes.has(scope)) ctx.addIssue({ code: 'custom', path: ['webhooks', i, 'scopes', j], message: `unknown scope "${scope}" (configured: ${[...scopes].join(', ')})` });
    }),
  );
});

export type BackendConfig = z.output<typeof backendConfigSchema>;

/** http.api_token, from before roles: an admin token named "api_token". */
const legacyTokens = (apiToken: string | undefined): ApiTokenConfig[] => (apiToken ? [{ name: LEGACY_TOKEN_NAME, token: apiToken, role: 'admin' }] : []);

/** Every token /api/v1 takes: api.tokens and http.api_token. */
export const apiTokensOf = (config: BackendConfig): ApiTokenConfig[] => [...config.api.tokens, ...legacyTokens(config.http.api_token)];

/** The tokens of API_TOKENS_ENV (JSON, as api.tokens), validated; none when it is not set. */
function tokensFromEnvironment(): ApiTokenConfig[] {
  const text = process.env[API_TOKENS_ENV];
  if (text === undefined || text.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    // V8's message quotes the start of the text, a token as like as not: only its position is told.
    const position = /at position (\d+)/.exec((err as Error).message)?.[1];
    const where = position === undefined ? '' : ` (at position ${position})`;
    throw new ConfigError([`${API_TOKENS_ENV}: not valid JSON${where}; it takes a list like [{"name": "ops", "token": "…", "role": "admin"}]`]);
  }
  return parseConfig(z.array(apiTokenSchema), parsed, [API_TOKENS_ENV]);
}

/**
 * Reads and validates the YAML file at `path` (all defaults when undefined). The tokens of
 * API_TOKENS_ENV join api.tokens, checked together with them.
 */
export function loadBackendConfig(path: string | undefined): BackendConfig {
  const config = parseConfig(backendConfigSchema, readYamlFile(path));
  const fromEnvironment = tokensFromEnvironment();
  if (fromEnvironment.length === 0) return config;
  const tokens = [...config.api.tokens, ...fromEnvironment];
  const everyToken = [...tokens, ...legacyTokens(config.http.api_token)];
  const problems = tokenProblems(everyToken, [DEFAULT_SCOPE, ...Object.keys(config.checkpoints.scopes)]);
  // Named where each token was given: the file's api.tokens, the variable, or http.api_token.
  const where = (i: number): string => (i < config.api.tokens.length ? `api.tokens.${i}` : i < tokens.length ? `${API_TOKENS_ENV}.${i - config.api.tokens.length}` : 'http.api_token');
  if (problems.length > 0) throw new ConfigError(problems.map(({ path: [i, ...rest], message }) => `${[where(i as number), ...rest].join('.')}: ${message}`));
  return { ...config, api: { ...config.api, tokens } };
}
