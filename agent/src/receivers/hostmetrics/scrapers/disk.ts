import type { z } from 'zod';
import { buildMetric, byDirection, type MetricSpec, type Point } from '../internal/metric-spec.js';
import { filterSet, nameFilter } from '../internal/name-filter.js';
import { scraperConfig, tableRows, type ScraperFactory } from '../internal/scraper.js';

// system.disk.* per block device from /proc/diskstats (the kernel's iostats: sectors of 512 bytes,
// times in milliseconds).

const spec = (name: string, description: string, unit: string, valueType: MetricSpec['valueType'], kind: MetricSpec['kind'] = 'monotonic_sum'): MetricSpec => ({
  name: `system.disk.${name}`,
  description,
  unit,
  kind,
  valueType,
});
const DISK_IO = spec('io', 'Disk bytes transferred.', 'By', 'int');
const DISK_OPERATIONS = spec('operations', 'Disk operations count.', '{operations}', 'int');
const DISK_IO_TIME = spec('io_time', 'Time disk spent activated.', 's', 'double');
const DISK_OPERATION_TIME = spec('operation_time', 'Time spent in disk operations.', 's', 'double');
const DISK_WEIGHTED_IO_TIME = spec('weighted_io_time', 'Time disk spent activated multiplied by the queue length.', 's', 'double');
const DISK_PENDING_OPERATIONS = spec('pending_operations', 'The queue size of pending I/O operations.', '{operations}', 'int', 'sum');
const DISK_MERGED = spec('merged', 'The number of disk reads/writes merged into single physical disk access operations.', '{operations}', 'int');
const METRICS = [DISK_IO, DISK_OPERATIONS, DISK_IO_TIME, DISK_OPERATION_TIME, DISK_WEIGHTED_IO_TIME, DISK_PENDING_OPERATIONS, DISK_MERGED];

const configSchema = scraperConfig(METRICS, {
  include: filterSet('devices').optional(),
  exclude: filterSet('devices').optional(),
});

const SECTOR_BYTES = 512;

// The counters of a /proc/diskstats line after major, minor and name, in their order.
const FIELDS = ['reads', 'readsMerged', 'sectorsRead', 'readMs', 'writes', 'writesMerged', 'sectorsWritten', 'writeMs', 'inProgress', 'ioMs', 'weightedIoMs'] as const;

export type DiskStats = { device: string } & Record<(typeof FIELDS)[number], number>;

export function parseDiskStats(text: string): DiskStats[] {
  return tableRows(text, 0)
    .filter((fields) => fields.length >= 3 + FIELDS.length)
    .map((fields) => ({ device: fields[2]!, ...(Object.fromEntries(FIELDS.map((name, i) => [name, Number(fields[3 + i])])) as Record<(typeof FIELDS)[number], number>) }));
}

const readWrite = (device: string, read: number, write: number): Point[] => byDirection(device, { read, write });

export const diskScraper: ScraperFactory<z.output<typeof configSchema>> = {
  metrics: METRICS,
  configSchema,
  create: (config, host) => {
    const included = nameFilter('devices', config.include, config.exclude);
    return {
      async scrape(times) {
        const disks = parseDiskStats(await host.proc('diskstats')).filter((disk) => included(disk.device));
        const each = (points: (disk: DiskStats) => Point[]) => disks.flatMap(points);
        return [
          buildMetric(DISK_IO, each((d) => readWrite(d.device, d.sectorsRead * SECTOR_BYTES, d.sectorsWritten * SECTOR_BYTES)), times),
          buildMetric(DISK_OPERATIONS, each((d) => readWrite(d.device, d.reads, d.writes)), times),
          buildMetric(DISK_IO_TIME, each((d) => [{ value: d.ioMs / 1000, attributes: { device: d.device } }]), times),
          buildMetric(DISK_OPERATION_TIME, each((d) => readWrite(d.device, d.readMs / 1000, d.writeMs / 1000)), times),
          buildMetric(DISK_WEIGHTED_IO_TIME, each((d) => [{ value: d.weightedIoMs / 1000, attributes: { device: d.device } }]), times),
          buildMetric(DISK_PENDING_OPERATIONS, each((d) => [{ value: d.inProgress, attributes: { device: d.device } }]), times),
          buildMetric(DISK_MERGED, each((d) => readWrite(d.device, d.readsMerged, d.writesMerged)), times),
        ];
      },
    };
  },
};
