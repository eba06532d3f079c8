import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { buildMetric, type MetricSpec, type Point } from '../internal/metric-spec.js';
import { filterSet, nameFilter } from '../internal/name-filter.js';
import { scraperConfig, type HostFiles, type ScraperFactory } from '../internal/scraper.js';

// system.filesystem.usage, .inodes.usage and .utilization per mounted filesystem: the mounts from
// /proc, the sizes from statfs(2), read as df(1) reads them (used = blocks - bfree, free = bavail,
// reserved = the rest; utilization = used / (used + free), df's Use%).

const FILESYSTEM_USAGE: MetricSpec = { name: 'system.filesystem.usage', description: 'Filesystem bytes used.', unit: 'By', kind: 'sum', valueType: 'int' };
const FILESYSTEM_INODES_USAGE: MetricSpec = { name: 'system.filesystem.inodes.usage', description: 'FileSystem inodes used.', unit: '{inodes}', kind: 'sum', valueType: 'int' };
const FILESYSTEM_UTILIZATION: MetricSpec = { name: 'system.filesystem.utilization', description: 'Fraction of filesystem bytes used.', unit: '1', kind: 'gauge', valueType: 'double' };
const METRICS = [FILESYSTEM_USAGE, FILESYSTEM_INODES_USAGE, FILESYSTEM_UTILIZATION];

const configSchema = scraperConfig(METRICS, {
  /** Also filesystems without a device of their own (tmpfs, proc, cgroup: the nodev types of /proc/filesystems). */
  include_virtual_filesystems: z.boolean().default(false),
  include_devices: filterSet('devices').optional(),
  exclude_devices: filterSet('devices').optional(),
  include_fs_types: filterSet('fs_types').optional(),
  exclude_fs_types: filterSet('fs_types').optional(),
  /** Mount points as the host sees them, also with root_path set. */
  include_mount_points: filterSet('mount_points').optional(),
  exclude_mount_points: filterSet('mount_points').optional(),
});

export interface Mount {
  device: string;
  mountpoint: string;
  type: string;
  mode: 'rw' | 'ro' | 'unknown';
}

// /proc/*/mounts writes space, tab, newline and backslash in names as \040, \011, \012 and \134.
const unescape = (field: string): string => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

/** The mounts of a /proc/<pid>/mounts file. */
export function parseMounts(text: string): Mount[] {
  return text
    .split('\n')
    .map((line) => line.split(' '))
    .filter((fields) => fields.length >= 4)
    .map(([device, mountpoint, type, options]) => {
      const flags = options!.split(',');
      return { device: unescape(device!), mountpoint: unescape(mountpoint!), type: type!, mode: flags.includes('rw') ? 'rw' : flags.includes('ro') ? 'ro' : 'unknown' };
    });
}

/** The filesystem types of /proc/filesystems marked nodev: those not backed by a device. */
const virtualTypes = (text: string): Set<string> =>
  new Set(
    text
      .split('\n')
      .map((line) => line.split('\t'))
      .filter(([flag]) => flag === 'nodev')
      .map(([, type]) => type!),
  );

type FilesystemConfig = z.output<typeof configSchema>;

function mountFilter(config: FilesystemConfig): (mount: Mount) => boolean {
  const device = nameFilter('devices', config.include_devices, config.exclude_devices);
  const type = nameFilter('fs_types', config.include_fs_types, config.exclude_fs_types);
  const mountpoint = nameFilter('mount_points', config.include_mount_points, config.exclude_mount_points);
  return (mount) => device(mount.device) && type(mount.type) && mountpoint(mount.mountpoint);
}

async function mounts(host: HostFiles, config: FilesystemConfig): Promise<Mount[]> {
  // With root_path, the host's mounts are those of its init (pid 1 of the host's /proc); without,
  // this process's own, which is all a non-root agent may read.
  const all = parseMounts(await host.proc(host.root === '/' ? 'self/mounts' : '1/mounts'));
  const virtual = config.include_virtual_filesystems ? new Set<string>() : virtualTypes(await host.proc('filesystems'));
  return all.filter((mount) => (config.include_virtual_filesystems || (mount.device !== 'none' && !virtual.has(mount.type))));
}

export const filesystemScraper: ScraperFactory<FilesystemConfig> = {
  metrics: METRICS,
  configSchema,
  create: (config, host, warn) => {
    const included = mountFilter(config);
    return {
      async scrape(times) {
        const usage: Point[] = [];
        const inodes: Point[] = [];
        const utilization: Point[] = [];
        const failures: string[] = [];
        const chosen = (await mounts(host, config)).filter(included);
        for (const mount of chosen) {
          let stats;
          try {
            stats = await statfs(join(host.root, mount.mountpoint));
          } catch (err) {
            // One unreadable mount (a stale network share, another user's FUSE mount) does not hide the others.
            failures.push(`${mount.mountpoint}: ${(err as Error).message}`);
            warn(`filesystem at ${mount.mountpoint} not read: ${(err as Error).message}`);
            continue;
          }
          const attributes = { device: mount.device, mode: mount.mode, mountpoint: mount.mountpoint, type: mount.type };
          const used = (stats.blocks - stats.bfree) * stats.bsize;
          const free = stats.bavail * stats.bsize;
          const reserved = stats.blocks * stats.bsize - used - free;
          usage.push({ value: used, attributes: { ...attributes, state: 'used' } }, { value: free, attributes: { ...attributes, state: 'free' } }, { value: reserved, attributes: { ...attributes, state: 'reserved' } });
          inodes.push({ value: stats.files - stats.ffree, attributes: { ...attributes, state: 'used' } }, { value: stats.ffree, attributes: { ...attributes, state: 'free' } });
          utilization.push({ value: used + free > 0 ? used / (used + free) : 0, attributes });
        }
        if (failures.length > 0 && failures.length === chosen.length) throw new Error(`no filesystem could be read: ${failures.join('; ')}`);
        return [buildMetric(FILESYSTEM_USAGE, usage, times), buildMetric(FILESYSTEM_INODES_USAGE, inodes, times), buildMetric(FILESYSTEM_UTILIZATION, utilization, times)];
      },
    };
  },
};
