import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { status } from '@grpc/grpc-js';
import { traces } from '@rollpoint/proto';
import { trafficRequest } from '@rollpoint/backend/testing/scenario-data';
import { expect } from 'chai';
import { rawExport } from '../testing/grpc.js';
import { CLI_MAIN } from '../testing/paths.js';
import { startAgentProcess, startBackendProcess, waitUntil, type AgentProcess, type BackendProcess } from '../testing/processes.js';
import { sendTcp } from '../testing/syslog.js';

// The checkpoint engine through the real processes: telemetry of the last half hour sent through
// the agent (spans over OTLP/gRPC, the router's syslog over TCP), a marker posted to the API, then
// what the API and the CLI say.

const run = promisify(execFile);
const MINUTE = 60_000;
const T = Math.floor(Date.now() / MINUTE) * MINUTE - 30 * MINUTE;
const at = (minutes: number, seconds = 0): number => T + minutes * MINUTE + seconds * 1000;
const iso = (ms: number): string => new Date(ms).toISOString();

describe('checkpoints through the API and the CLI', function () {
  this.timeout(120000);
  let backend: BackendProcess;
  let agent: AgentProcess;
  const cli = async (...args: string[]) => (await run(process.execPath, [CLI_MAIN, '--url', backend.url, ...args])).stdout;

  before(async function () {
    backend = await startBackendProcess({ extra: { checkpoints: { scopes: { shop: { services: ['shop-*'], hosts: [], devices: ['shop-edge'] } } } } });
    agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort, syslog: {}, exporter: { heartbeat_interval: '1s' } });
    const traffic = { host: 'shop-web-1', spansPerMinute: 60, latencyMs: () => 30 };
    const sends = [
      trafficRequest({ ...traffic, service: 'shop-cart', version: '2.0.0', from: at(0), to: at(20, 5), errorRate: () => 0.005 }),
      trafficRequest({ ...traffic, service: 'shop-cart', version: '2.1.0', from: at(20, 5), to: at(21), errorRate: () => 0.005 }),
      trafficRequest({ ...traffic, service: 'shop-cart', version: '2.1.0', from: at(21), to: at(25), errorRate: () => 0.4 }),
      trafficRequest({ ...traffic, service: 'shop-cart', version: '2.1.0', from: at(25), to: at(29), errorRate: () => 0.005 }),
    ];
    for (const request of sends) expect((await rawExport(agent.grpcPort, traces.grpcMethod, traces.encode(request))).code).to.equal(status.OK);
    await sendTcp(agent.syslog!.tcp, `<189>1 ${iso(at(20, 30))} shop-edge - - - - %SYS-5-CONFIG_I: Configured from console by admin on vty0\n`);
    const marker = await fetch(`${backend.url}/api/v1/changes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ time: iso(at(20, 45)), entity_kind: 'service', entity: 'shop-cart', title: 'feature flag new-basket on', author: 'ana' }),
    });
    expect(marker.status).to.equal(201);
    await waitUntil(async () => Number((await backend.sql("SELECT count() AS n FROM otel_traces WHERE ServiceName = 'shop-cart'"))[0]!.n) >= 29 * 60 - 1, 'the spans to be stored');
    await waitUntil(async () => Number((await backend.sql("SELECT count() AS n FROM changes WHERE entity = 'shop-edge'"))[0]!.n) === 1, 'the config change to be stored');
  });

  after(async function () {
    await agent?.stop();
    await backend?.stop();
  });

  it('lists the incident, with its start, end and the entity that went bad first', async function () {
    const answer = JSON.parse(await cli('--json', 'incidents', '--scope', 'shop', '--since', iso(T))) as { incidents: Array<Record<string, unknown>>; completeness: { sources: Array<{ source: string }> } };
    expect(answer.incidents).to.have.length(1);
    expect(answer.incidents[0]).to.include({ id: `shop:${at(21) / 1000}`, start: iso(at(21)), end: iso(at(25)), status: 'resolved' });
    expect(answer.incidents[0]!.firstBad).to.include({ entity: 'shop-cart' });
    expect(answer.completeness.sources.map((s) => s.source)).to.include('agent-under-test');
    expect(await cli('incidents', '--scope', 'shop', '--since', iso(T))).to.match(/shop:\d+ .*resolved.*service shop-cart.*span_error_ratio/);
  });

  it('judges over another window on request: the same incident in 5-minute windows', async function () {
    const answer = await fetch(`${backend.url}/api/v1/incidents?scope=shop&window=5m&from=${encodeURIComponent(iso(T))}`);
    const { incidents } = (await answer.json()) as { incidents: Array<Record<string, unknown>> };
    // 5-minute windows are aligned to the clock: the failing minutes +21…+25 fall in one or two of them.
    const FIVE = 5 * MINUTE;
    expect(incidents.map((i) => [i.start, i.end])).to.deep.equal([[iso(Math.floor(at(21) / FIVE) * FIVE), iso(Math.ceil(at(25) / FIVE) * FIVE)]]);
    expect((await fetch(`${backend.url}/api/v1/incidents?scope=shop&window=7s`)).status).to.equal(400);
  });

  it('explains it: what went bad, the checkpoint with its versions, the suspects ranked', async function () {
    const story = await cli('explain', `shop:${at(21) / 1000}`);
    expect(story).to.include(`shop-cart went unhealthy at ${iso(at(21)).slice(11, 19)} (span error ratio 40 %`);
    expect(story).to.include(`Last checkpoint ${iso(at(20)).slice(11, 19)}: shop-cart 2.0.0`);
    // Changes on the entity that went bad first, nearest first; then the others.
    expect(story).to.include(`Suspects since then: feature flag new-basket on (shop-cart) at ${iso(at(20, 45)).slice(11, 19)} by ana; shop-cart 2.0.0 → 2.1.0 at ${iso(at(20, 5)).slice(11, 19)}; shop-edge config change at ${iso(at(20, 30)).slice(11, 19)} by admin.`);
    // Then each suspect's score and evidence: the deploy's failing requests all ran through 2.1.0.
    expect(story).to.match(/\n {2}2\. shop-cart 2\.0\.0 → 2\.1\.0 at [\d:]+ — score [\d.]+: on shop-cart, which went bad first; of shop-cart's [\d,]+ failing or slow spans in the incident, 100 % ran through shop-cart 2\.1\.0;/);
    // Without an id: the scope's latest incident, the only one here.
    expect(await cli('explain', '--scope', 'shop')).to.equal(story);
  });

  it('gives the checkpoint at a moment and as of now, and lists the changes', async function () {
    const before = JSON.parse(await cli('--json', 'checkpoint', '--scope', 'shop', '--at', iso(at(22)))) as { time: string; state: unknown[] };
    expect(before.time).to.equal(iso(at(20)));
    expect(before.state).to.deep.include({ entityKind: 'service', entity: 'shop-cart', versions: ['2.0.0'] });
    const now = JSON.parse(await cli('--json', 'checkpoint', '--scope', 'shop')) as { time: string; state: Array<{ entity: string; versions: string[] }> };
    expect(Date.parse(now.time)).to.be.at.least(at(28));
    expect(now.state.find((s) => s.entity === 'shop-cart')!.versions).to.deep.equal(['2.1.0']);
    const changes = await cli('changes', '--scope', 'shop', '--since', iso(T));
    expect(changes).to.match(/marker\W+service shop-cart\W+feature flag new-basket on\W+ana/).and.match(/config_change\W+device shop-edge/).and.match(/deploy\W+service shop-cart\W+shop-cart 2\.0\.0 → 2\.1\.0/);
  });

  it('stores incidents and checkpoints for analysts on a recompute, and refuses bad requests clearly', async function () {
    const recompute = await fetch(`${backend.url}/api/v1/recompute`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: iso(T), to: iso(Date.now()) }) });
    expect(recompute.status).to.equal(200);
    const rows = await backend.sql("SELECT id, first_entity, checkpoint, suspects[1] AS first_suspect FROM incidents FINAL WHERE scope = 'shop'");
    expect(rows).to.deep.equal([{ id: `shop:${at(21) / 1000}`, first_entity: 'shop-cart', checkpoint: iso(at(20)).replace('T', ' ').slice(0, 19), first_suspect: 'feature flag new-basket on' }]);
    expect((await backend.sql("SELECT count() AS n FROM checkpoints FINAL WHERE scope = 'shop'"))[0]!.n).to.equal('2');

    expect((await fetch(`${backend.url}/api/v1/incidents?scope=nope`)).status).to.equal(404);
    const bad = await fetch(`${backend.url}/api/v1/changes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ entity_kind: 'planet', entity: 'x' }) });
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { message: string }).message).to.match(/entity_kind/).and.match(/title/);
  });
});

