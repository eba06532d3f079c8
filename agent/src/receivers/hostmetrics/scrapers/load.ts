import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { buildMetric, type MetricSpec } from '../internal/metric-spec.js';
import { scraperConfig, type ScraperFactory } from '../internal/scraper.js';

// system.cpu.load_average.1m, .5m and .15m from /proc/loadavg.

const loadAverage = (span: string, words: string): MetricSpec => ({
  name: `system.cpu.load_average.${span}`,
  description: `Average CPU Load over ${words}.`,
  unit: '{thread}',
  kind: 'gauge',
  valueType: 'double',
});
const METRICS = [loadAverage('1m', '1 minute'), loadAverage('5m', '5 minutes'), loadAverage('15m', '15 minutes')];
const configSchema = scraperConfig(METRICS, {
  /** Divide the load averages by the number of CPUs this process may run on. */
  cpu_average: z.boolean().default(false),
});

export const loadScraper: ScraperFactory<z.output<typeof configSchema>> = {
  metrics: METRICS,
  configSchema,
  create: (config, host) => ({
    async scrape(times) {
      const averages = (await host.proc('loadavg')).trim().split(/\s+/).slice(0, 3).map(Number);
      if (averages.length < 3 || averages.some(Number.isNaN)) throw new Error('/proc/loadavg does not start with three load averages');
      const divisor = config.cpu_average ? availableParallelism() : 1;
      return METRICS.map((spec, i) => buildMetric(spec, [{ value: averages[i]! / divisor, attributes: {} }], times));
    },
  }),
};
