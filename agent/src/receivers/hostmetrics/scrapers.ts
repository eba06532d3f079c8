import type { HostFiles, Scraper, ScraperFactory, ScraperSettings } from './internal/scraper.js';
import { cpuScraper } from './scrapers/cpu.js';
import { diskScraper } from './scrapers/disk.js';
import { filesystemScraper } from './scrapers/filesystem.js';
import { loadScraper } from './scrapers/load.js';
import { memoryScraper } from './scrapers/memory.js';
import { networkScraper } from './scrapers/network.js';
import { pagingScraper } from './scrapers/paging.js';
import { processesScraper } from './scrapers/processes.js';

/** Every scraper, by its key under `scrapers` (the Collector's names). */
export const scraperFactories = {
  cpu: cpuScraper,
  memory: memoryScraper,
  load: loadScraper,
  filesystem: filesystemScraper,
  disk: diskScraper,
  network: networkScraper,
  paging: pagingScraper,
  processes: processesScraper,
} as const;

export type ScraperType = keyof typeof scraperFactories;

/** The scraper of `type`, from the settings config.ts parsed with that type's own schema. */
export function createScraper(type: ScraperType, settings: ScraperSettings, host: HostFiles, warn: (problem: string) => void): Scraper {
  return (scraperFactories[type] as unknown as ScraperFactory<ScraperSettings>).create(settings, host, warn);
}
