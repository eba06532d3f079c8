import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { Agent, request } from 'undici';
import type { ScrapeConfig } from './config.js';

// One HTTP(S) GET of a target's metrics, as Prometheus makes it: the Accept header prefers
// OpenMetrics, gzip is accepted, credentials go in basic auth or the Authorization header, and the
// timeout covers the whole exchange. What cannot be had says why, as a ScrapeError.

// Prometheus's own Accept header: OpenMetrics 1.0, then 0.0.1, then the text format.
const ACCEPT = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

const gunzipAsync = promisify(gunzip);

export type ScrapeFailure = 'failed' | 'timeout';

export class ScrapeError extends Error {
  constructor(
    message: string,
    readonly outcome: ScrapeFailure,
  ) {
    super(message);
    this.name = 'ScrapeError';
  }
}

export interface ScrapeResponse {
  body: string;
  contentType?: string;
}

const readSecret = async (file: string): Promise<string> => (await readFile(file, 'utf8')).trim();

/** The Authorization header of a scrape config; files are read at each scrape, as Prometheus does, so a rotated secret is taken. */
async function authorizationHeader(config: ScrapeConfig): Promise<string | undefined> {
  if (config.basic_auth) {
    const { username, password, password_file } = config.basic_auth;
    const secret = password_file ? await readSecret(password_file) : (password ?? '');
    return `Basic ${Buffer.from(`${username}:${secret}`).toString('base64')}`;
  }
  if (config.authorization) {
    const { type, credentials, credentials_file } = config.authorization;
    return `${type} ${credentials_file ? await readSecret(credentials_file) : (credentials ?? '')}`;
  }
  if (config.bearer_token !== undefined) return `Bearer ${config.bearer_token}`;
  if (config.bearer_token_file) return `Bearer ${await readSecret(config.bearer_token_file)}`;
  return undefined;
}

const describe = (error: unknown): string => {
  const err = error as Error & { code?: string; cause?: Error & { code?: string } };
  const code = err.code ?? err.cause?.code;
  return [code, err.cause?.message ?? err.message].filter(Boolean).join(': ');
};

/** The scrapes of one scrape config's targets, over one connection pool with its TLS settings. */
export class ScrapeClient {
  private constructor(
    private readonly config: ScrapeConfig,
    private readonly agent: Agent,
  ) {}

  static async create(config: ScrapeConfig): Promise<ScrapeClient> {
    const tls = config.tls_config;
    const [ca, cert, key] = await Promise.all([tls?.ca_file, tls?.cert_file, tls?.key_file].map((file) => (file ? readFile(file) : undefined)));
    const agent = new Agent({
      connect: {
        ...(ca ? { ca } : {}),
        ...(cert && key ? { cert, key } : {}),
        ...(tls?.server_name ? { servername: tls.server_name } : {}),
        rejectUnauthorized: !(tls?.insecure_skip_verify ?? false),
      },
      maxResponseSize: config.body_size_limit || -1,
    });
    return new ScrapeClient(config, agent);
  }

  url(instance: string): URL {
    const url = new URL(`${this.config.scheme}://${instance}${this.config.metrics_path}`);
    for (const [name, values] of Object.entries(this.config.params)) for (const value of values) url.searchParams.append(name, value);
    return url;
  }

  /** GETs the target's exposition; `stop` ends it early (shutdown). */
  async scrape(instance: string, stop: AbortSignal): Promise<ScrapeResponse> {
    const timeout = AbortSignal.timeout(this.config.scrape_timeout);
    const signal = AbortSignal.any([timeout, stop]);
    try {
      const authorization = await authorizationHeader(this.config);
      const response = await request(this.url(instance), {
        dispatcher: this.agent,
        method: 'GET',
        signal,
        headers: {
          accept: ACCEPT,
          'accept-encoding': 'gzip',
          'x-prometheus-scrape-timeout-seconds': String(this.config.scrape_timeout / 1000),
          ...(authorization ? { authorization } : {}),
        },
      });
      if (response.statusCode !== 200) {
        await response.body.dump();
        throw new ScrapeError(`HTTP status ${response.statusCode}`, 'failed');
      }
      const bytes = Buffer.from(await response.body.arrayBuffer());
      const limit = this.config.body_size_limit;
      const body = response.headers['content-encoding'] === 'gzip' ? await gunzipAsync(bytes, limit ? { maxOutputLength: limit } : {}) : bytes;
      const contentType = response.headers['content-type'];
      return { body: body.toString('utf8'), ...(typeof contentType === 'string' ? { contentType } : {}) };
    } catch (error) {
      if (error instanceof ScrapeError) throw error;
      if (timeout.aborted) throw new ScrapeError(`no answer within scrape_timeout (${this.config.scrape_timeout} ms)`, 'timeout');
      const { code } = error as { code?: string };
      if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE' || code === 'ERR_BUFFER_TOO_LARGE') {
        throw new ScrapeError(`the body is larger than body_size_limit (${this.config.body_size_limit} bytes)`, 'failed');
      }
      throw new ScrapeError(describe(error), 'failed');
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
