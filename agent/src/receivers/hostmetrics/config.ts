import { durationMs } from '@rollpoint/runtime';
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { scraperFactories, type ScraperType } from './scrapers.js';

const { cpu, memory, load, filesystem, disk, network, paging, processes } = scraperFactories;

const scrapers = z
  .strictObject({
    cpu: cpu.configSchema.optional(),
    memory: memory.configSchema.optional(),
    load: load.configSchema.optional(),
    filesystem: filesystem.configSchema.optional(),
    disk: disk.configSchema.optional(),
    network: network.configSchema.optional(),
    paging: paging.configSchema.optional(),
    processes: processes.configSchema.optional(),
  })
  .refine((chosen) => Object.values(chosen).some((settings) => settings !== undefined), 'at least one scraper is needed (cpu, memory, load, filesystem, disk, network, paging, processes)');

/** All scrapers with their defaults: what `hostmetrics:` without `scrapers` runs. */
const ALL_SCRAPERS = Object.fromEntries(Object.keys(scraperFactories).map((type) => [type, {}])) as Record<ScraperType, object>;

export const hostmetricsConfigSchema = z.preprocess(
  (value) => value ?? {},
  z.strictObject({
    /** Time between collections (the agent that `npm start` runs uses 10s). */
    collection_interval: durationMs.default(60000).refine((ms) => ms > 0, 'must be more than 0'),
    /** Time from start to the first collection. */
    initial_delay: durationMs.default(1000),
    /** Where the host's root is mounted when the agent runs in a container (e.g. /hostfs): /proc and the mount points are read under it. */
    root_path: z
      .string()
      .default('/')
      .refine((path) => isAbsolute(path), { message: 'must be an absolute path', abort: true })
      .refine((path) => existsSync(path), 'does not exist'),
    /** The scrapers to run, each with its settings; default: all of them. */
    scrapers: scrapers.prefault(ALL_SCRAPERS),
  }),
);

export type HostmetricsConfig = z.output<typeof hostmetricsConfigSchema>;
