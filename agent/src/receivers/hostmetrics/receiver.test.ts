import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { cpus, hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ExportMetricsServiceRequest, type Metric, type NumberDataPoint } from '@rollpoint/proto';
import type { Consume } from '@rollpoint/runtime';
import { expect } from 'chai';
import Long from 'long';
import type { Logger } from 'pino';
import type { ComponentContext } from '../../component.js';
import { Watermark } from '../../service/watermark.js';
import { createAgentMetrics } from '../../telemetry/metrics.js';
import { hostmetricsConfigSchema } from './config.js';
import { hostmetricsReceiverFactory } from './factory.js';
import type { HostMetricsReceiver } from './receiver.js';

// The receiver on this host: what it sends is checked against the Collector's definitions, and its
// values against /proc, /sys and df read by the test itself (df is coreutils, Essential in Debian:
// always installed, so no requireTools).

interface Logged {
  level: string;
  fields: Record<string, unknown>;
  message: string;
}

function testContext(logged: Logged[] = []): ComponentContext {
  const log = (level: string) => (fields: Record<string, unknown>, message: string) => logged.push({ level, fields, message });
  const logger = { info: log('info'), warn: log('warn'), error: log('error'), debug: log('debug') } as unknown as Logger;
  return { id: 'hostmetrics', logger, metrics: createAgentMetrics(), agent: { id: 'test', dataDir: '/nonexistent' }, watermark: new Watermark() };
}

