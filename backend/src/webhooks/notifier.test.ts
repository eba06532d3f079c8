import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import { checkpointsConfigSchema } from '../checkpoints/config.js';
import { CheckpointEngine } from '../checkpoints/engine.js';
import { Recomputer } from '../checkpoints/recompute.js';
import { storeTraffic } from '../testing/scenario-data.js';
import { migrate } from '../schema/migrations.js';
import { ChdbStore } from '../store/chdb.js';
import { createBackendMetrics } from '../telemetry/metrics.js';
import type { AlertmanagerMessage } from './alertmanager.js';
import { webhooksConfigSchema } from './config.js';
import { WebhookNotifier } from './notifier.js';

// Webhooks against real HTTP receivers on loopback, fed by the real recompute over the embedded
// ClickHouse. The recompute is driven with explicit clocks: first while the incident is open, then
// after it resolved.

const MINUTE = 60_000;
const T = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
const at = (minutes: number, seconds = 0): number => T + minutes * MINUTE + seconds * 1000;
const iso = (ms: number): string => new Date(ms).toISOString();
const SECRET = 'a-secret-of-sixteen-or-more';

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  body: AlertmanagerMessage;
  answered: number;
}

/** An HTTP receiver on 127.0.0.1 answering each POST with what `answer` says. */
async function receiver(answer: (body: AlertmanagerMessage, seen: readonly Received[]) => number): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString();
      const body = JSON.parse(raw) as AlertmanagerMessage;
      const code = answer(body, received);
      received.push({ headers: request.headers, raw, body, answered: code });
      response.writeHead(code).end(code < 300 ? 'ok' : 'try again');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, received };
}

