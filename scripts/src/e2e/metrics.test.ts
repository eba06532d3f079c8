import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { promisify } from 'node:util';
import { status } from '@grpc/grpc-js';
import { traces } from '@rollpoint/proto';
import { trafficRequest } from '@rollpoint/backend/testing/scenario-data';
import { expect } from 'chai';
import parsePrometheusTextFormat, { type MetricFamily, type Sample } from 'parse-prometheus-text-format';
import { rawExport } from '../testing/grpc.js';
import { SCENARIO_SCOPES, sendIncidentScenario, type IncidentScenario } from '../testing/incident-scenario.js';
import { CLI_MAIN } from '../testing/paths.js';
import { freePort } from '../testing/ports.js';
import { startBackendProcess, waitUntil, type BackendProcess } from '../testing/processes.js';

// /metrics of a backend holding a known scenario, read with a Prometheus text-format parser: every
// value is checked against what was sent and what the checkpoint engine found. A webhook whose
// receiver is down (503) shows how failed deliveries are counted and listed.

const run = promisify(execFile);

describe('/metrics in the Prometheus text format', function () {
  this.timeout(120000);
  let backend: BackendProcess;
  let scenario: IncidentScenario;
  let families: MetricFamily[];
  let sentAt: number;
  let down: Server;

  const sample = (name: string, labels: Record<string, string> = {}): Sample | undefined =>
    families.find((f) => f.name === name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  const value = (name: string, labels: Record<string, string> = {}): number => Number(sample(name, labels)?.value);

  before(async function () {
    const port = await freePort();
    down = createServer((_request, response) => response.writeHead(503).end('down for maintenance'));
    await new Promise<void>((resolve) => down.listen(port, '127.0.0.1', resolve));
    const webhooks = [{ name: 'pager', url: `http://127.0.0.1:${port}/`, scopes: ['late'], retry_on_failure: { initial_interval: '10ms', max_attempts: 2 } }];
    backend = await startBackendProcess({ extra: { checkpoints: { scopes: SCENARIO_SCOPES }, webhooks } });
    scenario = await sendIncidentScenario(backend);
    // The open incident of `late`: its `opened` and `checkpoint` notifications, each POSTed twice.
    await waitUntil(async () => (await backend.metrics()).includes('rollpoint_backend_webhook_deliveries_total{webhook="pager",event="checkpoint",outcome="failed"} 1'), 'both notifications to fail');
    // Two spans, one with a malformed trace id: that one is refused, and counted; the other stored.
    const bad = trafficRequest({ service: 'shop-cart', version: '2.1.0', host: 'shop-web-1', from: scenario.at(39), to: scenario.at(39, 2), spansPerMinute: 60, errorRate: () => 0, latencyMs: () => 30 });
    bad.resourceSpans![0]!.scopeSpans![0]!.spans![0]!.traceId = Buffer.alloc(3, 1);
    expect((await rawExport(backend.grpcPort, traces.grpcMethod, traces.encode(bad))).code).to.equal(status.OK);
    sentAt = Date.now();
    families = parsePrometheusTextFormat(await backend.metrics());
  });

  after(async function () {
    await backend?.stop();
    down?.close();
  });

  it('counts stored records per signal and source, and refused ones per signal', function () {
    expect(value('rollpoint_backend_ingested_records_total', { signal: 'traces', source: '127.0.0.1' })).to.equal(scenario.spans + 1);
    expect(value('rollpoint_backend_ingested_records_total', { signal: 'logs', source: '127.0.0.1' })).to.equal(scenario.logRecords);
    expect(value('rollpoint_backend_rejected_records_total', { signal: 'traces' })).to.equal(1);
  });

  it('times every coalesced insert and counts inserts and the rows they wrote, per table', function () {
    expect(families.find((f) => f.name === 'rollpoint_backend_insert_duration_seconds')?.type).to.equal('HISTOGRAM');
    // The malformed request's other span was stored too.
    const tables: Array<[string, number, number]> = [
      ['otel_traces', scenario.spans + 1, scenario.traceExports + 1],
      ['otel_logs', scenario.logRecords, scenario.logExports],
    ];
    let inserts = 0;
    for (const [table, rows, exports] of tables) {
      // Coalesced: at least one insert, at most one per Export.
      expect(value('rollpoint_backend_inserts_total', { table }), table).to.be.within(1, exports);
      expect(value('rollpoint_backend_inserted_rows_total', { table }), table).to.equal(rows);
      inserts += value('rollpoint_backend_inserts_total', { table });
    }
    const timed = sample('rollpoint_backend_insert_duration_seconds');
    expect(Number(timed?.count)).to.equal(inserts);
    expect(Number(timed?.buckets?.['+Inf'])).to.equal(inserts);
    expect(Number(timed?.sum)).to.be.greaterThan(0);
  });

  it('shows the source watermark and staleness', function () {
    // A direct sender's watermark is its latest event time, never ahead of the backend's clock:
    // the `late` traffic runs into the next minutes, so it is the moment of the last export.
    const watermark = value('rollpoint_backend_source_watermark_timestamp_seconds', { source: '127.0.0.1', kind: 'sender' });
    expect(watermark * 1000).to.be.within(scenario.at(40) - 60_000, sentAt);
    expect(value('rollpoint_backend_source_staleness_seconds', { source: '127.0.0.1' })).to.be.within(0, 120);
    expect(value('rollpoint_backend_source_stale', { source: '127.0.0.1' })).to.equal(0);
  });

  it('shows open incidents and the age of the latest checkpoint per scope', function () {
    expect(value('rollpoint_backend_open_incidents', { scope: 'late' })).to.equal(1);
    expect(value('rollpoint_backend_open_incidents', { scope: 'shop' })).to.equal(0);
    // shop's latest checkpoint is now (healthy since +31); late's is the end of its last healthy window, +35.
    const scrapedAt = sentAt / 1000;
    const lateAge = value('rollpoint_backend_checkpoint_age_seconds', { scope: 'late' });
    expect(lateAge).to.be.within(scrapedAt - scenario.at(35) / 1000, scrapedAt - scenario.at(35) / 1000 + 120);
    expect(value('rollpoint_backend_checkpoint_age_seconds', { scope: 'shop' })).to.be.below(lateAge);
  });

  it('counts failed webhook deliveries, and `rollpoint status` lists them', async function () {
    expect(value('rollpoint_backend_webhook_deliveries_total', { webhook: 'pager', event: 'opened', outcome: 'failed' })).to.equal(1);
    expect(value('rollpoint_backend_webhook_attempt_failures_total', { webhook: 'pager' })).to.equal(4);
    const { stdout } = await run(process.execPath, [CLI_MAIN, '--url', backend.url, 'status']);
    expect(stdout).to.match(/pager\s+│\s+0\s+│\s+2\s+│\s+0/);
    expect(stdout).to.include('recent webhook failures').and.include(`late:${scenario.at(35) / 1000}`).and.include('HTTP 503: down for maintenance');
  });
});
