import type { z } from 'zod';
import { buildMetric, type MetricSpec, type Point } from '../internal/metric-spec.js';
import { scraperConfig, type ScraperFactory } from '../internal/scraper.js';

// system.cpu.time and system.cpu.utilization per logical CPU and state, from the cpuN lines of
// /proc/stat.

const CPU_TIME: MetricSpec = { name: 'system.cpu.time', description: 'Total seconds each logical CPU spent on each mode.', unit: 's', kind: 'monotonic_sum', valueType: 'double' };
const CPU_UTILIZATION: MetricSpec = {
  name: 'system.cpu.utilization',
  description: 'Difference in system.cpu.time since the last measurement per logical CPU, divided by the elapsed time (value in interval [0,1]).',
  unit: '1',
  kind: 'gauge',
  valueType: 'double',
};

// /proc/stat counts in USER_HZ, which is 100 on every Linux architecture (a fixed ABI, unlike the
// kernel's own tick rate).
const USER_HZ = 100;

/** The state attribute of each column of a cpuN line after its name (guest time is inside user). */
const STATES = ['user', 'nice', 'system', 'idle', 'wait', 'interrupt', 'softirq', 'steal'] as const;

type CpuTimes = Map<string, number[]>;

/** Seconds per state, by CPU name ("cpu0"), from /proc/stat. */
export function parseCpuTimes(stat: string): CpuTimes {
  const times: CpuTimes = new Map();
  for (const line of stat.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (!/^cpu\d+$/.test(fields[0]!)) continue;
    times.set(fields[0]!, STATES.map((_, i) => Number(fields[i + 1] ?? 0) / USER_HZ));
  }
  return times;
}

const statePoints = (cpu: string, values: readonly number[]): Point[] => STATES.map((state, i) => ({ value: values[i]!, attributes: { cpu, state } }));

/** Each state's share of the time a CPU spent between two readings (all zero when none passed, as the Collector). */
function utilization(previous: readonly number[], current: readonly number[]): number[] {
  const deltas = current.map((value, i) => value - previous[i]!);
  const elapsed = deltas.reduce((sum, delta) => sum + delta, 0);
  return deltas.map((delta) => (elapsed > 0 ? delta / elapsed : 0));
}

const METRICS = [CPU_TIME, CPU_UTILIZATION];
const configSchema = scraperConfig(METRICS, {});

export const cpuScraper: ScraperFactory<z.output<typeof configSchema>> = {
  metrics: METRICS,
  configSchema,
  create: (_config, host) => {
    let previous: CpuTimes | undefined;
    return {
      async scrape(times) {
        const current = parseCpuTimes(await host.proc('stat'));
        if (current.size === 0) throw new Error('no cpuN lines in /proc/stat');
        const metrics = [buildMetric(CPU_TIME, [...current].flatMap(([cpu, values]) => statePoints(cpu, values)), times)];
        // Utilization needs two readings: from the second collection on.
        if (previous) {
          const before = previous;
          const points = [...current].flatMap(([cpu, values]) => (before.has(cpu) ? statePoints(cpu, utilization(before.get(cpu)!, values)) : []));
          metrics.push(buildMetric(CPU_UTILIZATION, points, times));
        }
        previous = current;
        return metrics;
      },
    };
  },
};
