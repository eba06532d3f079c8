import type { z } from 'zod';
import { buildMetric, type MetricSpec, type Point } from '../internal/metric-spec.js';
import { keyedNumbers, scraperConfig, tableRows, type ScraperFactory } from '../internal/scraper.js';

// system.paging.* : swap space per device from /proc/swaps, paging operations and page faults
// from /proc/vmstat.

const PAGING_USAGE: MetricSpec = { name: 'system.paging.usage', description: 'Swap (unix) or pagefile (windows) usage.', unit: 'By', kind: 'sum', valueType: 'int' };
const PAGING_UTILIZATION: MetricSpec = { name: 'system.paging.utilization', description: 'Swap (unix) or pagefile (windows) utilization.', unit: '1', kind: 'gauge', valueType: 'double' };
const PAGING_OPERATIONS: MetricSpec = { name: 'system.paging.operations', description: 'The number of paging operations.', unit: '{operations}', kind: 'monotonic_sum', valueType: 'int' };
const PAGING_FAULTS: MetricSpec = { name: 'system.paging.faults', description: 'The number of page faults.', unit: '{faults}', kind: 'monotonic_sum', valueType: 'int' };
const METRICS = [PAGING_USAGE, PAGING_UTILIZATION, PAGING_OPERATIONS, PAGING_FAULTS];
const configSchema = scraperConfig(METRICS, {});

export interface SwapDevice {
  device: string;
  totalBytes: number;
  usedBytes: number;
}

/** The devices of /proc/swaps (Filename Type Size Used Priority, sizes in KiB). */
export function parseSwaps(text: string): SwapDevice[] {
  return tableRows(text, 1)
    .filter((fields) => fields.length >= 4)
    .map((fields) => ({ device: fields[0]!, totalBytes: Number(fields[2]) * 1024, usedBytes: Number(fields[3]) * 1024 }));
}

export const pagingScraper: ScraperFactory<z.output<typeof configSchema>> = {
  metrics: METRICS,
  configSchema,
  create: (_config, host) => ({
    async scrape(times) {
      const [swaps, vmstat] = await Promise.all([host.proc('swaps').then(parseSwaps), host.proc('vmstat').then(keyedNumbers)]);
      const count = (key: string) => {
        const value = vmstat.get(key);
        if (value === undefined) throw new Error(`no ${key} in /proc/vmstat`);
        return value;
      };
      const usage: Point[] = swaps.flatMap(({ device, totalBytes, usedBytes }) => [
        { value: usedBytes, attributes: { device, state: 'used' } },
        { value: totalBytes - usedBytes, attributes: { device, state: 'free' } },
      ]);
      const utilization = swaps.flatMap(({ device, totalBytes, usedBytes }) =>
        totalBytes > 0 ? [{ value: usedBytes / totalBytes, attributes: { device, state: 'used' } }, { value: 1 - usedBytes / totalBytes, attributes: { device, state: 'free' } }] : [],
      );
      // Swapped in and out (major), paged in and out (minor): the kernel's counters as they are
      // (gopsutil, under the Collector, multiplies them by 4 KiB).
      const operations: Point[] = [
        { value: count('pswpin'), attributes: { direction: 'page_in', type: 'major' } },
        { value: count('pswpout'), attributes: { direction: 'page_out', type: 'major' } },
        { value: count('pgpgin'), attributes: { direction: 'page_in', type: 'minor' } },
        { value: count('pgpgout'), attributes: { direction: 'page_out', type: 'minor' } },
      ];
      const faults: Point[] = [
        { value: count('pgmajfault'), attributes: { type: 'major' } },
        { value: count('pgfault') - count('pgmajfault'), attributes: { type: 'minor' } },
      ];
      return [buildMetric(PAGING_USAGE, usage, times), buildMetric(PAGING_UTILIZATION, utilization, times), buildMetric(PAGING_OPERATIONS, operations, times), buildMetric(PAGING_FAULTS, faults, times)];
    },
  }),
};
