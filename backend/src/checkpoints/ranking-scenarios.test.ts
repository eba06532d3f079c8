import { ATTR_SERVER_ADDRESS, SEMATTRS_NET_PEER_NAME } from '@opentelemetry/semantic-conventions';
import { ATTR_ROLLPOINT_DEVICE } from '@rollpoint/proto';
import { expect } from 'chai';
import { steadyTraffic, storeDeviceEvent, storeTraffic, type Served } from '../testing/scenario-data.js';
import { useTempStore } from '../testing/temp-store.js';
import type { IncidentDetail } from './api-types.js';
import { checkpointsConfigSchema } from './config.js';
import { CheckpointEngine } from './engine.js';
import { explain } from './explain.js';

// Suspects ranked by evidence, on the embedded ClickHouse: in each scenario a change nearer the
// incident's start than the culprit, on an entity that stayed healthy, must not lead. Spans carry
// parent/child links across services, as instrumented services send them.

const MINUTE = 60_000;
const T = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
const at = (minutes: number, seconds = 0): number => T + minutes * MINUTE + seconds * 1000;
const iso = (ms: number): string => new Date(ms).toISOString();
const served = (service: string, version: string, extra: Partial<Served> = {}): Served => ({ service, version, host: `${service}-host`, errorRate: () => 0.004, latencyMs: () => 20, ...extra });

