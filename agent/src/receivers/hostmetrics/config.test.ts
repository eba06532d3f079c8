import { ConfigError } from '@rollpoint/runtime';
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { loadAgentConfig } from '../../config.js';
import { hostmetricsConfigSchema, type HostmetricsConfig } from './config.js';

const testdata = (name: string) => fileURLToPath(new URL(`../../../testdata/${name}`, import.meta.url));

describe('hostmetrics receiver configuration', function () {
  it('defaults as the Collector: every minute after 1 s, the host at /, every scraper', function () {
    const config = hostmetricsConfigSchema.parse(null);
    expect(config).to.deep.include({ collection_interval: 60000, initial_delay: 1000, root_path: '/' });
    expect(Object.keys(config.scrapers)).to.have.members(['cpu', 'memory', 'load', 'filesystem', 'disk', 'network', 'paging', 'processes']);
    expect(config.scrapers.load).to.deep.equal({ metrics: {}, cpu_average: false });
    expect(config.scrapers.filesystem).to.deep.equal({ metrics: {}, include_virtual_filesystems: false });
  });

  it("reads the Collector's keys for every scraper", function () {
    const config = loadAgentConfig(testdata('hostmetrics.yaml'));
    const main = config.receivers.get('hostmetrics')!.config as HostmetricsConfig;
    expect(main).to.deep.include({ collection_interval: 10000, initial_delay: 0, root_path: '/' });
    expect(main.scrapers.cpu).to.deep.equal({ metrics: { 'system.cpu.utilization': { enabled: false } } });
    expect(main.scrapers.memory).to.deep.equal({ metrics: {} });
    expect(main.scrapers.load!.cpu_average).to.equal(true);
    expect(main.scrapers.filesystem).to.deep.include({
      include_virtual_filesystems: true,
      exclude_fs_types: { fs_types: ['proc', 'sysfs', 'cgroup2'], match_type: 'strict' },
      exclude_mount_points: { mount_points: ['^/(proc|sys|dev)(/|$)'], match_type: 'regexp' },
    });
    expect(main.scrapers.disk!.exclude).to.deep.equal({ devices: ['^(loop|ram)\\d+$'], match_type: 'regexp' });
    expect(main.scrapers.network!.include).to.deep.equal({ interfaces: ['lo', 'eth0'], match_type: 'strict' });
    const slow = config.receivers.get('hostmetrics/slow')!.config as HostmetricsConfig;
    expect(Object.keys(slow.scrapers)).to.deep.equal(['filesystem']);
  });

  it('names the path of every bad key and value', function () {
    let problems: readonly string[] = [];
    try {
      loadAgentConfig(testdata('bad_hostmetrics.yaml'));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems = err.problems;
    }
    expect(problems).to.include.members([
      'receivers.hostmetrics.collection_interval: must be more than 0',
      'receivers.hostmetrics.root_path: must be an absolute path',
      'receivers.hostmetrics.scrapers.cpux: unknown key',
      'receivers.hostmetrics.scrapers.filesystem.include_fs_types.match_type: Invalid option: expected one of "strict"|"regexp"',
      'receivers.hostmetrics.scrapers.filesystem.exclude_mount_points.mount_points.0: "(unclosed" is not a regular expression',
      'receivers.hostmetrics/none.scrapers: at least one scraper is needed (cpu, memory, load, filesystem, disk, network, paging, processes)',
    ]);
    expect(problems.some((p) => p.startsWith('receivers.hostmetrics.scrapers.cpu.metrics.system.memory.usage'))).to.equal(true, problems.join('\n'));
  });
});
