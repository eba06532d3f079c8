import { performance } from 'node:perf_hooks';
import type { ExportMetricsServiceRequest, Metric } from '@rollpoint/proto';
import type { Consume } from '@rollpoint/runtime';
import type { Component, ComponentContext, ReceiverConsumers } from '../../component.js';
import type { PrometheusConfig, ScrapeConfig } from './config.js';
import { ExpositionError, formatOf, parseExposition } from './exposition.js';
import { ScrapeClient, ScrapeError } from './scrape.js';
import { StartTimes } from './start-times.js';
import { countPoints, familiesToMetrics, scrapeHealthMetrics, seriesOf, targetResource, type Target } from './to-otlp.js';

/** The instrumentation scope of the scraped metrics. */
export const SCOPE_PROMETHEUS = 'rollpoint/prometheus';

type Outcome = 'up' | 'failed' | 'timeout' | 'malformed';

const requestOf = (target: Target, metrics: Metric[]): ExportMetricsServiceRequest => ({
  resourceMetrics: [{ resource: targetResource(target), scopeMetrics: [{ scope: { name: SCOPE_PROMETHEUS }, metrics }] }],
});

/** One target of a scrape config, scraped every scrape_interval. */
class TargetScrape {
  readonly starts = new StartTimes();
  /** The series of the last scrape that parsed, to count the new ones. */
  series = new Set<string>();
  /** What the last scrape failed with, to log a change of state once rather than every interval. */
  lastError: string | undefined;
  timer?: NodeJS.Timeout;

  constructor(
    readonly config: ScrapeConfig,
    readonly client: ScrapeClient,
    readonly target: Target,
  ) {}
}

/**
 * The prometheus receiver: scrapes static targets over HTTP(S) and passes each scrape on as one
 * OTLP metrics request, with the scrape's health (`up`, `scrape_duration_seconds`, …) in it. A
 * target that fails, is slow or serves what does not parse is counted, logged and reported `up` 0;
 * nothing a target does ends the agent.
 */
export class PrometheusReceiver implements Component {
  private readonly targets: TargetScrape[] = [];
  private readonly clients: ScrapeClient[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = new AbortController();

  constructor(
    private readonly config: PrometheusConfig,
    private readonly consumers: ReceiverConsumers,
    private readonly context: ComponentContext,
  ) {}

  async start(): Promise<void> {
    const consume = this.consumers.metrics;
    if (!consume) throw new Error(`${this.context.id}: the prometheus receiver is in no metrics pipeline`);
    this.stopping = new AbortController();
    for (const scrapeConfig of this.config.config.scrape_configs) {
      const client = await ScrapeClient.create(scrapeConfig);
      this.clients.push(client);
      for (const { targets, labels } of scrapeConfig.static_configs) {
        for (const instance of targets) {
          const target = new TargetScrape(scrapeConfig, client, { job: scrapeConfig.job_name, instance, scheme: scrapeConfig.scheme, labels: Object.entries(labels) });
          this.targets.push(target);
          this.schedule(target, performance.now(), consume);
        }
      }
    }
    this.context.logger.info({ receiver: this.context.id, targets: this.targets.map((t) => `${t.target.job}/${t.target.instance}`) }, 'prometheus receiver scraping');
  }

  /** Scrapes at `dueMs` (performance time), then every interval after it; a slot a slow scrape overran is skipped. */
  private schedule(target: TargetScrape, dueMs: number, consume: Consume<ExportMetricsServiceRequest>): void {
    target.timer = setTimeout(() => {
      const run = this.scrape(target, consume).finally(() => {
        this.inFlight.delete(run);
        if (this.stopping.signal.aborted) return;
        const interval = target.config.scrape_interval;
        const now = performance.now();
        this.schedule(target, dueMs + Math.max(1, Math.ceil((now - dueMs) / interval)) * interval, consume);
      });
      this.inFlight.add(run);
    }, Math.max(0, dueMs - performance.now()));
  }

  private count(target: TargetScrape, outcome: Outcome | 'dropped'): void {
    this.context.metrics.prometheusScrapes.inc({ receiver: this.context.id, job: target.target.job, outcome });
  }

  private async scrape(target: TargetScrape, consume: Consume<ExportMetricsServiceRequest>): Promise<void> {
    const { id, logger } = this.context;
    const scrapeTimeMs = Date.now();
    const began = performance.now();
    let outcome: Outcome = 'up';
    let error: string | undefined;
    let request: ExportMetricsServiceRequest;
    try {
      let families;
      try {
        const response = await target.client.scrape(target.target.instance, this.stopping.signal);
        families = parseExposition(response.body, formatOf(response.contentType));
      } catch (err) {
        if (!(err instanceof ScrapeError || err instanceof ExpositionError)) throw err;
        outcome = err instanceof ScrapeError ? err.outcome : 'malformed';
        error = err instanceof ExpositionError ? `the exposition does not parse: ${err.message}` : err.message;
      }
      if (this.stopping.signal.aborted) return;
      const context = { scrapeTimeMs, honorTimestamps: target.config.honor_timestamps, target: target.target, starts: target.starts };
      const metrics = families ? familiesToMetrics(families, context) : [];
      const health = {
        up: families !== undefined,
        durationSeconds: (performance.now() - began) / 1000,
        samplesScraped: families?.reduce((n, f) => n + f.samples.length, 0) ?? 0,
        seriesAdded: 0,
      };
      if (families) {
        target.starts.endScrape();
        const series = seriesOf(families);
        for (const key of series) if (!target.series.has(key)) health.seriesAdded++;
        target.series = series;
      }
      request = requestOf(target.target, [...metrics, ...scrapeHealthMetrics(health, context)]);
    } catch (err) {
      // A bug of ours in reading this target's answer: counted and logged, the agent goes on.
      outcome = 'malformed';
      error = `the scrape could not be converted: ${(err as Error).message}`;
      const health = { up: false, durationSeconds: (performance.now() - began) / 1000, samplesScraped: 0, seriesAdded: 0 };
      request = requestOf(target.target, scrapeHealthMetrics(health, { scrapeTimeMs, target: target.target }));
    }
    this.count(target, outcome);
    const where = { receiver: id, job: target.target.job, instance: target.target.instance };
    if (error !== undefined && error !== target.lastError) logger.warn({ ...where, outcome, error }, 'prometheus target down');
    else if (error !== undefined) logger.debug({ ...where, outcome, error }, 'prometheus target still down');
    else if (target.lastError !== undefined) logger.info(where, 'prometheus target up again');
    target.lastError = error;
    try {
      await consume(request);
      this.context.metrics.acceptedRecords.inc({ receiver: id, signal: 'metrics' }, countPoints(request.resourceMetrics![0]!.scopeMetrics![0]!.metrics!));
    } catch (err) {
      // The next scrape brings the same cumulative totals: this one is dropped, counted, not retried.
      this.count(target, 'dropped');
      logger.warn({ ...where, err: (err as Error).message }, 'prometheus scrape dropped: the pipeline refused it');
    }
  }

  async shutdown(): Promise<void> {
    this.stopping.abort();
    for (const target of this.targets) clearTimeout(target.timer);
    await Promise.allSettled([...this.inFlight]);
    await Promise.allSettled(this.clients.map((client) => client.close()));
    this.targets.length = 0;
    this.clients.length = 0;
  }
}
