import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { TestConfigRepository } from '@rollpoint/backend/testing/config-repository';
import { ATTR_ROLLPOINT_DEVICE } from '@rollpoint/proto';
import { expect } from 'chai';
import { CLI_MAIN } from '../testing/paths.js';
import { startAgentProcess, startBackendProcess, tempFolder, waitUntil, type AgentProcess, type BackendProcess } from '../testing/processes.js';
import { sendTcp } from '../testing/syslog.js';

// Suspects ranked by evidence through the real backend process, from spans the OpenTelemetry SDK
// sends over OTLP/gRPC: each service (and version, and host) its own TracerProvider with its own
// resource, a callee's span a child of its caller's through the SDK's context. In each scenario a
// healthy deploy nearer the incident's start than the culprit must not lead. The switches' configs
// are in a git repository the backend reads, as Oxidized keeps them.

const run = promisify(execFile);
const MINUTE = 60_000;
const T = Math.floor(Date.now() / MINUTE) * MINUTE - 30 * MINUTE;
const at = (minutes: number, seconds = 0): number => T + minutes * MINUTE + seconds * 1000;
const iso = (ms: number): string => new Date(ms).toISOString();
const END = at(25);

interface Suspect {
  kind: string;
  entity: string;
  version: string;
  score: number;
  evidenceLines: string[];
  hosts: string[];
  onFirstBad: boolean;
}
interface Detail {
  start: string;
  firstBad: { entity: string; rules: string[] };
  checkpoint: { time: string; state: Array<{ entity: string; versions: string[]; config?: { revision?: { commit: string } } }> };
  suspects: Suspect[];
}

