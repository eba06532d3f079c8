import type { Metric } from '@rollpoint/proto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { MetricSpec, ScrapeTimes } from './metric-spec.js';

// What the scrapers share: how they read the host, and the shape of their settings. They read
// /proc and statfs (Node's fs.statfs) themselves: the Node host-metrics libraries (systeminformation,
// the most used) run tools such as df for part of their answers and do not give the Collector's
// breakdowns (CPU time per state, memory states, reserved blocks), and reading the files needs no
// native code.

/** The host a scraper reads: this one, or the one mounted at root_path (from a container). */
export interface HostFiles {
  /** The host's root: "/" or root_path. */
  root: string;
  /** The text of a file of the host's /proc, e.g. proc('meminfo'). */
  proc(relative: string): Promise<string>;
}

export const hostFiles = (root: string): HostFiles => ({ root, proc: (relative) => readFile(join(root, 'proc', relative), 'utf8') });

export interface Scraper {
  /** This collection's metrics; throws when the host cannot be read (the other scrapers go on). */
  scrape(times: ScrapeTimes): Promise<Metric[]>;
}

export interface ScraperFactory<C> {
  /** Every metric the scraper produces, each on unless `metrics.<name>.enabled` is false. */
  metrics: readonly MetricSpec[];
  configSchema: z.ZodType<C>;
  /** `warn` reports what the scraper left out and went on without (logged once per distinct message). */
  create(config: C, host: HostFiles, warn: (problem: string) => void): Scraper;
}

/** The settings every scraper has: `metrics: { <name>: { enabled } }`, as the Collector's scrapers. */
export interface ScraperSettings {
  metrics: Partial<Record<string, { enabled: boolean }>>;
}

/**
 * A scraper's config schema: `metrics` (only its own metric names) beside its own settings; an
 * empty key (`cpu:` in YAML) means all defaults.
 */
export function scraperConfig<S extends z.core.$ZodLooseShape>(specs: readonly MetricSpec[], shape: S) {
  const names = specs.map((spec) => spec.name) as [string, ...string[]];
  return z.preprocess(
    (value) => value ?? {},
    z.strictObject({ metrics: z.partialRecord(z.enum(names), z.strictObject({ enabled: z.boolean() })).default({}), ...shape }),
  );
}

/** The lines of a /proc file that starts with a header line (/proc/net/dev, /proc/swaps), split on whitespace. */
export const tableRows = (text: string, headerLines: number): string[][] =>
  text
    .split('\n')
    .slice(headerLines)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[0] !== '');

/** "Key: value [unit]" lines (/proc/meminfo) or "key value" lines (/proc/vmstat) as numbers by key. */
export function keyedNumbers(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.split(/:?\s+/);
    if (key && value !== undefined) values.set(key, Number(value));
  }
  return values;
}
