import { durationMs, endpoint } from '@rollpoint/runtime';
import { z } from 'zod';

// The Collector's prometheus receiver takes a Prometheus configuration under `config`; this one
// takes the part of it that static targets need, with Prometheus's names and defaults, and refuses
// the rest (service discovery, relabelling) by name rather than ignoring it.

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const staticConfig = z.strictObject({
  /** host:port of each target; it is the target's `instance`. */
  targets: z.array(endpoint).min(1),
  /** Labels added to every point of these targets (as data point attributes). */
  labels: z.record(z.string().regex(LABEL_NAME, 'not a Prometheus label name'), z.string()).default({}),
});

const basicAuth = z.strictObject({
  username: z.string(),
  password: z.string().optional(),
  password_file: z.string().min(1).optional(),
});

const authorization = z.strictObject({
  type: z.string().min(1).default('Bearer'),
  credentials: z.string().optional(),
  credentials_file: z.string().min(1).optional(),
});

const tlsConfig = z.strictObject({
  /** PEM CA certificates to verify the target with (default: the system's). */
  ca_file: z.string().min(1).optional(),
  /** PEM certificate and key this receiver shows when the target asks for one (mutual TLS). */
  cert_file: z.string().min(1).optional(),
  key_file: z.string().min(1).optional(),
  /** The name the target's certificate must carry (default: the target's host). */
  server_name: z.string().min(1).optional(),
  insecure_skip_verify: z.boolean().default(false),
});

const scrapeDefaults = { scrape_interval: 60000, scrape_timeout: 10000 };

const SIZE_UNITS: Readonly<Record<string, number>> = { B: 1, KB: 2 ** 10, KiB: 2 ** 10, MB: 2 ** 20, MiB: 2 ** 20, GB: 2 ** 30, GiB: 2 ** 30 };

/** A size in bytes, or as Prometheus writes them ("10MB", base 2). */
const bytes = z.union([z.number().int().nonnegative(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const found = /^(\d+)\s*([A-Za-z]*)$/.exec(value.trim());
  const unit = found ? SIZE_UNITS[found[2] || 'B'] : undefined;
  if (!found || unit === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not a size (e.g. 512KB, 10MB)` });
    return z.NEVER;
  }
  return Number(found[1]) * unit;
});

const scrapeConfig = z
  .strictObject({
    /** The `job`: service.name of what these targets report. */
    job_name: z.string().min(1),
    scrape_interval: durationMs.refine((ms) => ms > 0, 'must be more than 0').optional(),
    scrape_timeout: durationMs.refine((ms) => ms > 0, 'must be more than 0').optional(),
    metrics_path: z.string().startsWith('/').default('/metrics'),
    scheme: z.enum(['http', 'https']).default('http'),
    /** URL query parameters, e.g. {module: [if_mib]}. */
    params: z.record(z.string(), z.array(z.string())).default({}),
    /** Whether a sample's own timestamp is kept (else the scrape's time is used). */
    honor_timestamps: z.boolean().default(true),
    basic_auth: basicAuth.optional(),
    authorization: authorization.optional(),
    /** The Prometheus 2.x spelling of authorization: {type: Bearer, credentials}. */
    bearer_token: z.string().optional(),
    bearer_token_file: z.string().min(1).optional(),
    tls_config: tlsConfig.optional(),
    static_configs: z.array(staticConfig).default([]),
    /** A scrape whose body (or what it inflates to) is larger fails; 0 sets no limit, as in Prometheus. */
    body_size_limit: bytes.default(0),
  })
  .refine((c) => [c.basic_auth, c.authorization, c.bearer_token, c.bearer_token_file].filter((a) => a !== undefined).length <= 1, {
    message: 'at most one of basic_auth, authorization, bearer_token and bearer_token_file',
  })
  .refine((c) => (c.tls_config?.cert_file === undefined) === (c.tls_config?.key_file === undefined), {
    message: 'tls_config.cert_file and tls_config.key_file go together',
  });

const prometheusConfig = z.strictObject({
  /** Defaults for every scrape config: Prometheus's 1m and 10s. */
  global: z
    .strictObject({
      scrape_interval: durationMs.refine((ms) => ms > 0, 'must be more than 0').default(scrapeDefaults.scrape_interval),
      scrape_timeout: durationMs.refine((ms) => ms > 0, 'must be more than 0').default(scrapeDefaults.scrape_timeout),
    })
    .default(scrapeDefaults),
  scrape_configs: z.array(scrapeConfig).default([]),
});

export const prometheusConfigSchema = z.preprocess(
  (value) => value ?? {},
  z
    .strictObject({
      /** A Prometheus configuration (static targets only). */
      config: prometheusConfig.default({ global: scrapeDefaults, scrape_configs: [] }),
    })
    .transform(({ config }, ctx) => {
      const jobs = new Set<string>();
      const scrapeConfigs = config.scrape_configs.map((c, i) => {
        if (jobs.has(c.job_name)) ctx.addIssue({ code: 'custom', path: ['config', 'scrape_configs', i, 'job_name'], message: `job "${c.job_name}" is configured twice` });
        jobs.add(c.job_name);
        const interval = c.scrape_interval ?? config.global.scrape_interval;
        // As Prometheus: an unset timeout is the global one, but never longer than the interval.
        const timeout = c.scrape_timeout ?? Math.min(config.global.scrape_timeout, interval);
        if (timeout > interval) ctx.addIssue({ code: 'custom', path: ['config', 'scrape_configs', i, 'scrape_timeout'], message: 'must not be longer than scrape_interval' });
        return { ...c, scrape_interval: interval, scrape_timeout: timeout };
      });
      return { config: { scrape_configs: scrapeConfigs } };
    }),
);

export type PrometheusConfig = z.output<typeof prometheusConfigSchema>;
export type ScrapeConfig = PrometheusConfig['config']['scrape_configs'][number];