describe('webhooks (Alertmanager format, real receivers on loopback)', function () {
  this.timeout(60000);
  const path = mkdtempSync(join(tmpdir(), 'rollpoint-webhooks-'));
  const logger = pino({ level: 'silent' });
  const config = checkpointsConfigSchema.parse({ scopes: { shop: { services: ['shop-*'], hosts: [], devices: [] } }, recompute_range: '1h' });
  let store: ChdbStore;
  let engine: CheckpointEngine;
  let flaky: Awaited<ReturnType<typeof receiver>>;
  let refusing: Awaited<ReturnType<typeof receiver>>;
  let metrics: ReturnType<typeof createBackendMetrics>;

  const webhooks = () =>
    webhooksConfigSchema.parse([
      { name: 'flaky', url: flaky.url, secret: SECRET, scopes: ['shop'], retry_on_failure: { initial_interval: '10ms', max_interval: '50ms' } },
      { name: 'refusing', url: refusing.url, scopes: ['shop'], retry_on_failure: { initial_interval: '10ms', max_attempts: 3 } },
    ]);
  /** A backend's notifier and recompute, as startBackend wires them. */
  const start = async () => {
    const notifier = new WebhookNotifier({ webhooks: webhooks(), store, metrics, logger, externalUrl: 'http://rollpoint.example:14318' });
    await notifier.start();
    const recomputer = new Recomputer(engine, store, { intervalMs: 60000, rangeMs: config.recompute_range, logger, notify: (incidents) => notifier.notify(incidents) });
    return { notifier, recomputer };
  };
  const delivered = () => flaky.received.filter((r) => r.answered === 200);

  before(async function () {
    store = new ChdbStore({ path, readOnlyMaxRows: 100, readOnlyTimeoutMs: 10000 });
    await migrate(store, { ttlDays: 30 });
    engine = new CheckpointEngine(store, config);
    metrics = createBackendMetrics({ staleAfterMs: 300000 });
    // The first POST of the checkpoint notification fails with a 500; everything else is taken.
    flaky = await receiver((body, seen) => (body.commonAnnotations.event === 'checkpoint' && !seen.some((r) => r.body.commonAnnotations.event === 'checkpoint') ? 500 : 200));
    refusing = await receiver(() => 400);
    const steady = { service: 'shop-cart', host: 'shop-web-1', spansPerMinute: 120, latencyMs: () => 40 };
    await storeTraffic(store, { ...steady, version: '1.0.0', from: at(0), to: at(30, 5), errorRate: () => 0.004 });
    await storeTraffic(store, { ...steady, version: '1.1.0', from: at(30, 5), to: at(31), errorRate: () => 0.004 });
    await storeTraffic(store, { ...steady, version: '1.1.0', from: at(31), to: at(35), errorRate: () => 0.3 });
    await storeTraffic(store, { ...steady, version: '1.1.0', from: at(35), to: at(45), errorRate: () => 0.004 });
  });

  after(async function () {
    flaky?.server.close();
    refusing?.server.close();
    await store?.close();
    rmSync(path, { recursive: true, force: true });
  });

  it('sends opened, then checkpoint (retried after a 500), then resolved, signed, in Alertmanager’s format', async function () {
    const { notifier, recomputer } = await start();
    // With no source known, everything up to the clock given is complete: at +33:30 the incident is open.
    await recomputer.tick(at(33, 30));
    await notifier.idle();
    await recomputer.tick(at(40));
    await notifier.idle();
    await notifier.stop();

    expect(flaky.received.map((r) => [r.body.commonAnnotations.event, r.answered])).to.deep.equal([
      ['opened', 200],
      ['checkpoint', 500],
      ['checkpoint', 200],
      ['resolved', 200],
    ]);
    // The retry is the same delivery: same id, same body.
    expect(flaky.received[2]!.headers['x-rollpoint-delivery']).to.equal(flaky.received[1]!.headers['x-rollpoint-delivery']);
    expect(flaky.received[2]!.raw).to.equal(flaky.received[1]!.raw);
    for (const r of flaky.received) {
      const expected = createHmac('sha256', SECRET).update(`${r.headers['x-rollpoint-timestamp']}.${r.raw}`).digest('hex');
      expect(r.headers['x-rollpoint-signature']).to.equal(`sha256=${expected}`);
    }
    const id = `shop:${at(31) / 1000}`;
    const [opened, , checkpoint, resolved] = flaky.received.map((r) => r.body);
    expect(opened).to.deep.include({ version: '4', status: 'firing', receiver: 'flaky', groupKey: `{}:{incident_id="${id}",scope="shop"}`, externalURL: 'http://rollpoint.example:14318', truncatedAlerts: 0 });
    expect(opened!.alerts).to.have.length(1);
    expect(opened!.alerts[0]).to.deep.include({ status: 'firing', startsAt: iso(at(31)), endsAt: '0001-01-01T00:00:00Z' });
    expect(opened!.alerts[0]!.labels).to.deep.equal({ alertname: 'RollpointIncident', scope: 'shop', incident_id: id, entity: 'shop-cart', entity_kind: 'service' });
    expect(opened!.alerts[0]!.generatorURL).to.equal(`http://rollpoint.example:14318/?scope=shop&incident=${encodeURIComponent(id)}`);
    expect(opened!.alerts[0]!.fingerprint).to.match(/^[0-9a-f]{16}$/);
    expect(opened!.commonAnnotations.summary).to.include('shop-cart unhealthy since').and.include('span error ratio');
    expect(opened!.commonAnnotations).not.to.have.property('checkpoint');
    expect(checkpoint!.commonAnnotations).to.include({ event: 'checkpoint', checkpoint: iso(at(30)), restore: 'shop-cart 1.0.0' });
    expect(checkpoint!.commonAnnotations.suspects).to.include('shop-cart 1.0.0 → 1.1.0');
    // With its score and evidence.
    expect(checkpoint!.commonAnnotations.suspects).to.match(/shop-cart 1\.0\.0 → 1\.1\.0 at [\d:]+ — score [\d.]+: on shop-cart, which went bad first; /);
    expect(checkpoint!.commonAnnotations.story).to.include('still open');
    expect(resolved).to.deep.include({ status: 'resolved' });
    expect(resolved!.alerts[0]).to.deep.include({ status: 'resolved', endsAt: iso(at(35)), fingerprint: opened!.alerts[0]!.fingerprint });
    expect(resolved!.commonAnnotations.story).to.include(`resolved at ${iso(at(35)).slice(11, 19)}`);
  });

  it('sends nothing twice once delivered: not on later runs, not after a restart', async function () {
    const before = flaky.received.length;
    const { notifier, recomputer } = await start();
    await recomputer.tick(at(41));
    await recomputer.recompute(at(0) / 1000, at(44) / 1000, at(44));
    await notifier.idle();
    await notifier.stop();
    expect(flaky.received.length).to.equal(before);
    expect(delivered().map((r) => r.body.commonAnnotations.event)).to.deep.equal(['opened', 'checkpoint', 'resolved']);
  });

  it('a second backend on the same store, started before those deliveries, does not send them again', async function () {
    const before = flaky.received.length;
    // Not started: its memory of deliveries is as empty as that of a backend started earlier.
    const other = new WebhookNotifier({ webhooks: webhooks().slice(0, 1), store, metrics, logger, externalUrl: 'http://rollpoint.example:14318' });
    // Its recompute sees the incident open (its clock at +33:30): opened and checkpoint are due.
    await new Recomputer(engine, store, { intervalMs: 60000, rangeMs: config.recompute_range, logger, notify: (incidents) => other.notify(incidents) }).recompute(at(0) / 1000, at(33, 30) / 1000, at(33, 30));
    await other.idle();
    await other.stop();
    expect(flaky.received.length).to.equal(before);
  });

  it('counts and shows failures: a receiver answering 400 is not retried, one failure per notification', async function () {
    // 400 is final: each of the three notifications was POSTed once.
    expect(refusing.received.map((r) => r.body.commonAnnotations.event)).to.deep.equal(['opened', 'checkpoint', 'resolved']);
    const { notifier } = await start();
    const [flakyStatus, refusingStatus] = await notifier.status();
    expect(flakyStatus).to.deep.include({ name: 'flaky', delivered: 3, failed: 0, pending: 0 });
    expect(refusingStatus).to.deep.include({ name: 'refusing', delivered: 0, failed: 3 });
    expect(refusingStatus!.recentFailures[0]).to.deep.include({ event: 'resolved', attempts: 1, httpStatus: 400 });
    expect(refusingStatus!.recentFailures[0]!.error).to.include('HTTP 400');
    const counted = (await metrics.webhookDeliveries.get()).values.map((v) => [v.labels.webhook, v.labels.event, v.labels.outcome, v.value]);
    expect(counted).to.have.deep.members([
      ['flaky', 'opened', 'delivered', 1],
      ['flaky', 'checkpoint', 'delivered', 1],
      ['flaky', 'resolved', 'delivered', 1],
      ['refusing', 'opened', 'failed', 1],
      ['refusing', 'checkpoint', 'failed', 1],
      ['refusing', 'resolved', 'failed', 1],
    ]);
    const attempts = (await metrics.webhookAttemptFailures.get()).values.map((v) => [v.labels.webhook, v.value]);
    expect(attempts).to.have.deep.members([
      ['flaky', 1],
      ['refusing', 3],
    ]);
  });
});