describe('suspects ranked by evidence (SQL on the embedded ClickHouse)', function () {
  this.timeout(120000);
  const held = useTempStore('ranking');
  let engine: CheckpointEngine;
  const scopes = {
    caller: { services: ['caller-*'], hosts: [], devices: [] },
    latency: { services: ['latency-*'], hosts: [], devices: [] },
    canary: { services: ['canary-*'], hosts: [], devices: [] },
    topology: { services: ['topo-*'], hosts: [], devices: ['topo-sw-*'] },
    relay: { services: ['relay-*'], hosts: [], devices: ['relay-gw-*'] },
    spans: { services: ['span-*'], hosts: [], devices: ['span-lb-*'] },
  };
  const topology = { 'topo-sw-1': ['topo-web-1', 'topo-web-2'], 'topo-sw-2': ['topo-web-3'] };

  before(async function () {
    const { store } = held;
    // span-lb-1's fully qualified name is among its configured names (devices:).
    engine = new CheckpointEngine(store, checkpointsConfigSchema.parse({ scopes, topology }), undefined, { 'span-lb-1': ['span-lb-1.dc1.example.net'] });

    // caller-front deploys 9.1.0 at +60; from +61 its calls into caller-stock fail half the time,
    // which it absorbs (it stays healthy). caller-batch, which nobody calls, deploys at +60:50 and stays healthy.
    await storeTraffic(store, steadyTraffic('caller-front', '9.0.0', at(0), at(60)), served('caller-stock', '3.0.0'));
    await storeTraffic(store, steadyTraffic('caller-front', '9.1.0', at(60), at(61)), served('caller-stock', '3.0.0'));
    await storeTraffic(store, steadyTraffic('caller-front', '9.1.0', at(61), at(70)), served('caller-stock', '3.0.0', { errorRate: () => 0.5 }));
    await storeTraffic(store, steadyTraffic('caller-batch', '1.0.0', at(0), at(60, 50)));
    await storeTraffic(store, steadyTraffic('caller-batch', '1.1.0', at(60, 50), at(70)));

    // latency-store deploys 3.1.0 at +59:30, which turns slow (no errors) from +60; latency-api,
    // which calls it, goes slow with it and is named first. latency-batch deploys at +59:50.
    const store40 = (version: string, slowFrom = Infinity) => served('latency-store', version, { latencyMs: (t) => (t >= slowFrom ? 1200 : 40) });
    await storeTraffic(store, steadyTraffic('latency-api', '2.0.0', at(0), at(59, 30)), store40('3.0.0'));
    await storeTraffic(store, steadyTraffic('latency-api', '2.0.0', at(59, 30), at(70)), store40('3.1.0', at(60)));
    await storeTraffic(store, steadyTraffic('latency-batch', '5.0.0', at(0), at(59, 50)));
    await storeTraffic(store, steadyTraffic('latency-batch', '5.1.0', at(59, 50), at(70)));

    // canary-web on four hosts; at +60 canary-web-4 alone runs 1.1.0, whose requests all fail from
    // +61. canary-batch deploys at +60:50.
    for (const host of ['canary-web-1', 'canary-web-2', 'canary-web-3', 'canary-web-4']) {
      const canary = host === 'canary-web-4';
      await storeTraffic(store, steadyTraffic('canary-web', '1.0.0', at(0), canary ? at(60) : at(70), { host }));
      if (canary) {
        await storeTraffic(store, steadyTraffic('canary-web', '1.1.0', at(60), at(61), { host }));
        await storeTraffic(store, steadyTraffic('canary-web', '1.1.0', at(61), at(70), { host, errorRate: () => 1 }));
      }
    }
    await storeTraffic(store, steadyTraffic('canary-batch', '4.0.0', at(0), at(60, 50)));
    await storeTraffic(store, steadyTraffic('canary-batch', '4.1.0', at(60, 50), at(70)));

    // topo-shop runs on topo-web-1 and -2, behind switch topo-sw-1, and on topo-web-3, behind
    // topo-sw-2. topo-sw-1's config changes at +60:10; from +61 half the requests on the hosts behind
    // it fail. topo-sw-2's config changes at +60:40, topo-batch deploys at +60:50: both nearer.
    for (const host of ['topo-web-1', 'topo-web-2', 'topo-web-3']) {
      const behindSw1 = host !== 'topo-web-3';
      await storeTraffic(store, steadyTraffic('topo-shop', '2.0.0', at(0), at(70), { host, errorRate: (t) => (behindSw1 && t >= at(61) ? 0.5 : 0.004) }));
    }
    await storeDeviceEvent(store, 'topo-sw-1', at(60, 10), '%SYS-5-CONFIG_I: Configured from console by admin on vty0', 'config_change');
    await storeDeviceEvent(store, 'topo-sw-2', at(60, 40), '%SYS-5-CONFIG_I: Configured from console by admin on vty0', 'config_change');
    await storeTraffic(store, steadyTraffic('topo-batch', '1.0.0', at(0), at(60, 50)));
    await storeTraffic(store, steadyTraffic('topo-batch', '1.1.0', at(60, 50), at(70)));

    // No topology configured: relay-web-1's syslog comes from gateway relay-gw-1's address (relayed
    // through it), relay-web-2's from its own. relay-gw-1's config changes at +60:10 and from +61 the
    // requests on relay-web-1 fail; relay-batch deploys at +60:50.
    for (const host of ['relay-web-1', 'relay-web-2']) {
      await storeTraffic(store, steadyTraffic('relay-shop', '2.0.0', at(0), at(70), { host, errorRate: (t) => (host === 'relay-web-1' && t >= at(61) ? 0.5 : 0.004) }));
    }
    const syslog = (sender: string, m: number, body: string, address: string, kind?: 'config_change') => storeDeviceEvent(store, sender, at(m), body, kind, undefined, undefined, address);
    for (let m = 50; m < 70; m += 5) {
      await syslog('relay-web-1', m, 'systemd[1]: Started session', '10.0.0.1');
      await syslog('relay-web-2', m, 'systemd[1]: Started session', '10.0.0.12');
    }
    await syslog('relay-gw-1', 60 + 10 / 60, '%SYS-5-CONFIG_I: Configured from console by admin on vty0', '10.0.0.1', 'config_change');
    await storeTraffic(store, steadyTraffic('relay-batch', '1.0.0', at(0), at(60, 50)));
    await storeTraffic(store, steadyTraffic('relay-batch', '1.1.0', at(60, 50), at(70)));

    // No topology, no relays: span-shop's spans on span-web-1 and -2 were reached through load
    // balancer span-lb-1 (their server.address: its configured fully qualified name on span-web-1,
    // on span-web-2 the address its syslog came from, learned), those on span-web-3 are tagged with
    // span-lb-2 (rollpoint.device). 10.9.0.2, which went by two names (a relay's), names no device.
    // span-lb-1's config changes at +60:10 and from +61 half the requests on the hosts behind it
    // fail; span-lb-2's config changes at +60:40, span-batch deploys at +60:50.
    await store.insert('learned_devices', [
      { address: '10.9.0.1', name: 'span-lb-1' },
      { address: '10.9.0.2', name: 'span-lb-2' },
      { address: '10.9.0.2', name: 'span-relay' },
    ]);
    const spanAttributesOn: Record<string, Record<string, string>> = {
      'span-web-1': { [ATTR_SERVER_ADDRESS]: 'span-lb-1.dc1.example.net' },
      'span-web-2': { [ATTR_SERVER_ADDRESS]: '10.9.0.1' },
      'span-web-3': { [ATTR_ROLLPOINT_DEVICE]: 'span-lb-2', [SEMATTRS_NET_PEER_NAME]: '10.9.0.2' },
    };
    for (const [host, spanAttributes] of Object.entries(spanAttributesOn)) {
      const behindLb1 = host !== 'span-web-3';
      await storeTraffic(store, steadyTraffic('span-shop', '2.0.0', at(0), at(70), { host, spanAttributes, errorRate: (t) => (behindLb1 && t >= at(61) ? 0.5 : 0.004) }));
    }
    await storeDeviceEvent(store, 'span-lb-1', at(60, 10), '%SYS-5-CONFIG_I: Configured from console by admin on vty0', 'config_change');
    await storeDeviceEvent(store, 'span-lb-2', at(60, 40), '%SYS-5-CONFIG_I: Configured from console by admin on vty0', 'config_change');
    await storeTraffic(store, steadyTraffic('span-batch', '1.0.0', at(0), at(60, 50)));
    await storeTraffic(store, steadyTraffic('span-batch', '1.1.0', at(60, 50), at(70)));
  });

  const detailOf = async (scope: string): Promise<IncidentDetail> => {
    const { completeUntilSeconds } = await engine.completeness(Date.now());
    const [incident, ...others] = await engine.incidents(scope, T / 1000, completeUntilSeconds, completeUntilSeconds);
    expect(others).to.deep.equal([]);
    return engine.detail(incident!);
  };

  it('a caller’s deploy breaks its callee: the caller’s deploy leads, with its evidence, over a healthy deploy nearer in time', async function () {
    const detail = await detailOf('caller');
    expect(detail).to.include({ start: iso(at(61)) });
    expect(detail.firstBad.entity).to.equal('caller-stock');
    expect(detail.checkpoint.time).to.equal(iso(at(60)));
    expect(detail.suspects.map((s) => `${s.entity} ${s.version}`)).to.deep.equal(['caller-front 9.1.0', 'caller-batch 1.1.0']);
    const [front, batch] = detail.suspects;
    expect(front!.score).to.be.greaterThan(batch!.score);
    expect(front!.evidenceLines[0]).to.match(/^caller-front calls caller-stock, which went bad first \(\d[\d,]* calls\)$/);
    expect(front!.evidenceLines[1]).to.match(/^of caller-stock's [\d,]+ failing or slow spans in the incident, 100 % ran through caller-front 9\.1\.0; of its spans through it, \d+ % failed or were slow; of its other spans, 0\.\d %$/);
    expect(front!.evidenceLines).to.include('caller-front stayed healthy in its 10 windows after the change');
    const failing = /^of caller-stock's ([\d,]+) failing/.exec(front!.evidenceLines[1]!)?.[1];
    expect(batch!.evidenceLines).to.include.members([
      `none of caller-stock's ${failing} failing or slow spans in the incident ran through caller-batch 1.1.0`,
      'made 10 s before the incident started',
    ]);
    expect(explain(detail)).to.include('\n  1. caller-front 9.0.0 → 9.1.0 at').and.include('\n  2. caller-batch 1.0.0 → 1.1.0 at');
  });

  it('a deploy that only raises latency leads, though the service named first is its caller', async function () {
    const detail = await detailOf('latency');
    expect(detail).to.include({ start: iso(at(60)) });
    expect(detail.firstBad).to.include({ entity: 'latency-api' });
    expect(detail.firstBad.rules.join(' ')).to.match(/p95/);
    expect(detail.suspects.map((s) => `${s.entity} ${s.version}`)).to.deep.equal(['latency-store 3.1.0', 'latency-batch 5.1.0']);
    const [culprit] = detail.suspects;
    expect(culprit!.evidenceLines[0]).to.match(/^latency-api, which went bad first, calls latency-store/);
    expect(culprit!.evidenceLines[1]).to.match(/^of latency-api's [\d,]+ failing or slow spans in the incident, 100 % ran through latency-store 3\.1\.0;/);
  });

  it('a canary on one host of four: the new version leads, named with its host, and the checkpoint holds the version to restore', async function () {
    const detail = await detailOf('canary');
    expect(detail).to.include({ start: iso(at(61)) });
    expect(detail.checkpoint.time).to.equal(iso(at(60)));
    expect(detail.checkpoint.state).to.deep.include({ entityKind: 'service', entity: 'canary-web', versions: ['1.0.0'] });
    expect(detail.suspects.map((s) => `${s.entity} ${s.version}`)).to.deep.equal(['canary-web 1.1.0', 'canary-batch 4.1.0']);
    const [canary] = detail.suspects;
    expect(canary).to.deep.include({ onFirstBad: true, hosts: ['canary-web-4'] });
    expect(canary!.evidenceLines).to.include("1.1.0 ran on 1 of canary-web's 4 hosts (canary-web-4): restore 1.0.0 there");
    // The other hosts' few errors (0.4 %) are the 1 % that did not.
    expect(canary!.evidenceLines[1]).to.match(/^of canary-web's [\d,]+ failing or slow spans in the incident, 99 % ran through canary-web 1\.1\.0; of its spans through it, \d+ % failed or were slow; of its other spans, 0\.\d %$/);
  });

  it('a switch’s config change breaks the services on the hosts behind it (topology): the switch’s change leads', async function () {
    const detail = await detailOf('topology');
    expect(detail).to.include({ start: iso(at(61)) });
    expect(detail.firstBad.entity).to.equal('topo-shop');
    expect(detail.checkpoint.time).to.equal(iso(at(60)));
    expect(detail.suspects[0]).to.include({ kind: 'config_change', entity: 'topo-sw-1', author: 'admin' });
    expect(detail.suspects[0]!.evidenceLines[0]).to.equal('topo-sw-1 is in front of topo-web-1, topo-web-2, where topo-shop runs');
    expect(detail.suspects[0]!.evidenceLines[1]).to.match(/^of topo-shop's [\d,]+ failing or slow spans in the incident, 100 % ran through topo-sw-1 \(or a host behind it\) after the change;/);
    // The other switch is in front of a host of the service too, but the requests through it did not fail.
    expect(detail.suspects.map((s) => s.entity)).to.deep.equal(['topo-sw-1', 'topo-sw-2', 'topo-batch']);
    expect(detail.suspects[1]!.evidenceLines[1]).to.match(/ ran through topo-sw-2 \(or a host behind it\) after the change; of its spans through it, 0\.4 % failed or were slow; of its other spans, \d+ %$/);
    expect(detail.suspects[1]!.score).to.be.below(detail.suspects[0]!.score - 3);
  });

  it('a gateway that relays a host’s syslog sits in front of it (what the data shows): its config change leads', async function () {
    const detail = await detailOf('relay');
    expect(detail).to.include({ start: iso(at(61)) });
    expect(detail.firstBad.entity).to.equal('relay-shop');
    expect(detail.suspects.map((s) => s.entity)).to.deep.equal(['relay-gw-1', 'relay-batch']);
    expect(detail.suspects[0]!.evidenceLines[0]).to.equal('relay-gw-1 is in front of relay-web-1, where relay-shop runs');
    expect(detail.suspects[0]!.evidenceLines[1]).to.match(/^of relay-shop's [\d,]+ failing or slow spans in the incident, 100 % ran through relay-gw-1 \(or a host behind it\) after the change;/);
  });

  it('a device named by the spans’ server.address — by name, configured name or learned address — sits in front of the hosts that served them (what the data shows): its config change leads', async function () {
    const detail = await detailOf('spans');
    expect(detail).to.include({ start: iso(at(61)) });
    expect(detail.firstBad.entity).to.equal('span-shop');
    expect(detail.suspects.map((s) => s.entity)).to.deep.equal(['span-lb-1', 'span-lb-2', 'span-batch']);
    const [lb1, lb2] = detail.suspects;
    expect(lb1!.evidenceLines[0]).to.equal("span-lb-1 is in front of span-web-1, span-web-2, where span-shop runs (named by their spans' server.address)");
    expect(lb1!.evidenceLines[1]).to.match(/^of span-shop's [\d,]+ failing or slow spans in the incident, 100 % ran through span-lb-1 \(or a host behind it\) after the change;/);
    // The other balancer is in front of a host of the service too, but the requests through it did not fail.
    expect(lb2!.evidenceLines[0]).to.equal("span-lb-2 is in front of span-web-3, where span-shop runs (named by its spans' rollpoint.device)");
    expect(lb2!.score).to.be.below(lb1!.score - 3);
  });
});
