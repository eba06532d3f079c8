import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { migrate } from '../schema/migrations.js';
import { ChdbStore } from '../store/chdb.js';
import { checkpointsConfigSchema, DEFAULT_RULES, LATENCY_SHIFT_RULE, type CheckpointsConfig } from './config.js';
import { CheckpointEngine } from './engine.js';
import { explain } from './explain.js';
import { gaugeMetric, steadyTraffic, storeDeviceEvent, storeMetrics, storeTraffic } from '../testing/scenario-data.js';

// Scenarios with a known answer, stored through the real row mapping into the embedded ClickHouse:
// each asserts the incident's start, the checkpoint, its versions and the first suspect. Each
// scenario has its own services and devices, and a scope holding just them.

const MINUTE = 60_000;
// Two hours ago, on the hour: well inside TTL, and every window is complete.
const T = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
const at = (minutes: number, seconds = 0): number => T + minutes * MINUTE + seconds * 1000;
const iso = (ms: number): string => new Date(ms).toISOString();

const steady = steadyTraffic;

describe('checkpoint scenarios (SQL on the embedded ClickHouse)', function () {
  this.timeout(120000);
  let store: ChdbStore;
  let engine: CheckpointEngine;
  const path = mkdtempSync(join(tmpdir(), 'rollpoint-scenarios-'));
  const scopes = {
    deploy: { services: ['deploy-*'], hosts: [], devices: ['deploy-edge'] },
    sameminute: { services: ['same-*'], hosts: [], devices: [] },
    flap: { services: ['flap-*'], hosts: [], devices: ['flap-edge'] },
    config: { services: ['config-*'], hosts: [], devices: ['config-edge'] },
    quiet: { services: ['quiet-*'], hosts: [], devices: [] },
    drift: { services: ['drift-*'], hosts: [], devices: [] },
    flapping: { services: ['flapping-*'], hosts: [], devices: [] },
    recovery: { services: ['recovery-*'], hosts: [], devices: [] },
    late: { services: ['late-*'], hosts: [], devices: [] },
    disk: { services: ['disk-*'], hosts: ['db-1'], devices: ['db-1'] },
  };
  const config: CheckpointsConfig = checkpointsConfigSchema.parse({ scopes });
  const now = () => Date.now();

  before(async function () {
    store = new ChdbStore({ path, readOnlyMaxRows: 100, readOnlyTimeoutMs: 10000 });
    await migrate(store, { ttlDays: 30 });
    engine = new CheckpointEngine(store, config);

    // Deploy regression: checkout 1.4.2 → 1.4.3 at +65:02, errors from +66:00; payments steady;
    // the edge router's config changed at +58:10 by admin.
    await storeTraffic(store, steady('deploy-checkout', '1.4.2', at(0), at(65, 2)));
    await storeTraffic(store, steady('deploy-checkout', '1.4.3', at(65, 2), at(66)));
    await storeTraffic(store, steady('deploy-checkout', '1.4.3', at(66), at(75), { errorRate: () => 0.23 }));
    await storeTraffic(store, steady('deploy-payments', '2.0.1', at(0), at(75)));
    await storeDeviceEvent(store, 'deploy-edge', at(58, 10), '%SYS-5-CONFIG_I: Configured from console by admin on vty0', 'config_change');

    // The same, with errors from the deploy's own minute.
    await storeTraffic(store, steady('same-checkout', '1.4.2', at(0), at(65, 2)));
    await storeTraffic(store, steady('same-checkout', '1.4.3', at(65, 2), at(75), { errorRate: () => 0.3 }));

    // A link flap on the router in front of the service breaks it for two minutes.
    await storeTraffic(store, steady('flap-checkout', '3.0.0', at(0), at(80), { errorRate: (t) => (t >= at(70) && t < at(72) ? 0.4 : 0.004) }));
    for (const [m, kind] of [[70, 'link_down'], [70.5, 'link_up'], [71, 'link_down'], [71.5, 'link_up']] as const) {
      await storeDeviceEvent(store, 'flap-edge', at(m), `%LINK-3-UPDOWN: Interface Gi0/1, changed state to ${kind === 'link_down' ? 'down' : 'up'}`, kind);
    }

    // A device config change (by trap) followed a minute later by errors on the service behind it.
    await storeTraffic(store, steady('config-api', '5.1.0', at(0), at(80), { errorRate: (t) => (t >= at(61) ? 0.5 : 0.004) }));
    await storeDeviceEvent(store, 'config-edge', at(60, 30), 'ccmCLIRunningConfigChanged', 'config_change', 'rollpoint/snmptrap');

    // A quiet service at night: two spans a minute, one of them failing. Too few to judge.
    await storeTraffic(store, steady('quiet-batch', '1.0.0', at(0), at(80), { spansPerMinute: 2, errorRate: () => 0.5 }));

    // A latency drift: from +60 p95 grows by half every minute, far below the static 800 ms at first.
    await storeTraffic(store, steady('drift-search', '2.2.0', at(0), at(75), { latencyMs: (t) => (t < at(60) ? 40 : 40 * 1.5 ** ((t - at(60)) / MINUTE)) }));

    // Flapping: a deploy at +50, then errors in every other window (+52, +54, +56), healthy between.
    await storeTraffic(store, steady('flapping-cart', '7.0.0', at(0), at(50)));
    await storeTraffic(store, steady('flapping-cart', '7.1.0', at(50), at(70), { errorRate: (t) => ([52, 54, 56].includes(Math.floor((t - T) / MINUTE)) ? 0.3 : 0.004) }));

    // A host's disk fills: its root filesystem at 0.60 until +62, then 0.97 (hostmetrics every 10 s);
    // its syslog told of a config change at +60:20. A deploy elsewhere in the scope, nearer the start.
    const filesystem = (t: number) => (t < at(62) ? 0.6 : 0.97);
    const root = { device: '/dev/sda1', mode: 'rw', mountpoint: '/', type: 'ext4' };
    for (let m = 0; m < 75; m += 5) {
      await storeMetrics(store, { 'host.name': 'db-1' }, [gaugeMetric('system.filesystem.utilization', root, at(m), at(m + 5), 10_000, filesystem)]);
    }
    await storeDeviceEvent(store, 'db-1', at(60, 20), 'rsyslogd: [origin software="rsyslogd"] configuration changed by ops', 'config_change');
    await storeTraffic(store, steady('disk-api', '1.0.0', at(0), at(61, 50)));
    await storeTraffic(store, steady('disk-api', '1.1.0', at(61, 50), at(75)));

    // Four bad minutes, then recovery.
    await storeTraffic(store, steady('recovery-web', '1.0.0', at(0), at(60), { errorRate: (t) => (t >= at(40) && t < at(44) ? 0.5 : 0.004) }));

    // Healthy, then failing from +91 on: what a slow agent has not delivered yet.
    await storeTraffic(store, steady('late-web', '4.0.0', at(0), at(91)));
    // Into the next minutes too, so the latest complete window is always among the failing ones.
    await storeTraffic(store, steady('late-web', '4.0.0', at(91), Date.now() + 2 * MINUTE, { errorRate: () => 0.5 }));
  });

  after(async function () {
    await store.close();
    rmSync(path, { recursive: true, force: true });
  });

  const incidentsOf = async (scope: string) => {
    const { completeUntilSeconds } = await engine.completeness(now());
    return engine.incidents(scope, T / 1000, completeUntilSeconds, completeUntilSeconds);
  };

  it('deploy regression, errors a minute after the deploy: the state before the deploy is the checkpoint, the deploy the first suspect', async function () {
    const [incident, ...others] = await incidentsOf('deploy');
    expect(others).to.deep.equal([]);
    expect(incident).to.include({ start: iso(at(66)), end: iso(at(75)), status: 'resolved' });
    expect(incident!.firstBad).to.include({ entityKind: 'service', entity: 'deploy-checkout' });
    expect(incident!.firstBad.rules).to.include('span_error_ratio');
    const detail = await engine.detail(incident!);
    expect(detail.checkpoint.time).to.equal(iso(at(65)));
    expect(detail.checkpoint.state).to.deep.include({ entityKind: 'service', entity: 'deploy-checkout', versions: ['1.4.2'] });
    expect(detail.checkpoint.state).to.deep.include({ entityKind: 'service', entity: 'deploy-payments', versions: ['2.0.1'] });
    expect(detail.checkpoint.state.find((s) => s.entity === 'deploy-edge')?.config?.time).to.equal(iso(at(58, 10)));
    expect(detail.suspects[0]).to.include({ kind: 'deploy', entity: 'deploy-checkout', version: '1.4.3', previousVersion: '1.4.2', time: iso(at(65, 2)), onFirstBad: true });
    // Its evidence: the deploy's own service went bad in every window of the incident.
    expect(detail.suspects[0]!.evidence.map((e) => e.window)).to.deep.equal(Array.from({ length: 9 }, (_, m) => iso(at(66 + m))));
    expect(detail.suspects[0]!.evidence[0]!.rules).to.include('span_error_ratio');
    // Who changed the router is read from its message.
    const changes = await engine.changes('deploy', T / 1000, now() / 1000, 100);
    expect(changes.find((c) => c.entity === 'deploy-edge')).to.include({ kind: 'config_change', author: 'admin', source: 'syslog', time: iso(at(58, 10)) });
    expect(changes.map((c) => c.kind)).to.deep.equal(['deploy', 'config_change', 'deploy', 'deploy']);
  });

  it('deploy regression, errors from the deploy’s own minute: same checkpoint, same first suspect', async function () {
    const [incident] = await incidentsOf('sameminute');
    expect(incident).to.include({ start: iso(at(65)) });
    const detail = await engine.detail(incident!);
    expect(detail.checkpoint.time).to.equal(iso(at(65)));
    expect(detail.checkpoint.state).to.deep.equal([{ entityKind: 'service', entity: 'same-checkout', versions: ['1.4.2'] }]);
    expect(detail.suspects[0]).to.include({ entity: 'same-checkout', version: '1.4.3' });
  });

  it('a device link flap that breaks a service: one incident, the service first, link_down in the evidence', async function () {
    const [incident, ...others] = await incidentsOf('flap');
    expect(others).to.deep.equal([]);
    expect(incident).to.include({ start: iso(at(70)), end: iso(at(72)), peakEntities: 2 });
    expect(incident!.firstBad.entity).to.equal('flap-checkout');
    const detail = await engine.detail(incident!);
    const bad = detail.evidence.find((w) => w.window === iso(at(70)))!.bad;
    expect(bad.find((e) => e.entity === 'flap-edge')).to.deep.include({ rules: ['link_down'] });
    expect(detail.checkpoint.time).to.equal(iso(at(70)));
    expect(detail.suspects).to.deep.equal([]);
  });

  it('a device config change: the checkpoint is before it and it is the first suspect', async function () {
    const [incident] = await incidentsOf('config');
    expect(incident).to.include({ start: iso(at(61)) });
    const detail = await engine.detail(incident!);
    expect(detail.checkpoint.time).to.equal(iso(at(60)));
    expect(detail.suspects[0]).to.include({ kind: 'config_change', entity: 'config-edge', time: iso(at(60, 30)) });
  });

  it('a quiet service at night is not judged: no incident, and its checkpoint is simply now', async function () {
    expect(await incidentsOf('quiet')).to.deep.equal([]);
    const checkpoint = await engine.checkpointNow('quiet', now());
    expect(Date.parse(checkpoint.time!)).to.be.greaterThan(at(80));
    expect(checkpoint.state).to.deep.equal([{ entityKind: 'service', entity: 'quiet-batch', versions: ['1.0.0'] }]);
  });

  it('a gradual latency drift is caught by the baseline rule long before the static threshold', async function () {
    const [incident] = await incidentsOf('drift');
    const start = Date.parse(incident!.start);
    expect(start).to.be.within(at(61), at(64));
    expect(incident!.firstBad.rules).to.include('p95_baseline');
    expect(incident!.firstBad.rules).not.to.include('p95_latency');
    expect(incident!.firstBad.p95Ms).to.be.below(800);
  });

  it('the same drift is caught by the Mann-Whitney latency test, when configured', async function () {
    const statistical = new CheckpointEngine(store, checkpointsConfigSchema.parse({ scopes, rules: [...DEFAULT_RULES.filter((r) => r.kind === 'threshold'), LATENCY_SHIFT_RULE] }));
    // Verdicts are kept per window size; this engine judges 120 s windows, so it does not reuse the others'.
    const judge = statistical.withWindow(120_000);
    const { completeUntilSeconds } = await judge.completeness(now());
    const [incident] = await judge.incidents('drift', T / 1000, completeUntilSeconds, completeUntilSeconds);
    expect(Date.parse(incident!.start)).to.be.within(at(60), at(64));
    expect(incident!.firstBad.rules).to.deep.equal(['latency_shift']);
    expect(incident!.firstBad.p95Ms).to.be.below(800);
  });

  it('two backends judging the same windows at once leave two verdicts a window: the answers stay the same', async function () {
    const before = await incidentsOf('deploy');
    const [first, second] = [new CheckpointEngine(store, config), new CheckpointEngine(store, config)];
    const until = (await engine.completeness(now())).completeUntilSeconds;
    // Both delete the range, then both insert it: what two backends' recompute loops can do.
    await Promise.all([first.ensureHealth(T / 1000, until, true), second.ensureHealth(T / 1000, until, true)]);
    const [verdicts] = await store.query<{ verdicts: string; judged: string }>({
      sql: 'SELECT count() AS verdicts, uniqExact(window, entity_kind, entity) AS judged FROM window_health WHERE window_seconds = 60',
      params: {},
    });
    expect(Number(verdicts!.verdicts)).to.equal(2 * Number(verdicts!.judged));
    expect(await incidentsOf('deploy')).to.deep.equal(before);
    expect((await engine.detail(before[0]!)).evidence).to.deep.equal((await first.detail(before[0]!)).evidence);
  });

  it('recovery closes an incident: resolved, ending with the last bad window', async function () {
    const [incident, ...others] = await incidentsOf('recovery');
    expect(others).to.deep.equal([]);
    expect(incident).to.include({ start: iso(at(40)), end: iso(at(44)), windows: 4, status: 'resolved' });
  });

  it('flapping below stable_windows: three incidents, and none of the short healthy gaps becomes a checkpoint', async function () {
    const incidents = await incidentsOf('flapping');
    expect(incidents.map((i) => i.start)).to.deep.equal([iso(at(52)), iso(at(54)), iso(at(56))]);
    for (const incident of incidents) {
      const detail = await engine.detail(incident);
      expect(detail.checkpoint.time, incident.start).to.equal(iso(at(50)));
      expect(detail.checkpoint.state).to.deep.equal([{ entityKind: 'service', entity: 'flapping-cart', versions: ['7.0.0'] }]);
      expect(detail.suspects[0]).to.include({ entity: 'flapping-cart', version: '7.1.0' });
    }
  });

  it('a host whose filesystem fills after a config change on it: the checkpoint is before the change, the change the first suspect, the story names the metric', async function () {
    const [incident, ...others] = await incidentsOf('disk');
    expect(others).to.deep.equal([]);
    expect(incident).to.include({ start: iso(at(62)), end: iso(at(75)) });
    expect(incident!.firstBad).to.deep.include({ entityKind: 'host', entity: 'db-1', rules: ['filesystem_utilization'] });
    const detail = await engine.detail(incident!);
    expect(detail.checkpoint.time).to.equal(iso(at(60)));
    expect(detail.suspects.map((s) => s.kind)).to.deep.equal(['config_change', 'deploy']);
    expect(detail.suspects[0]).to.include({ entityKind: 'device', entity: 'db-1', time: iso(at(60, 20)), onFirstBad: true });
    expect(explain(detail)).to.include('max(system.filesystem.utilization{mode="rw"}) 0.97');
  });

  it('gives the host a metric lane: the filesystem utilization of each window, beside its health', async function () {
    const lanes = await engine.lanes('disk', at(58) / 1000, at(64) / 1000, at(75) / 1000, 10);
    const host = lanes.find((lane) => lane.entityKind === 'host' && lane.entity === 'db-1');
    const label = 'max(system.filesystem.utilization{mode="rw"})';
    expect(host!.windows.map((w) => [(w.start * 1000 - T) / MINUTE, w.metrics[label]])).to.deep.equal([[58, 0.6], [59, 0.6], [60, 0.6], [61, 0.6], [62, 0.97], [63, 0.97], [64, 0.97]]);
    expect(host!.windows.find((w) => w.start * 1000 === at(62))!.fired).to.deep.equal(['filesystem_utilization']);
  });

  describe('completeness: watermarks of live sources, stale ones named', function () {
    const watermark = async (source: string, watermarkMs: number, lastSeenMs: number) =>
      store.insert('source_watermarks', [{ source, kind: 'agent', watermark: iso(watermarkMs), last_seen: iso(lastSeenMs) }]);

    it('a slow agent holds the decision back: nothing is decided past its watermark; a stale agent is left out and named', async function () {
      const t = now();
      await watermark('fast-agent', t, t);
      await watermark('slow-agent', at(90), t);
      await watermark('gone-agent', at(20), t - 10 * MINUTE);
      const completeness = await engine.completeness(t);
      expect(completeness.completeUntil).to.equal(iso(at(90)));
      expect(completeness.stale).to.deep.equal(['gone-agent']);
      expect(await incidentsOf('late')).to.deep.equal([]);
      const checkpoint = await engine.checkpointNow('late', t);
      expect(checkpoint.time).to.equal(iso(at(90)));
    });

    it('once the slow agent delivers, the incident appears, open, and the checkpoint moves before it', async function () {
      const t = now();
      await watermark('slow-agent', t, t);
      const [incident] = await incidentsOf('late');
      expect(incident).to.include({ start: iso(at(91)), status: 'open' });
      expect((await engine.detail(incident!)).checkpoint.time).to.equal(iso(at(91)));
      expect((await engine.checkpointNow('late', t)).time).to.equal(iso(at(91)));
    });
  });
});
