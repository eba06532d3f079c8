import type { ExportMetricsServiceRequest, ScopeMetrics } from '@rollpoint/proto';
import type { Consume } from '@rollpoint/runtime';
import Long from 'long';
import { hostname } from 'node:os';
import type { Component, ComponentContext, ReceiverConsumers } from '../../component.js';
import type { HostmetricsConfig } from './config.js';
import type { ScrapeTimes } from './internal/metric-spec.js';
import { hostFiles, keyedNumbers, type HostFiles, type Scraper, type ScraperSettings } from './internal/scraper.js';
import { createScraper, scraperFactories, type ScraperType } from './scrapers.js';

// The hostmetrics receiver: every collection_interval it runs its scrapers, each on its own (one
// that fails is logged and counted, the others' metrics still go), and hands one OTLP metrics
// request to the pipeline: one resource (this host) with a scope per scraper.

/** The instrumentation scope of a scraper's metrics, e.g. rollpoint/hostmetrics/cpu. */
export const hostmetricsScope = (type: ScraperType): string => `rollpoint/hostmetrics/${type}`;

/** The os.type of the semantic conventions, from Node's platform name. */
const OS_TYPES: Partial<Record<NodeJS.Platform, string>> = { win32: 'windows', sunos: 'solaris' };

interface Running {
  type: ScraperType;
  scraper: Scraper;
  enabled(metric: string): boolean;
}

const msToNanos = (ms: number): Long => Long.fromNumber(ms, true).multiply(1_000_000);

/** The host's boot time from the btime line of /proc/stat. */
async function bootTimeNanos(host: HostFiles): Promise<Long> {
  const seconds = keyedNumbers(await host.proc('stat')).get('btime');
  if (seconds === undefined || Number.isNaN(seconds)) throw new Error('no btime in /proc/stat');
  return msToNanos(seconds * 1000);
}

export class HostMetricsReceiver implements Component {
  private readonly host: HostFiles;
  private consume?: Consume<ExportMetricsServiceRequest>;
  private running: Running[] = [];
  private startNanos?: Long;
  private timer?: NodeJS.Timeout;
  private nextAt = 0;
  private collecting?: Promise<void>;
  private stopped = false;
  private readonly warned = new Set<string>();

  constructor(
    private readonly config: HostmetricsConfig,
    private readonly consumers: ReceiverConsumers,
    private readonly context: ComponentContext,
  ) {
    this.host = hostFiles(config.root_path);
  }

  async start(): Promise<void> {
    this.consume = this.consumers.metrics;
    if (!this.consume) throw new Error(`${this.context.id}: the hostmetrics receiver is in no metrics pipeline`);
    this.stopped = false;
    this.running = (Object.keys(scraperFactories) as ScraperType[]).flatMap((type) => {
      const settings = this.config.scrapers[type] as ScraperSettings | undefined;
      if (!settings) return [];
      const scraper = createScraper(type, settings, this.host, (problem) => this.warnOnce(type, problem));
      return [{ type, scraper, enabled: (metric: string) => settings.metrics[metric]?.enabled !== false }];
    });
    this.startNanos = await bootTimeNanos(this.host).catch((err: Error) => {
      this.context.logger.warn({ receiver: this.context.id, err: err.message }, "host boot time not read: the agent's start time starts the cumulative sums");
      return msToNanos(Date.now());
    });
    this.nextAt = Date.now() + this.config.initial_delay;
    this.schedule();
    this.context.logger.info({ receiver: this.context.id, scrapers: this.running.map((r) => r.type), interval_ms: this.config.collection_interval }, 'host metrics collection started');
  }

  /** Collections at a fixed rate; one that overran its interval skips the ticks it missed. */
  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.collecting = this.collect()
        .catch((err: Error) => this.context.logger.error({ receiver: this.context.id, err: err.message }, 'host metrics collection failed'))
        .finally(() => {
          this.collecting = undefined;
          const now = Date.now();
          this.nextAt += this.config.collection_interval;
          while (this.nextAt <= now) this.nextAt += this.config.collection_interval;
          this.schedule();
        });
    }, Math.max(0, this.nextAt - Date.now()));
  }

  private warnOnce(type: ScraperType, problem: string): void {
    if (this.warned.has(problem)) return;
    this.warned.add(problem);
    this.context.logger.warn({ receiver: this.context.id, scraper: type, problem }, 'host metrics scraper left something out');
  }

  private count(type: ScraperType, outcome: 'ok' | 'failed' | 'dropped'): void {
    this.context.metrics.hostmetricsScrapes.inc({ receiver: this.context.id, scraper: type, outcome });
  }

  /** One collection: every scraper at once, then one request with what they gave. */
  private async collect(): Promise<void> {
    const times: ScrapeTimes = { startNanos: this.startNanos!, nowNanos: msToNanos(Date.now()) };
    const results = await Promise.allSettled(this.running.map((r) => r.scraper.scrape(times)));
    const scopeMetrics: ScopeMetrics[] = [];
    const delivered: ScraperType[] = [];
    results.forEach((result, i) => {
      const { type, enabled } = this.running[i]!;
      if (result.status === 'rejected') {
        this.count(type, 'failed');
        this.context.logger.error({ receiver: this.context.id, scraper: type, err: (result.reason as Error).message }, 'host metrics scraper failed');
        return;
      }
      delivered.push(type);
      const metrics = result.value.filter((metric) => enabled(metric.name!) && (metric.gauge ?? metric.sum)!.dataPoints!.length > 0);
      if (metrics.length > 0) scopeMetrics.push({ scope: { name: hostmetricsScope(type) }, metrics });
    });
    if (scopeMetrics.length > 0) {
      const resource = {
        attributes: [
          { key: 'host.name', value: { stringValue: hostname() } },
          { key: 'os.type', value: { stringValue: OS_TYPES[process.platform] ?? process.platform } },
        ],
      };
      const points = scopeMetrics.reduce((n, scope) => n + scope.metrics!.reduce((m, metric) => m + (metric.gauge ?? metric.sum)!.dataPoints!.length, 0), 0);
      try {
        await this.consume!({ resourceMetrics: [{ resource, scopeMetrics }] });
        this.context.metrics.acceptedRecords.inc({ receiver: this.context.id, signal: 'metrics' }, points);
      } catch (err) {
        // Not retried: the next collection carries the cumulative values on, as the Collector's scrapers do.
        for (const type of delivered) this.count(type, 'dropped');
        this.context.logger.warn({ receiver: this.context.id, err: (err as Error).message, points }, 'host metrics not taken by the pipeline; dropped');
        return;
      }
    }
    for (const type of delivered) this.count(type, 'ok');
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.collecting;
  }
}
