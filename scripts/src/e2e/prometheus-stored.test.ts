import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import client from 'prom-client';
import { startAgentProcess, startBackendProcess, waitUntil, type AgentProcess, type BackendProcess } from '../testing/processes.js';

// A real Prometheus exposition (prom-client, served over HTTP by this test) scraped by a real
// agent's prometheus receiver and stored by a real backend: each family in its table, with `up`.

describe('prometheus stored: a prom-client target scraped through agent and backend', function () {
  let backend: BackendProcess;
  let agent: AgentProcess;
  let target: Server;

  before(async function () {
    const registry = new client.Registry();
    new client.Counter({ name: 'orders_total', help: 'Orders taken.', labelNames: ['shop'], registers: [registry] }).inc({ shop: 'north' }, 4);
    new client.Gauge({ name: 'stock_level', help: 'Items in stock.', registers: [registry] }).set(42);
    const latency = new client.Histogram({ name: 'checkout_seconds', help: 'Checkout latency.', buckets: [0.1, 1], registers: [registry] });
    for (const seconds of [0.05, 0.5, 3]) latency.observe(seconds);
    const sizes = new client.Summary({ name: 'basket_items', help: 'Items per basket.', percentiles: [0.5, 1], registers: [registry] });
    for (const items of [1, 2, 9]) sizes.observe(items);
    target = createServer((_req, res) => {
      void registry.metrics().then((body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body));
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const instance = `127.0.0.1:${(target.address() as AddressInfo).port}`;
    backend = await startBackendProcess();
    agent = await startAgentProcess({
      backendGrpcPort: backend.grpcPort,
      batch: { timeout: '10ms' },
      prometheus: { config: { scrape_configs: [{ job_name: 'shop', scrape_interval: '1s', static_configs: [{ targets: [instance] }] }] } },
    });
    // Each metric type has its own table, and the backend inserts each table's rows on its own: a
    // scrape is stored once every table has its part.
    const stored = (table: string, metric: string) => `(SELECT count() FROM ${table} WHERE MetricName = '${metric}') > 0`;
    const scrapeStored = [stored('otel_metrics_sum', 'orders_total'), stored('otel_metrics_gauge', 'stock_level'), stored('otel_metrics_gauge', 'up'), stored('otel_metrics_histogram', 'checkout_seconds'), stored('otel_metrics_summary', 'basket_items')].join(' AND ');
    await waitUntil(async () => (await backend.sql(`SELECT ${scrapeStored} AS stored`))[0]!.stored === 1, 'a scrape stored in every table', 30000, agent);
  });

  after(async function () {
    await agent?.stop();
    await backend?.stop();
    await new Promise((resolve) => target?.close(resolve));
  });

  const first = async (table: string, metric: string, columns: string) =>
    (await backend.sql(`SELECT ${columns} FROM ${table} WHERE ServiceName = 'shop' AND MetricName = '${metric}' ORDER BY TimeUnix LIMIT 1`))[0];

  it('stores a counter as a cumulative monotonic sum and a gauge as a gauge, with their labels', async function () {
    expect(await first('otel_metrics_sum', 'orders_total', "Value, IsMonotonic, AggregationTemporality, Attributes['shop'] AS shop")).to.deep.equal({ Value: 4, IsMonotonic: true, AggregationTemporality: 2, shop: 'north' });
    expect(await first('otel_metrics_gauge', 'stock_level', 'Value, MetricDescription')).to.deep.equal({ Value: 42, MetricDescription: 'Items in stock.' });
  });

  it('stores a histogram with per-bucket counts and a summary with its quantiles', async function () {
    // 0.05 ≤ 0.1, 0.5 ≤ 1, 3 above: Prometheus's cumulative buckets become one count per bucket.
    expect(await first('otel_metrics_histogram', 'checkout_seconds', 'Count, Sum, BucketCounts, ExplicitBounds')).to.deep.equal({ Count: '3', Sum: 3.55, BucketCounts: ['1', '1', '1'], ExplicitBounds: [0.1, 1] });
    expect(await first('otel_metrics_summary', 'basket_items', 'Count, Sum, ValueAtQuantiles.Quantile AS quantiles, ValueAtQuantiles.Value AS values')).to.deep.equal({
      Count: '3',
      Sum: 12,
      quantiles: [0.5, 1],
      values: [2, 9],
    });
  });

  it('stores the target’s health as up = 1, its job and instance on the resource', async function () {
    const up = await first('otel_metrics_gauge', 'up', "Value, ResourceAttributes['service.name'] AS job, ResourceAttributes['service.instance.id'] AS instance");
    expect(up).to.deep.equal({ Value: 1, job: 'shop', instance: `127.0.0.1:${(target.address() as AddressInfo).port}` });
  });
});
