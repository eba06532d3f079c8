import type { z } from 'zod';
import { buildMetric, type MetricSpec } from '../internal/metric-spec.js';
import { keyedNumbers, scraperConfig, type ScraperFactory } from '../internal/scraper.js';

// system.memory.usage and system.memory.utilization by state from /proc/meminfo, with the
// Collector's (gopsutil's) reading of it: cached includes reclaimable slab, and used is what is
// neither free, buffers nor cached, as free(1) computed it before procps 4.

const MEMORY_USAGE: MetricSpec = { name: 'system.memory.usage', description: 'Bytes of memory in use.', unit: 'By', kind: 'sum', valueType: 'int' };
const MEMORY_UTILIZATION: MetricSpec = { name: 'system.memory.utilization', description: 'Percentage of memory bytes in use.', unit: '1', kind: 'gauge', valueType: 'double' };
const METRICS = [MEMORY_USAGE, MEMORY_UTILIZATION];
const configSchema = scraperConfig(METRICS, {});

/** Bytes by state attribute, and the total they are shares of. */
export function memoryStates(meminfo: string): { total: number; states: Record<string, number> } {
  const kib = keyedNumbers(meminfo);
  const bytes = (key: string) => {
    const value = kib.get(key);
    if (value === undefined || Number.isNaN(value)) throw new Error(`no ${key} in /proc/meminfo`);
    return value * 1024;
  };
  const total = bytes('MemTotal');
  const free = bytes('MemFree');
  const buffered = bytes('Buffers');
  const slabReclaimable = bytes('SReclaimable');
  const cached = bytes('Cached') + slabReclaimable;
  return {
    total,
    states: { used: total - free - buffered - cached, free, buffered, cached, slab_reclaimable: slabReclaimable, slab_unreclaimable: bytes('SUnreclaim') },
  };
}

export const memoryScraper: ScraperFactory<z.output<typeof configSchema>> = {
  metrics: METRICS,
  configSchema,
  create: (_config, host) => ({
    async scrape(times) {
      const { total, states } = memoryStates(await host.proc('meminfo'));
      if (total <= 0) throw new Error(`invalid MemTotal in /proc/meminfo: ${total}`);
      const entries = Object.entries(states);
      return [
        buildMetric(MEMORY_USAGE, entries.map(([state, value]) => ({ value, attributes: { state } })), times),
        buildMetric(MEMORY_UTILIZATION, entries.map(([state, value]) => ({ value: value / total, attributes: { state } })), times),
      ];
    },
  }),
};