describe('late data: windows already judged are judged again', function () {
  this.timeout(120000);

  it('a backlog of failing spans for windows judged healthy opens the incident it shows', async function () {
    // 10 s windows: late data is judged again at most once a window, and the loop may already have
    // judged the first send late (if it ran before that was stored).
    const backend = await startBackendProcess({ extra: { checkpoints: { window: '10s', recompute_interval: '200ms' } } });
    try {
      const traffic = { host: 'late-web-1', spansPerMinute: 240, latencyMs: () => 30, service: 'late-cart', version: '1.0.0' };
      const send = async (from: number, to: number, errorRate: number) => {
        const request = trafficRequest({ ...traffic, from, to, errorRate: () => errorRate });
        expect((await rawExport(backend.grpcPort, traces.grpcMethod, traces.encode(request))).code).to.equal(status.OK);
      };
      await send(at(0), Date.now(), 0.005);
      // The loop has judged the half hour (healthy): the scope has a checkpoint and no incident.
      await waitUntil(async () => (await backend.metrics()).includes('rollpoint_backend_checkpoint_age_seconds{scope="default"}'), 'a first recompute', 30000, backend);
      const incidents = async () => ((await (await fetch(`${backend.url}/api/v1/incidents?from=${iso(T)}`)).json()) as { incidents: Array<{ start: string }> }).incidents;
      expect(await incidents()).to.deep.equal([]);
      // Nothing to explain is an answer, not a failure.
      expect((await run(process.execPath, [CLI_MAIN, '--url', backend.url, 'explain'])).stdout).to.match(/^no incident in scope default lately/);

      // What another sender held back arrives now: the minutes 10 to 14 were failing.
      await send(at(10), at(14), 0.5);
      await waitUntil(async () => (await incidents()).some((incident) => incident.start === iso(at(10))), 'the late windows to be judged again', 30000, backend);
      const [incident] = await incidents();
      expect(incident).to.include({ start: iso(at(10)), end: iso(at(14)), status: 'resolved' });
    } finally {
      await backend.stop();
    }
  });
});