describe('suspects ranked by evidence, from spans the OpenTelemetry SDK sent', function () {
  this.timeout(180000);
  let backend: BackendProcess;
  let agent: AgentProcess;
  // The switches' configs, as Oxidized keeps them.
  const configs = tempFolder('configs');
  const commits: Record<string, string> = {};
  const providers: TracerProvider[] = [];
  /** A tracer of `service` at `version` on `host`: a TracerProvider of its own, exporting to the backend. */
  const tracerOf = (service: string, version: string, host = `${service}-host`): Tracer => {
    const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${backend.grpcPort}` });
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': service, 'service.version': version, 'host.name': host }),
      spanProcessors: [new BatchSpanProcessor({ exporter, maxQueueSize: 100_000, maxExportBatchSize: 2000, scheduledDelayMillis: 100 })],
    });
    providers.push(provider);
    return provider.getTracer('rollpoint-e2e');
  };

  /** One request at `t` (Unix ms) served by `front`, calling `callee` when given: its span a child of front's. */
  const request = (t: number, front: Tracer, options: { fails?: boolean; callee?: Tracer; calleeFails?: boolean; calleeMs?: number; attributes?: Attributes } = {}) => {
    const calleeMs = options.calleeMs ?? 20;
    const parent = front.startSpan('GET /order', { kind: SpanKind.SERVER, startTime: t, attributes: options.attributes });
    if (options.callee) {
      const child = options.callee.startSpan('GET /stock', { kind: SpanKind.SERVER, startTime: t + 1 }, trace.setSpan(context.active(), parent));
      if (options.calleeFails) child.setStatus({ code: SpanStatusCode.ERROR, message: 'out of stock' });
      child.end(t + 1 + calleeMs);
    }
    if (options.fails) parent.setStatus({ code: SpanStatusCode.ERROR });
    parent.end(t + 10 + (options.callee ? calleeMs : 0));
  };
  /** `perMinute` requests a minute over [from, to), evenly spread; `each(t, n)` sends one. */
  const every = (from: number, to: number, perMinute: number, each: (t: number, n: number) => void) => {
    for (let t = from, n = 0; t < to; t += MINUTE / perMinute, n++) each(t, n);
  };

  before(async function () {
    const repo = await TestConfigRepository.create(configs);
    const config = (vlan: number) => `hostname switch\n!\ninterface Gi0/1\n switchport access vlan ${vlan}\n!\n`;
    commits.sw1 = await repo.commit({ timeMs: at(0), author: 'oxidized', message: 'update e2e-topo-sw-1', files: { 'e2e-topo-sw-1': config(10) } });
    commits.sw2 = await repo.commit({ timeMs: at(0, 10), author: 'oxidized', message: 'update e2e-topo-sw-2', files: { 'e2e-topo-sw-2': config(20) } });
    // Fetched 10 s after each switch's syslog told of its change: one change each.
    commits.sw1Broken = await repo.commit({ timeMs: at(15, 20), author: 'oxidized', message: 'update e2e-topo-sw-1', files: { 'e2e-topo-sw-1': config(99) } });
    await repo.commit({ timeMs: at(15, 50), author: 'oxidized', message: 'update e2e-topo-sw-2', files: { 'e2e-topo-sw-2': config(21) } });
    backend = await startBackendProcess({
      extra: {
        checkpoints: {
          scopes: {
            caller: { services: ['e2e-caller-*'], hosts: [], devices: [] },
            latency: { services: ['e2e-latency-*'], hosts: [], devices: [] },
            canary: { services: ['e2e-canary-*'], hosts: [], devices: [] },
            topology: { services: ['e2e-topo-*'], hosts: [], devices: ['e2e-topo-sw-*'] },
          },
          topology: { 'e2e-topo-sw-1': ['e2e-topo-web-1'], 'e2e-topo-sw-2': ['e2e-topo-web-3'] },
        },
        config_repository: { path: configs, poll_interval: '1s' },
      },
    });
    // The switches' syslog comes through an agent.
    agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort, syslog: {}, exporter: { heartbeat_interval: '1s' } });

    // e2e-caller-front deploys 9.1.0 at +15; from +16 to +20 half its calls into e2e-caller-stock
    // fail, which it absorbs. e2e-caller-batch, which nobody calls, deploys at +15:50 and stays healthy.
    const stock = tracerOf('e2e-caller-stock', '3.0.0');
    const [front9, front91] = [tracerOf('e2e-caller-front', '9.0.0'), tracerOf('e2e-caller-front', '9.1.0')];
    every(at(0), END, 60, (t, n) => request(t, t < at(15) ? front9 : front91, { callee: stock, calleeFails: t >= at(16) && t < at(20) && n % 2 === 0 }));
    const [batch1, batch11] = [tracerOf('e2e-caller-batch', '1.0.0'), tracerOf('e2e-caller-batch', '1.1.0')];
    every(at(0), END, 60, (t) => request(t, t < at(15, 50) ? batch1 : batch11));

    // e2e-latency-store deploys 3.1.0 at +14:30, slow (no errors) from +15 to +20; e2e-latency-api,
    // its caller, is slow with it and named first. e2e-latency-batch deploys at +14:50.
    const api = tracerOf('e2e-latency-api', '2.0.0');
    const [store30, store31] = [tracerOf('e2e-latency-store', '3.0.0'), tracerOf('e2e-latency-store', '3.1.0')];
    every(at(0), END, 60, (t) => request(t, api, { callee: t < at(14, 30) ? store30 : store31, calleeMs: t >= at(15) && t < at(20) ? 1200 : 40 }));
    const [lbatch50, lbatch51] = [tracerOf('e2e-latency-batch', '5.0.0'), tracerOf('e2e-latency-batch', '5.1.0')];
    every(at(0), END, 60, (t) => request(t, t < at(14, 50) ? lbatch50 : lbatch51));

    // e2e-canary-web on four hosts; at +15 e2e-canary-web-4 alone runs 1.1.0, whose requests all
    // fail from +16 to +20. e2e-canary-batch deploys at +15:50.
    for (const host of [1, 2, 3, 4].map((i) => `e2e-canary-web-${i}`)) {
      const [web10, web11] = [tracerOf('e2e-canary-web', '1.0.0', host), tracerOf('e2e-canary-web', '1.1.0', host)];
      const canary = host.endsWith('-4');
      every(at(0), END, 30, (t) => request(t, canary && t >= at(15) ? web11 : web10, { fails: canary && t >= at(16) && t < at(20) }));
    }
    const [cbatch40, cbatch41] = [tracerOf('e2e-canary-batch', '4.0.0'), tracerOf('e2e-canary-batch', '4.1.0')];
    every(at(0), END, 60, (t) => request(t, t < at(15, 50) ? cbatch40 : cbatch41));

    // e2e-topo-shop on three hosts: -1 and -2 behind switch e2e-topo-sw-1 (-1 configured, -2's spans
    // tagged with it), -3 behind e2e-topo-sw-2.
    // e2e-topo-sw-1's config changes at +15:10 and the requests on the hosts behind it fail half the
    // time from +16 to +20; e2e-topo-sw-2's config changes at +15:40, e2e-topo-batch deploys at +15:50.
    for (const host of [1, 2, 3].map((i) => `e2e-topo-web-${i}`)) {
      const shop = tracerOf('e2e-topo-shop', '2.0.0', host);
      const behindSw1 = !host.endsWith('-3');
      const attributes = host.endsWith('-2') ? { [ATTR_ROLLPOINT_DEVICE]: 'e2e-topo-sw-1' } : undefined;
      every(at(0), END, 30, (t, n) => request(t, shop, { attributes, fails: behindSw1 && t >= at(16) && t < at(20) && n % 2 === 0 }));
    }
    const [tbatch10, tbatch11] = [tracerOf('e2e-topo-batch', '1.0.0'), tracerOf('e2e-topo-batch', '1.1.0')];
    every(at(0), END, 60, (t) => request(t, t < at(15, 50) ? tbatch10 : tbatch11));
    for (const [device, time] of [['e2e-topo-sw-1', at(15, 10)], ['e2e-topo-sw-2', at(15, 40)]] as const) {
      await sendTcp(agent.syslog!.tcp, `<189>1 ${iso(time)} ${device} - - - - %SYS-5-CONFIG_I: Configured from console by admin on vty0\n`);
    }

    await Promise.all(providers.map((p) => p.forceFlush()));
    await waitUntil(async () => Number((await backend.sql("SELECT count() AS n FROM change_events WHERE entity LIKE 'e2e-topo-sw-%'"))[0]!.n) === 2, 'the syslog config changes to be stored');
    await waitUntil(async () => Number((await backend.sql("SELECT count() AS n FROM config_commits WHERE device LIKE 'e2e-topo-sw-%'"))[0]!.n) === 4, 'the config revisions to be read');
    const expected = 25 * (60 * 2 + 60 + 60 * 2 + 60 + 4 * 30 + 60 + 3 * 30 + 60);
    await waitUntil(async () => Number((await backend.sql("SELECT count() AS n FROM otel_traces WHERE ServiceName LIKE 'e2e-%'"))[0]!.n) >= expected, 'the spans to be stored', 60000);
  });

  after(async function () {
    await Promise.all(providers.map((p) => p.shutdown()));
    await agent?.stop();
    await backend?.stop();
    rmSync(configs, { recursive: true, force: true });
  });

  const detailOf = async (scope: string): Promise<Detail> => {
    const answer = await fetch(`${backend.url}/api/v1/incidents?scope=${scope}&from=${encodeURIComponent(iso(T))}`);
    const { incidents } = (await answer.json()) as { incidents: Array<{ id: string }> };
    expect(incidents, scope).to.have.length(1);
    return (await (await fetch(`${backend.url}/api/v1/incidents/${encodeURIComponent(incidents[0]!.id)}`)).json()) as Detail;
  };

  it('a caller’s deploy breaks its callee: the caller’s deploy is the first suspect, with its evidence, in the API and in explain', async function () {
    const detail = await detailOf('caller');
    expect(detail.start).to.equal(iso(at(16)));
    expect(detail.firstBad.entity).to.equal('e2e-caller-stock');
    expect(detail.checkpoint.time).to.equal(iso(at(15)));
    expect(detail.suspects.map((s) => `${s.entity} ${s.version}`)).to.deep.equal(['e2e-caller-front 9.1.0', 'e2e-caller-batch 1.1.0']);
    const [front, batch] = detail.suspects;
    expect(front!.score).to.be.greaterThan(batch!.score);
    expect(front!.evidenceLines).to.include('e2e-caller-front calls e2e-caller-stock, which went bad first (480 calls)');
    expect(front!.evidenceLines).to.include(
      "of e2e-caller-stock's 120 failing or slow spans in the incident, 100 % ran through e2e-caller-front 9.1.0; of its spans through it, 40 % failed or were slow; of its other spans, 0.0 %",
    );
    expect(batch!.evidenceLines).to.include('e2e-caller-batch stayed healthy in its 5 windows after the change');
    const story = (await run(process.execPath, [CLI_MAIN, '--url', backend.url, 'explain', '--scope', 'caller'])).stdout;
    expect(story).to.include(`\n  1. e2e-caller-front 9.0.0 → 9.1.0 at ${iso(at(15)).slice(11, 19)} — score ${front!.score}: e2e-caller-front calls e2e-caller-stock`);
  });

  it('a deploy that only raises latency is the first suspect, though its caller went bad first', async function () {
    const detail = await detailOf('latency');
    expect(detail.start).to.equal(iso(at(15)));
    expect(detail.firstBad.entity).to.equal('e2e-latency-api');
    expect(detail.suspects.map((s) => `${s.entity} ${s.version}`)).to.deep.equal(['e2e-latency-store 3.1.0', 'e2e-latency-batch 5.1.0']);
    expect(detail.suspects[0]!.evidenceLines).to.include("of e2e-latency-api's 300 failing or slow spans in the incident, 100 % ran through e2e-latency-store 3.1.0; of its spans through it, 91 % failed or were slow; of its other spans, 0.0 %");
  });

  it('a canary on one host of four: the new version is the first suspect, and the version to restore on that host is named', async function () {
    const detail = await detailOf('canary');
    expect(detail.start).to.equal(iso(at(16)));
    expect(detail.checkpoint.time).to.equal(iso(at(15)));
    expect(detail.checkpoint.state).to.deep.include({ entityKind: 'service', entity: 'e2e-canary-web', versions: ['1.0.0'] });
    expect(detail.suspects.map((s) => `${s.entity} ${s.version}`)).to.deep.equal(['e2e-canary-web 1.1.0', 'e2e-canary-batch 4.1.0']);
    expect(detail.suspects[0]).to.deep.include({ onFirstBad: true, hosts: ['e2e-canary-web-4'] });
    expect(detail.suspects[0]!.evidenceLines).to.include("1.1.0 ran on 1 of e2e-canary-web's 4 hosts (e2e-canary-web-4): restore 1.0.0 there");
  });

  it('a switch’s config change breaks the services on the hosts behind it (topology from the configuration and a span attribute): the switch’s change is the first suspect, the checkpoint names its revision to restore', async function () {
    const detail = await detailOf('topology');
    expect(detail.start).to.equal(iso(at(16)));
    expect(detail.firstBad.entity).to.equal('e2e-topo-shop');
    expect(detail.checkpoint.time).to.equal(iso(at(15)));
    // Each switch's syslog change and the commit fetched after it are one change.
    expect(detail.suspects.map((s) => `${s.kind} ${s.entity}`)).to.deep.equal(['config_commit e2e-topo-sw-1', 'config_commit e2e-topo-sw-2', 'deploy e2e-topo-batch']);
    expect(detail.suspects[0]).to.include({ version: commits.sw1Broken });
    // The checkpoint names the revision to restore, from the repository.
    expect(detail.checkpoint.state.find((s) => s.entity === 'e2e-topo-sw-1')?.config?.revision?.commit).to.equal(commits.sw1);
    expect(detail.suspects[0]!.evidenceLines.slice(0, 2)).to.deep.equal([
      "e2e-topo-sw-1 is in front of e2e-topo-web-1, e2e-topo-web-2, where e2e-topo-shop runs (e2e-topo-web-2 named by its spans' rollpoint.device)",
      "of e2e-topo-shop's 120 failing or slow spans in the incident, 100 % ran through e2e-topo-sw-1 (or a host behind it) after the change; of its spans through it, 41 % failed or were slow; of its other spans, 0.0 %",
    ]);
  });
});
