import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { buildMetric, type MetricSpec } from '../internal/metric-spec.js';
import { keyedNumbers, scraperConfig, type ScraperFactory } from '../internal/scraper.js';

// system.processes.count by status and system.processes.created: each process's state from
// /proc/<pid>/stat, with running and blocked (and the processes created since boot) from /proc/stat
// as the Collector takes them, that file being one consistent reading.

const PROCESSES_COUNT: MetricSpec = { name: 'system.processes.count', description: 'Total number of processes in each state.', unit: '{processes}', kind: 'sum', valueType: 'int' };
const PROCESSES_CREATED: MetricSpec = { name: 'system.processes.created', description: 'Total number of created processes.', unit: '{processes}', kind: 'monotonic_sum', valueType: 'int' };
const METRICS = [PROCESSES_COUNT, PROCESSES_CREATED];
const configSchema = scraperConfig(METRICS, {});

// The state letter of /proc/<pid>/stat (proc(5)) as the status attribute.
const STATUS_OF: Record<string, string> = { R: 'running', S: 'sleeping', D: 'blocked', Z: 'zombies', T: 'stopped', t: 'stopped', I: 'idle', W: 'paging' };

// Files read at once: a host may run tens of thousands of processes.
const READS_AT_ONCE = 64;

/** The state letter after the command name, which may itself hold spaces and parentheses. */
export const processState = (stat: string): string | undefined => stat.slice(stat.lastIndexOf(')') + 2)[0];

export const processesScraper: ScraperFactory<z.output<typeof configSchema>> = {
  metrics: METRICS,
  configSchema,
  create: (_config, host) => ({
    async scrape(times) {
      const stat = keyedNumbers(await host.proc('stat'));
      const counts = new Map<string, number>();
      const pids = (await readdir(join(host.root, 'proc'))).filter((name) => /^\d+$/.test(name));
      for (let i = 0; i < pids.length; i += READS_AT_ONCE) {
        // A process may end between the listing and the read: it is not counted.
        const states = await Promise.all(pids.slice(i, i + READS_AT_ONCE).map((pid) => host.proc(`${pid}/stat`).then(processState, () => undefined)));
        for (const state of states) {
          if (state === undefined) continue;
          const status = STATUS_OF[state] ?? 'unknown';
          counts.set(status, (counts.get(status) ?? 0) + 1);
        }
      }
      for (const [key, status] of [['procs_running', 'running'], ['procs_blocked', 'blocked']] as const) {
        const value = stat.get(key);
        if (value === undefined) throw new Error(`no ${key} in /proc/stat`);
        counts.set(status, value);
      }
      const created = stat.get('processes');
      if (created === undefined) throw new Error('no processes line in /proc/stat');
      return [
        buildMetric(PROCESSES_COUNT, [...counts].map(([status, value]) => ({ value, attributes: { status } })), times),
        buildMetric(PROCESSES_CREATED, [{ value: created, attributes: {} }], times),
      ];
    },
  }),
};