async function waitUntil(done: () => boolean, what: string, timeoutMs = 30000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A started receiver whose requests land in `requests`. */
async function startReceiver(raw: Record<string, unknown>, context = testContext(), consume?: Consume<ExportMetricsServiceRequest>) {
  const requests: ExportMetricsServiceRequest[] = [];
  const config = hostmetricsConfigSchema.parse({ collection_interval: '100ms', initial_delay: 0, ...raw });
  const receiver = hostmetricsReceiverFactory.create(config, { metrics: consume ?? (async (request) => void requests.push(request)) }, context) as HostMetricsReceiver;
  await receiver.start();
  return { receiver, requests, context };
}

const metricsOf = (request: ExportMetricsServiceRequest): Metric[] => request.resourceMetrics!.flatMap((rm) => rm.scopeMetrics!.flatMap((sm) => sm.metrics!));
const find = (request: ExportMetricsServiceRequest, name: string): Metric | undefined => metricsOf(request).find((m) => m.name === name);
const pointsOf = (metric: Metric): NumberDataPoint[] => (metric.gauge ?? metric.sum)!.dataPoints!;
const attr = (point: NumberDataPoint, key: string) => point.attributes!.find((kv) => kv.key === key)?.value?.stringValue;
const valueOf = (point: NumberDataPoint): number => (point.asInt !== undefined && point.asInt !== null ? Long.fromValue(point.asInt).toNumber() : point.asDouble!);
/** The value of the point of `name` whose attributes include `where`. */
function value(request: ExportMetricsServiceRequest, name: string, where: Record<string, string>): number {
  const point = pointsOf(find(request, name)!).find((p) => Object.entries(where).every(([key, v]) => attr(p, key) === v));
  if (!point) throw new Error(`no ${name} point with ${JSON.stringify(where)}`);
  return valueOf(point);
}

const procNumbers = (file: string): Map<string, number> =>
  new Map(
    readFileSync(`/proc/${file}`, 'utf8')
      .split('\n')
      .map((line) => line.split(/:?\s+/))
      .filter(([key, v]) => key && v !== undefined)
      .map(([key, v]) => [key!, Number(v)]),
  );

// The Collector's hostmetrics definitions (metadata.yaml of each scraper), written out here on their own.
const EXPECTED: Record<string, { scope: string; unit: string; type: 'gauge' | 'sum' | 'monotonic_sum'; value: 'int' | 'double'; attributes: string[] }> = {
  'system.cpu.time': { scope: 'cpu', unit: 's', type: 'monotonic_sum', value: 'double', attributes: ['cpu', 'state'] },
  'system.cpu.utilization': { scope: 'cpu', unit: '1', type: 'gauge', value: 'double', attributes: ['cpu', 'state'] },
  'system.memory.usage': { scope: 'memory', unit: 'By', type: 'sum', value: 'int', attributes: ['state'] },
  'system.memory.utilization': { scope: 'memory', unit: '1', type: 'gauge', value: 'double', attributes: ['state'] },
  'system.cpu.load_average.1m': { scope: 'load', unit: '{thread}', type: 'gauge', value: 'double', attributes: [] },
  'system.cpu.load_average.5m': { scope: 'load', unit: '{thread}', type: 'gauge', value: 'double', attributes: [] },
  'system.cpu.load_average.15m': { scope: 'load', unit: '{thread}', type: 'gauge', value: 'double', attributes: [] },
  'system.filesystem.usage': { scope: 'filesystem', unit: 'By', type: 'sum', value: 'int', attributes: ['device', 'mode', 'mountpoint', 'type', 'state'] },
  'system.filesystem.inodes.usage': { scope: 'filesystem', unit: '{inodes}', type: 'sum', value: 'int', attributes: ['device', 'mode', 'mountpoint', 'type', 'state'] },
  'system.filesystem.utilization': { scope: 'filesystem', unit: '1', type: 'gauge', value: 'double', attributes: ['device', 'mode', 'mountpoint', 'type'] },
  'system.disk.io': { scope: 'disk', unit: 'By', type: 'monotonic_sum', value: 'int', attributes: ['device', 'direction'] },
  'system.disk.operations': { scope: 'disk', unit: '{operations}', type: 'monotonic_sum', value: 'int', attributes: ['device', 'direction'] },
  'system.disk.io_time': { scope: 'disk', unit: 's', type: 'monotonic_sum', value: 'double', attributes: ['device'] },
  'system.disk.operation_time': { scope: 'disk', unit: 's', type: 'monotonic_sum', value: 'double', attributes: ['device', 'direction'] },
  'system.disk.weighted_io_time': { scope: 'disk', unit: 's', type: 'monotonic_sum', value: 'double', attributes: ['device'] },
  'system.disk.pending_operations': { scope: 'disk', unit: '{operations}', type: 'sum', value: 'int', attributes: ['device'] },
  'system.disk.merged': { scope: 'disk', unit: '{operations}', type: 'monotonic_sum', value: 'int', attributes: ['device', 'direction'] },
  'system.network.io': { scope: 'network', unit: 'By', type: 'monotonic_sum', value: 'int', attributes: ['device', 'direction'] },
  'system.network.packets': { scope: 'network', unit: '{packets}', type: 'monotonic_sum', value: 'int', attributes: ['device', 'direction'] },
  'system.network.errors': { scope: 'network', unit: '{errors}', type: 'monotonic_sum', value: 'int', attributes: ['device', 'direction'] },
  'system.network.dropped': { scope: 'network', unit: '{packets}', type: 'monotonic_sum', value: 'int', attributes: ['device', 'direction'] },
  'system.network.connections': { scope: 'network', unit: '{connections}', type: 'sum', value: 'int', attributes: ['protocol', 'state'] },
  'system.paging.operations': { scope: 'paging', unit: '{operations}', type: 'monotonic_sum', value: 'int', attributes: ['direction', 'type'] },
  'system.paging.faults': { scope: 'paging', unit: '{faults}', type: 'monotonic_sum', value: 'int', attributes: ['type'] },
  'system.processes.count': { scope: 'processes', unit: '{processes}', type: 'sum', value: 'int', attributes: ['status'] },
  'system.processes.created': { scope: 'processes', unit: '{processes}', type: 'monotonic_sum', value: 'int', attributes: [] },
};
const hasSwap = readFileSync('/proc/swaps', 'utf8').trim().split('\n').length > 1;
if (hasSwap) {
  EXPECTED['system.paging.usage'] = { scope: 'paging', unit: 'By', type: 'sum', value: 'int', attributes: ['device', 'state'] };
  EXPECTED['system.paging.utilization'] = { scope: 'paging', unit: '1', type: 'gauge', value: 'double', attributes: ['device', 'state'] };
}

describe('hostmetrics receiver on this host', function () {
  this.timeout(60000);

  it('starts from its default config, stops, and starts again (the contract every component passes)', async function () {
    for (let round = 0; round < 2; round++) {
      const requests: ExportMetricsServiceRequest[] = [];
      const receiver = hostmetricsReceiverFactory.create(hostmetricsReceiverFactory.configSchema.parse(undefined), { metrics: async (r) => void requests.push(r) }, testContext());
      await receiver.start();
      await receiver.shutdown();
      expect(requests, 'no collection before the initial delay').to.have.length(0);
    }
    const receiver = hostmetricsReceiverFactory.create(hostmetricsReceiverFactory.configSchema.parse(undefined), {}, testContext());
    let refusal = '';
    await receiver.start().catch((err: Error) => (refusal = err.message));
    expect(refusal).to.equal('hostmetrics: the hostmetrics receiver is in no metrics pipeline');
  });

  it('ends its timer at shutdown: a process running only the receiver exits after it', async function () {
    // Were a timer left, the child would never exit and this test would time out.
    const modules = (file: string) => new URL(file, import.meta.url).href;
    const script = `
      const { hostmetricsReceiverFactory: f } = await import(${JSON.stringify(modules('./factory.js'))});
      const { createAgentMetrics } = await import(${JSON.stringify(modules('../../telemetry/metrics.js'))});
      const { Watermark } = await import(${JSON.stringify(modules('../../service/watermark.js'))});
      const logger = { info() {}, warn() {}, error() {}, debug() {} };
      let requests = 0;
      const context = { id: 'hostmetrics', logger, metrics: createAgentMetrics(), agent: { id: 'child', dataDir: '/nonexistent' }, watermark: new Watermark() };
      const receiver = f.create(f.configSchema.parse({ collection_interval: '50ms', initial_delay: 0 }), { metrics: async () => void requests++ }, context);
      await receiver.start();
      while (requests < 3) await new Promise((resolve) => setTimeout(resolve, 10));
      await receiver.shutdown();
      console.log('stopped after', requests);`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
    expect(stdout).to.match(/^stopped after [3-9]/);
  });

  it("sends every scraper's metrics under the Collector's names, types, units and attributes, host.name and os.type on the resource", async function () {
    const { receiver, requests } = await startReceiver({});
    await waitUntil(() => requests.length >= 2, 'two collections');
    await receiver.shutdown();
    const second = requests[1]!;
    // A request the exporter can ship: it encodes and decodes to the same metrics.
    const decoded = ExportMetricsServiceRequest.decode(ExportMetricsServiceRequest.encode(second).finish());
    expect(metricsOf(decoded).map((m) => m.name)).to.deep.equal(metricsOf(second).map((m) => m.name));
    expect(second.resourceMetrics).to.have.length(1);
    const resource = second.resourceMetrics![0]!.resource!.attributes!.map((kv) => [kv.key, kv.value!.stringValue]);
    expect(resource).to.deep.equal([
      ['host.name', hostname()],
      ['os.type', 'linux'],
    ]);
    const bootSeconds = procNumbers('stat').get('btime')!;
    for (const scope of second.resourceMetrics![0]!.scopeMetrics!) {
      for (const metric of scope.metrics!) {
        const expected = EXPECTED[metric.name!];
        expect(expected, `${metric.name} is one of the Collector's`).to.not.equal(undefined);
        expect(scope.scope!.name, metric.name!).to.equal(`rollpoint/hostmetrics/${expected!.scope}`);
        expect(metric.unit, metric.name!).to.equal(expected!.unit);
        if (expected!.type === 'gauge') expect(metric.gauge, metric.name!).to.not.equal(undefined);
        else expect(metric.sum, metric.name!).to.deep.include({ aggregationTemporality: 2, isMonotonic: expected!.type === 'monotonic_sum' });
        for (const point of pointsOf(metric)) {
          expect(point.attributes!.map((kv) => kv.key), metric.name!).to.deep.equal(expected!.attributes);
          expect(expected!.value === 'int' ? point.asInt : point.asDouble, metric.name!).to.be.a(expected!.value === 'int' ? 'object' : 'number');
          expect(Long.fromValue(point.startTimeUnixNano!).toString(), 'start = boot').to.equal(`${bootSeconds}000000000`);
        }
      }
    }
    expect(metricsOf(second).map((m) => m.name)).to.have.members(Object.keys(EXPECTED));
    // The first collection has no utilization yet: it needs two CPU readings.
    expect(find(requests[0]!, 'system.cpu.utilization')).to.equal(undefined);
  });

  it('agrees with /proc, /sys and os.cpus() on CPU, memory, load, disks, paging and processes', async function () {
    const { receiver, requests } = await startReceiver({ collection_interval: '1s' });
    await waitUntil(() => requests.length >= 2, 'two collections');
    await receiver.shutdown();
    const [, r] = requests as [ExportMetricsServiceRequest, ExportMetricsServiceRequest];
    // CPU time: libuv reads /proc/stat with the kernel's clock tick from sysconf, so this checks USER_HZ too.
    const cpuTimes = cpus();
    expect(new Set(pointsOf(find(r, 'system.cpu.time')!).map((p) => attr(p, 'cpu'))).size).to.equal(cpuTimes.length);
    cpuTimes.forEach(({ times }, i) => {
      expect(value(r, 'system.cpu.time', { cpu: `cpu${i}`, state: 'user' })).to.be.closeTo(times.user / 1000, 2);
      expect(value(r, 'system.cpu.time', { cpu: `cpu${i}`, state: 'idle' })).to.be.closeTo(times.idle / 1000, 4);
      const shares = pointsOf(find(r, 'system.cpu.utilization')!).filter((p) => attr(p, 'cpu') === `cpu${i}`).map(valueOf);
      for (const share of shares) expect(share).to.be.within(0, 1);
      expect(shares.reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-9);
    });
    // Memory: the states of used, free, buffered and cached make up MemTotal.
    const meminfo = procNumbers('meminfo');
    const total = meminfo.get('MemTotal')! * 1024;
    const states = ['used', 'free', 'buffered', 'cached'].map((state) => value(r, 'system.memory.usage', { state }));
    expect(states.reduce((a, b) => a + b, 0)).to.equal(total);
    expect(value(r, 'system.memory.usage', { state: 'free' })).to.be.closeTo(meminfo.get('MemFree')! * 1024, total * 0.05);
    expect(value(r, 'system.memory.utilization', { state: 'used' })).to.be.closeTo(states[0]! / total, 1e-9);
    // Load: /proc/loadavg moves every 5 s.
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').map(Number);
    expect(value(r, 'system.cpu.load_average.1m', {})).to.be.closeTo(load[0]!, 1.5);
    expect(value(r, 'system.cpu.load_average.15m', {})).to.be.closeTo(load[2]!, 0.5);
    // Disks: the same counters as /sys/block/<disk>/stat, read after (so never less).
    const disks = readdirSync('/sys/block');
    expect(disks.length).to.be.above(0);
    for (const disk of disks) {
      const stat = readFileSync(`/sys/block/${disk}/stat`, 'utf8').trim().split(/\s+/).map(Number);
      const readBytes = value(r, 'system.disk.io', { device: disk, direction: 'read' });
      expect(readBytes, disk).to.be.at.most(stat[2]! * 512);
      expect(stat[2]! * 512 - readBytes, disk).to.be.below(1024 ** 3);
      expect(value(r, 'system.disk.operations', { device: disk, direction: 'write' }), disk).to.be.at.most(stat[4]!);
    }
    // Paging and faults: counters of /proc/vmstat, read after.
    const vmstat = procNumbers('vmstat');
    expect(value(r, 'system.paging.faults', { type: 'major' })).to.be.at.most(vmstat.get('pgmajfault')!);
    expect(value(r, 'system.paging.operations', { direction: 'page_in', type: 'major' })).to.be.at.most(vmstat.get('pswpin')!);
    if (hasSwap) {
      const [device, , size, used] = readFileSync('/proc/swaps', 'utf8').trim().split('\n')[1]!.split(/\s+/);
      expect(value(r, 'system.paging.usage', { device: device!, state: 'used' }) + value(r, 'system.paging.usage', { device: device!, state: 'free' })).to.equal(Number(size) * 1024);
      expect(value(r, 'system.paging.usage', { device: device!, state: 'used' })).to.be.closeTo(Number(used) * 1024, Number(size) * 1024 * 0.1);
    }
    // Processes: about as many as /proc lists; at least this one running.
    const listed = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).length;
    const counted = pointsOf(find(r, 'system.processes.count')!).map(valueOf);
    expect(counted.reduce((a, b) => a + b, 0)).to.be.closeTo(listed, Math.max(20, listed * 0.2));
    expect(value(r, 'system.processes.count', { status: 'running' })).to.be.at.least(1);
    expect(value(r, 'system.processes.created', {})).to.be.at.most(procNumbers('stat').get('processes')!);
  });

  it('counts the bytes, connections and processes the test makes between two collections', async function () {
    const server = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { receiver, requests } = await startReceiver({ collection_interval: '1s', scrapers: { network: { include: { interfaces: ['lo'], match_type: 'strict' } }, processes: {} } });
    let client: Socket | undefined;
    try {
      await waitUntil(() => requests.length >= 1, 'a first collection');
      const before = requests.length;
      const first = requests[before - 1]!;
      expect(new Set(pointsOf(find(first, 'system.network.io')!).map((p) => attr(p, 'device')))).to.deep.equal(new Set(['lo']));
      expect(value(first, 'system.network.connections', { protocol: 'tcp', state: 'LISTEN' })).to.be.at.least(1);
      // 4 MiB over loopback, three processes started, one connection left open.
      const sent = 4 * 1024 * 1024;
      client = connect(server.address() as { port: number }, () => undefined);
      await new Promise<void>((resolve) => client!.write(Buffer.alloc(sent), () => resolve()));
      for (let i = 0; i < 3; i++) await new Promise((resolve) => spawn(process.execPath, ['-e', '']).on('exit', resolve));
      const countAfter = requests.length + 1;
      await waitUntil(() => requests.length >= countAfter, 'a collection after the traffic');
      const after = requests[requests.length - 1]!;
      const lo = (r: ExportMetricsServiceRequest, direction: string) => value(r, 'system.network.io', { device: 'lo', direction });
      expect(lo(after, 'receive') - lo(first, 'receive')).to.be.at.least(sent);
      expect(lo(after, 'transmit') - lo(first, 'transmit')).to.be.at.least(sent);
      expect(lo(after, 'receive')).to.be.at.most(Number(readFileSync('/sys/class/net/lo/statistics/rx_bytes', 'utf8')));
      expect(value(after, 'system.network.connections', { protocol: 'tcp', state: 'ESTABLISHED' })).to.be.at.least(2);
      expect(value(after, 'system.processes.created', {}) - value(first, 'system.processes.created', {})).to.be.at.least(3);
    } finally {
      client?.destroy();
      await receiver.shutdown();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('agrees with df on the size, use and Use% of every filesystem, and filters as configured', async function () {
    const { receiver, requests } = await startReceiver({ scrapers: { filesystem: {} } });
    await waitUntil(() => requests.length >= 1, 'a collection');
    await receiver.shutdown();
    const r = requests[0]!;
    const { stdout } = await promisify(execFile)('df', ['-B1', '--output=size,used,avail,target']);
    const df = new Map(
      stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.trim().split(/\s+/))
        .map(([size, used, avail, ...target]) => [target.join(' '), { size: Number(size), used: Number(used), avail: Number(avail) }]),
    );
    const mountpoints = new Set(pointsOf(find(r, 'system.filesystem.utilization')!).map((p) => attr(p, 'mountpoint')!));
    expect(mountpoints).to.include('/');
    let compared = 0;
    for (const mountpoint of mountpoints) {
      const seen = df.get(mountpoint);
      if (!seen) continue;
      compared++;
      const where = { mountpoint };
      const used = value(r, 'system.filesystem.usage', { ...where, state: 'used' });
      const free = value(r, 'system.filesystem.usage', { ...where, state: 'free' });
      const reserved = value(r, 'system.filesystem.usage', { ...where, state: 'reserved' });
      // Others write to the disk meanwhile: 1% of its size.
      expect(used + free + reserved, mountpoint).to.equal(seen.size);
      expect(used, mountpoint).to.be.closeTo(seen.used, seen.size * 0.01);
      expect(free, mountpoint).to.be.closeTo(seen.avail, seen.size * 0.01);
      expect(value(r, 'system.filesystem.utilization', where), mountpoint).to.be.closeTo(seen.used / (seen.used + seen.avail), 0.01);
    }
    expect(compared).to.be.at.least(1);

    // Filters: only the root by its mount point; with virtual filesystems, neither the root's type nor proc.
    const rootType = attr(pointsOf(find(r, 'system.filesystem.utilization')!).find((p) => attr(p, 'mountpoint') === '/')!, 'type')!;
    const collectWith = async (filesystem: Record<string, unknown>) => {
      const run = await startReceiver({ scrapers: { filesystem } });
      await waitUntil(() => run.requests.length >= 1, `a collection with ${JSON.stringify(filesystem)}`);
      await run.receiver.shutdown();
      return pointsOf(find(run.requests[0]!, 'system.filesystem.utilization')!);
    };
    const onlyRoot = await collectWith({ include_mount_points: { mount_points: ['/'], match_type: 'strict' } });
    expect(new Set(onlyRoot.map((p) => attr(p, 'mountpoint')))).to.deep.equal(new Set(['/']));
    const others = await collectWith({ include_virtual_filesystems: true, exclude_fs_types: { fs_types: [rootType, 'proc'], match_type: 'strict' } });
    expect(others.length).to.be.above(0);
    for (const point of others) expect(attr(point, 'type')).to.not.be.oneOf([rootType, 'proc']);
    // With virtual filesystems, /proc's own is there.
    const virtual = await startReceiver({ scrapers: { filesystem: { include_virtual_filesystems: true } } });
    await waitUntil(() => virtual.requests.length >= 1, 'a collection with virtual filesystems');
    await virtual.receiver.shutdown();
    expect(pointsOf(find(virtual.requests[0]!, 'system.filesystem.usage')!).some((p) => attr(p, 'type') === 'proc')).to.equal(true);
  });

  it("turns a metric off with the Collector's metrics.<name>.enabled", async function () {
    const { receiver, requests } = await startReceiver({ scrapers: { load: { metrics: { 'system.cpu.load_average.5m': { enabled: false } } } } });
    await waitUntil(() => requests.length >= 1, 'a collection');
    await receiver.shutdown();
    expect(metricsOf(requests[0]!).map((m) => m.name)).to.deep.equal(['system.cpu.load_average.1m', 'system.cpu.load_average.15m']);
  });

  describe('when part of the host cannot be read', function () {
    let root: string;
    before(function () {
      // A root_path with a /proc holding only stat and loadavg: cpu, load and processes work, the rest fail.
      root = mkdtempSync(join(tmpdir(), 'hostmetrics-'));
      mkdirSync(join(root, 'proc'));
      for (const file of ['stat', 'loadavg']) writeFileSync(join(root, 'proc', file), readFileSync(`/proc/${file}`));
    });
    after(function () {
      if (existsSync(root)) rmSync(root, { recursive: true });
    });

    it('logs and counts each failing scraper, and sends what the others read', async function () {
      const logged: Logged[] = [];
      const { receiver, requests, context } = await startReceiver({ root_path: root }, testContext(logged));
      await waitUntil(() => requests.length >= 2, 'two collections');
      await receiver.shutdown();
      const scopes = requests[1]!.resourceMetrics![0]!.scopeMetrics!.map((sm) => sm.scope!.name);
      expect(scopes).to.deep.equal(['rollpoint/hostmetrics/cpu', 'rollpoint/hostmetrics/load', 'rollpoint/hostmetrics/processes']);
      const failing = ['memory', 'filesystem', 'disk', 'network', 'paging'];
      const failures = logged.filter((l) => l.level === 'error' && l.message === 'host metrics scraper failed');
      expect(new Set(failures.map((l) => l.fields.scraper))).to.deep.equal(new Set(failing));
      expect(String(failures.find((l) => l.fields.scraper === 'memory')!.fields.err)).to.match(/ENOENT.*meminfo/);
      const counts = (await context.metrics.hostmetricsScrapes.get()).values;
      const countOf = (scraper: string, outcome: string) => counts.find((v) => v.labels.scraper === scraper && v.labels.outcome === outcome)?.value ?? 0;
      for (const scraper of failing) expect(countOf(scraper, 'failed'), scraper).to.be.at.least(2);
      expect(countOf('cpu', 'ok')).to.be.at.least(2);
      expect(countOf('cpu', 'failed')).to.equal(0);
    });
  });

  it('counts a collection the pipeline refused as dropped, and goes on collecting', async function () {
    let calls = 0;
    const logged: Logged[] = [];
    const { receiver, context } = await startReceiver({ scrapers: { load: {} } }, testContext(logged), async () => {
      calls++;
      if (calls === 1) throw new Error('memory limit reached');
    });
    await waitUntil(() => calls >= 2, 'a second collection');
    await receiver.shutdown();
    const counts = (await context.metrics.hostmetricsScrapes.get()).values;
    expect(counts.find((v) => v.labels.outcome === 'dropped')?.value).to.equal(1);
    expect(counts.find((v) => v.labels.outcome === 'ok')?.value).to.be.at.least(1);
    expect(logged.some((l) => l.level === 'warn' && l.message === 'host metrics not taken by the pipeline; dropped')).to.equal(true);
  });
});
