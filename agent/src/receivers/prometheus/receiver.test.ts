import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { ExportMetricsServiceRequest, KeyValue, Metric } from '@rollpoint/proto';
import { parseConfig } from '@rollpoint/runtime';
import { expect } from 'chai';
import Long from 'long';
import type { Logger } from 'pino';
import client from 'prom-client';
import type { ComponentContext } from '../../component.js';
import { Watermark } from '../../service/watermark.js';
import { createAgentMetrics } from '../../telemetry/metrics.js';
import { prometheusReceiverFactory } from './factory.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A target on 127.0.0.1 whose answer the test sets. */
async function startTarget(): Promise<{ server: Server; instance: string; handle(handler: Handler): void; requests: IncomingMessage[] }> {
  let handler: Handler = (_req, res) => res.end();
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, instance: `127.0.0.1:${(server.address() as AddressInfo).port}`, handle: (h) => (handler = h), requests };
}

async function waitUntil(done: () => boolean, what: string, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const text = (kv: readonly KeyValue[] | null | undefined, key: string) => kv?.find((a) => a.key === key)?.value?.stringValue;
const attributes = (kv: readonly KeyValue[] | null | undefined) => Object.fromEntries((kv ?? []).map((a) => [a.key, a.value?.stringValue]));
const metricsOf = (request: ExportMetricsServiceRequest): Metric[] => request.resourceMetrics![0]!.scopeMetrics![0]!.metrics!;
const metric = (request: ExportMetricsServiceRequest, name: string): Metric => {
  const found = metricsOf(request).find((m) => m.name === name);
  if (!found) throw new Error(`no metric ${name} in ${metricsOf(request).map((m) => m.name).join(', ')}`);
  return found;
};
const gaugeValue = (request: ExportMetricsServiceRequest, name: string) => metric(request, name).gauge!.dataPoints![0]!.asDouble;
const nanos = (value: unknown): bigint => BigInt(Long.fromValue(value as Long).toString());

/** The receiver under test, built by its factory as the agent builds it, with what it consumed and logged. */
async function startReceiver(config: unknown) {
  const requests: ExportMetricsServiceRequest[] = [];
  const logged: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const log = (level: string) => (fields: Record<string, unknown>, message: string) => logged.push({ level, fields, message });
  const logger = { info: log('info'), warn: log('warn'), error: log('error'), debug: log('debug') } as unknown as Logger;
  const metrics = createAgentMetrics();
  const context: ComponentContext = { id: 'prometheus', logger, metrics, agent: { id: 'test', dataDir: '/nonexistent' }, watermark: new Watermark() };
  const receiver = prometheusReceiverFactory.create(parseConfig(prometheusReceiverFactory.configSchema, config), { metrics: async (r) => void requests.push(r) }, context);
  await receiver.start();
  const scrapes = async (outcome: string) => (await metrics.prometheusScrapes.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
  return { receiver, requests, logged, scrapes };
}

const scrapeConfig = (instance: string, extra: Record<string, unknown> = {}) => ({
  config: { scrape_configs: [{ job_name: 'app', scrape_interval: '200ms', static_configs: [{ targets: [instance], labels: { env: 'test' } }], ...extra }] },
});

describe('prometheus receiver', function () {
  this.timeout(60000);
  let target: Awaited<ReturnType<typeof startTarget>>;
  let running: Awaited<ReturnType<typeof startReceiver>> | undefined;

  beforeEach(async function () {
    target = await startTarget();
  });

  afterEach(async function () {
    await running?.receiver.shutdown();
    running = undefined;
    await new Promise((resolve) => target.server.close(resolve));
  });

  it('scrapes a prom-client exposition: counters, gauges, histograms and summaries with their labels, as the Collector maps them', async function () {
    const registry = new client.Registry();
    const requestsTotal = new client.Counter({ name: 'http_requests_total', help: 'Requests served.', labelNames: ['method', 'code'], registers: [registry] });
    const depth = new client.Gauge({ name: 'queue_depth', help: 'Jobs waiting.', registers: [registry] });
    const latency = new client.Histogram({ name: 'request_seconds', help: 'Latency.', labelNames: ['method'], buckets: [0.1, 0.5, 1], registers: [registry] });
    const sizes = new client.Summary({ name: 'payload_bytes', help: 'Payload sizes.', labelNames: ['route'], percentiles: [0.5, 1], registers: [registry] });
    requestsTotal.inc({ method: 'get', code: '200' }, 3);
    requestsTotal.inc({ method: 'post', code: '500' });
    depth.set(7.5);
    for (const seconds of [0.05, 0.3, 0.3, 2]) latency.observe({ method: 'get' }, seconds);
    latency.observe({ method: 'post' }, 0.2);
    for (const bytes of [10, 20, 30]) sizes.observe({ route: '/a' }, bytes);
    target.handle((_req, res) => {
      void registry.metrics().then((body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body));
    });
    running = await startReceiver(scrapeConfig(target.instance));
    await waitUntil(() => running!.requests.length >= 1, 'the first scrape');
    const first = running.requests[0]!;

    const resource = first.resourceMetrics![0]!.resource!.attributes;
    expect(attributes(resource)).to.deep.equal({ 'service.name': 'app', 'service.instance.id': target.instance, 'server.port': target.instance.split(':')[1], 'url.scheme': 'http' });
    expect(first.resourceMetrics![0]!.scopeMetrics![0]!.scope!.name).to.equal('rollpoint/prometheus');

    const counter = metric(first, 'http_requests_total');
    expect(counter.description).to.equal('Requests served.');
    expect(counter.sum!.isMonotonic).to.equal(true);
    expect(counter.sum!.aggregationTemporality).to.equal(2);
    expect(counter.sum!.dataPoints!.map((p) => [attributes(p.attributes), p.asDouble])).to.deep.equal([
      [{ method: 'get', code: '200', env: 'test' }, 3],
      [{ method: 'post', code: '500', env: 'test' }, 1],
    ]);
    expect(metric(first, 'queue_depth').gauge!.dataPoints![0]!.asDouble).to.equal(7.5);

    const histogram = metric(first, 'request_seconds').histogram!;
    expect(histogram.aggregationTemporality).to.equal(2);
    const get = histogram.dataPoints!.find((p) => text(p.attributes, 'method') === 'get')!;
    expect(get.explicitBounds).to.deep.equal([0.1, 0.5, 1]);
    expect(get.bucketCounts!.map(Number)).to.deep.equal([1, 2, 0, 1]);
    expect(Number(get.count)).to.equal(4);
    expect(get.sum).to.be.closeTo(2.65, 1e-9);
    expect(attributes(get.attributes)).to.deep.equal({ method: 'get', env: 'test' });
    expect(histogram.dataPoints!.find((p) => text(p.attributes, 'method') === 'post')!.bucketCounts!.map(Number)).to.deep.equal([0, 1, 0, 0]);

    const summary = metric(first, 'payload_bytes').summary!.dataPoints![0]!;
    expect(attributes(summary.attributes)).to.deep.equal({ route: '/a', env: 'test' });
    expect(Number(summary.count)).to.equal(3);
    expect(summary.sum).to.equal(60);
    expect(summary.quantileValues!.map((q) => [q.quantile, q.value])).to.deep.equal([[0.5, 20], [1, 30]]);

    const exposition = await registry.metrics();
    const sampleLines = exposition.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;
    expect(gaugeValue(first, 'up')).to.equal(1);
    expect(gaugeValue(first, 'scrape_samples_scraped')).to.equal(sampleLines);
    expect(gaugeValue(first, 'scrape_series_added')).to.equal(sampleLines);
    expect(gaugeValue(first, 'scrape_duration_seconds')).to.be.above(0);
    expect(attributes(metric(first, 'up').gauge!.dataPoints![0]!.attributes)).to.deep.equal({ env: 'test' });

    // A later scrape: the cumulative points keep the start of the first; the first's start was its own time.
    requestsTotal.inc({ method: 'get', code: '200' }, 2);
    const seen = running.requests.length;
    await waitUntil(() => running!.requests.length >= seen + 2, 'two more scrapes');
    const later = running.requests.at(-1)!;
    const firstPoint = counter.sum!.dataPoints![0]!;
    const laterPoint = metric(later, 'http_requests_total').sum!.dataPoints![0]!;
    expect(nanos(firstPoint.startTimeUnixNano)).to.equal(nanos(firstPoint.timeUnixNano));
    expect(nanos(laterPoint.startTimeUnixNano)).to.equal(nanos(firstPoint.startTimeUnixNano));
    expect(nanos(laterPoint.timeUnixNano) > nanos(firstPoint.timeUnixNano)).to.equal(true);
    expect(laterPoint.asDouble).to.equal(5);
    expect(gaugeValue(later, 'scrape_series_added')).to.equal(0);
    expect(nanos(metric(later, 'request_seconds').histogram!.dataPoints![0]!.startTimeUnixNano)).to.equal(nanos(get.startTimeUnixNano));

    // The target restarted: its counter went down, and the series starts again at that point.
    requestsTotal.reset();
    requestsTotal.inc({ method: 'get', code: '200' });
    const before = running.requests.length;
    await waitUntil(() => running!.requests.length >= before + 2, 'scrapes after the reset');
    const reset = metric(running.requests.at(-1)!, 'http_requests_total').sum!.dataPoints![0]!;
    expect(reset.asDouble).to.equal(1);
    expect(nanos(reset.startTimeUnixNano) > nanos(firstPoint.startTimeUnixNano)).to.equal(true);
    expect(await running.scrapes('up')).to.be.at.least(3);

    // Prometheus's Accept header, preferring OpenMetrics, and the scrape timeout.
    expect(target.requests[0]!.headers.accept).to.match(/^application\/openmetrics-text;version=1\.0\.0,.*text\/plain;version=0\.0\.4/);
    expect(target.requests[0]!.headers['x-prometheus-scrape-timeout-seconds']).to.equal('0.2');
    expect(target.requests[0]!.url).to.equal('/metrics');
  });

  it('reads OpenMetrics (negotiated, gzipped): _total and _created, exemplars, units, escapes, timestamps in seconds', async function () {
    const body = [
      '# TYPE orders counter',
      '# HELP orders Orders placed.',
      'orders_total{shop="a"} 17 1700000000.5 # {trace_id="0af7651916cd43dd8448eb211c80319c",span_id="b7ad6b7169203331",user="u1"} 2.5 1700000000.25',
      'orders_created{shop="a"} 1699999000.125',
      '# TYPE temperature gauge',
      '# UNIT temperature celsius',
      '# HELP temperature A \\"quoted\\" help\\nwith a newline.',
      'temperature{path="C:\\\\dir\\\\\\"x\\"\\n",room="}{,"} -3.5',
      '# TYPE rpc_seconds histogram',
      'rpc_seconds_bucket{le="0.5"} 2',
      'rpc_seconds_bucket{le="+Inf"} 3',
      'rpc_seconds_count 3',
      'rpc_seconds_sum 4',
      'rpc_seconds_created 1699999500',
      '# TYPE build info',
      'build_info{version="1.2.3"} 1',
      '# TYPE mystery unknown',
      'mystery NaN',
      '# TYPE queue_size gaugehistogram',
      'queue_size_bucket{le="+Inf"} 3',
      'queue_size_gcount 3',
      'queue_size_gsum 3',
      '# EOF',
      '',
    ].join('\n');
    const textBody = '# TYPE fallback gauge\nfallback 1\n';
    target.handle((req, res) => {
      const openMetrics = String(req.headers.accept).startsWith('application/openmetrics-text');
      res.writeHead(200, { 'content-type': openMetrics ? 'application/openmetrics-text; version=1.0.0; charset=utf-8' : 'text/plain; version=0.0.4', 'content-encoding': 'gzip' });
      res.end(gzipSync(openMetrics ? body : textBody));
    });
    running = await startReceiver(scrapeConfig(target.instance, { metrics_path: '/probe', params: { module: ['if_mib', 'ip'] } }));
    await waitUntil(() => running!.requests.length >= 1, 'the first scrape');
    const request = running.requests[0]!;
    expect(target.requests[0]!.url).to.equal('/probe?module=if_mib&module=ip');
    expect(metricsOf(request).map((m) => m.name)).to.deep.equal([
      'orders_total', 'temperature', 'rpc_seconds', 'build', 'mystery',
      'up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added',
    ]);

    const orders = metric(request, 'orders_total');
    expect(orders.description).to.equal('Orders placed.');
    const point = orders.sum!.dataPoints![0]!;
    expect(point.asDouble).to.equal(17);
    expect(nanos(point.timeUnixNano)).to.equal(1700000000500000000n);
    expect(nanos(point.startTimeUnixNano)).to.equal(1699999000125000000n);
    const exemplar = point.exemplars![0]!;
    expect(Buffer.from(exemplar.traceId!).toString('hex')).to.equal('0af7651916cd43dd8448eb211c80319c');
    expect(Buffer.from(exemplar.spanId!).toString('hex')).to.equal('b7ad6b7169203331');
    expect(exemplar.asDouble).to.equal(2.5);
    expect(nanos(exemplar.timeUnixNano)).to.equal(1700000000250000000n);
    expect(attributes(exemplar.filteredAttributes)).to.deep.equal({ user: 'u1' });

    const temperature = metric(request, 'temperature');
    expect(temperature.unit).to.equal('celsius');
    expect(temperature.description).to.equal('A "quoted" help\nwith a newline.');
    expect(attributes(temperature.gauge!.dataPoints![0]!.attributes)).to.deep.equal({ path: 'C:\\dir\\"x"\n', room: '}{,', env: 'test' });
    expect(temperature.gauge!.dataPoints![0]!.asDouble).to.equal(-3.5);

    const rpc = metric(request, 'rpc_seconds').histogram!.dataPoints![0]!;
    expect(rpc.bucketCounts!.map(Number)).to.deep.equal([2, 1]);
    expect(nanos(rpc.startTimeUnixNano)).to.equal(1699999500000000000n);

    const build = metric(request, 'build').sum!;
    expect(build.isMonotonic).to.equal(false);
    expect(attributes(build.dataPoints![0]!.attributes)).to.deep.equal({ version: '1.2.3', env: 'test' });
    expect(Number.isNaN(metric(request, 'mystery').gauge!.dataPoints![0]!.asDouble)).to.equal(true);
    expect(gaugeValue(request, 'scrape_samples_scraped')).to.equal(13);
  });

  it('keeps a label that clashes with job, instance or a target label as exported_<name>, as Prometheus does', async function () {
    target.handle((_req, res) => res.end('jobs_total{job="batch",instance="x",env="prod",kind="a"} 1\n'));
    running = await startReceiver(scrapeConfig(target.instance));
    await waitUntil(() => running!.requests.length >= 1, 'the first scrape');
    expect(attributes(metric(running.requests[0]!, 'jobs_total').gauge!.dataPoints![0]!.attributes)).to.deep.equal({
      exported_job: 'batch',
      exported_instance: 'x',
      exported_env: 'prod',
      kind: 'a',
      env: 'test',
    });
  });

  for (const [what, auth, good, bad] of [
    ['basic auth', (c: string) => ({ basic_auth: { username: 'scraper', password: c } }), 'Basic c2NyYXBlcjpzM2NyZXQ=', 's3cret'],
    ['a bearer token (authorization)', (c: string) => ({ authorization: { credentials: c } }), 'Bearer s3cret', 's3cret'],
    ['a bearer token (bearer_token)', (c: string) => ({ bearer_token: c }), 'Bearer s3cret', 's3cret'],
  ] as const) {
    it(`sends ${what}; wrong credentials are up 0, counted and logged without the secret`, async function () {
      target.handle((req, res) => {
        if (req.headers.authorization === good) res.end('ok 1\n');
        else res.writeHead(401).end('no');
      });
      running = await startReceiver(scrapeConfig(target.instance, auth(bad)));
      await waitUntil(() => running!.requests.length >= 1, 'a scrape');
      expect(gaugeValue(running.requests[0]!, 'up')).to.equal(1);
      expect(gaugeValue(running.requests[0]!, 'ok')).to.equal(1);
      await running.receiver.shutdown();

      running = await startReceiver(scrapeConfig(target.instance, auth('wrong')));
      await waitUntil(() => running!.requests.length >= 2, 'two scrapes');
      for (const request of running.requests) {
        expect(gaugeValue(request, 'up')).to.equal(0);
        expect(metricsOf(request).map((m) => m.name)).to.not.include('ok');
      }
      expect(await running.scrapes('failed')).to.be.at.least(2);
      const warnings = running.logged.filter((l) => l.level === 'warn');
      expect(warnings.map((l) => l.fields.error)).to.deep.equal(['HTTP status 401']);
      expect(JSON.stringify(running.logged)).to.not.include('wrong');
    });
  }

  it('gives up on a target slower than scrape_timeout: up 0, counted as timeout, and scrapes it again', async function () {
    const held: ServerResponse[] = [];
    target.handle((_req, res) => void held.push(res));
    running = await startReceiver(scrapeConfig(target.instance, { scrape_interval: '300ms', scrape_timeout: '100ms' }));
    await waitUntil(() => running!.requests.length >= 2, 'two scrapes');
    expect(running.requests.slice(0, 2).map((r) => gaugeValue(r, 'up'))).to.deep.equal([0, 0]);
    expect(await running.scrapes('timeout')).to.be.at.least(2);
    expect(running.logged.find((l) => l.level === 'warn')!.fields.error).to.equal('no answer within scrape_timeout (100 ms)');
    for (const res of held) res.destroy();
  });

  it('refuses an exposition that does not parse, naming the line: up 0, counted as malformed; and a target that comes back is up again', async function () {
    let body = '# TYPE ok gauge\nok 1\nbroken{label="x" 1\n';
    target.handle((_req, res) => res.end(body));
    running = await startReceiver(scrapeConfig(target.instance));
    await waitUntil(() => running!.requests.length >= 1, 'a scrape');
    expect(gaugeValue(running.requests[0]!, 'up')).to.equal(0);
    expect(metricsOf(running.requests[0]!).map((m) => m.name)).to.not.include('ok');
    expect(await running.scrapes('malformed')).to.be.at.least(1);
    expect(String(running.logged.find((l) => l.level === 'warn')!.fields.error)).to.match(/^the exposition does not parse: line 3: expected "," or "}" after a label/);

    body = '# TYPE ok gauge\nok 1\n';
    await waitUntil(() => gaugeValue(running!.requests.at(-1)!, 'up') === 1, 'the target to be up again');
    expect(running.logged.some((l) => l.level === 'info' && l.message === 'prometheus target up again')).to.equal(true);
  });

  it('fails a scrape whose body, or what it inflates to, is over body_size_limit', async function () {
    const big = `${'# padding\n'.repeat(200)}ok 1\n`;
    let gzipped = false;
    target.handle((_req, res) => (gzipped ? res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(big)) : res.end(big)));
    running = await startReceiver(scrapeConfig(target.instance, { body_size_limit: '1KB' }));
    await waitUntil(() => running!.requests.length >= 1, 'a scrape');
    gzipped = true;
    const plain = running.requests.length;
    await waitUntil(() => running!.requests.length >= plain + 2, 'scrapes of the gzipped body');
    expect(gzipSync(big).length).to.be.below(1024);
    expect(running.requests.map((r) => gaugeValue(r, 'up'))).to.not.include(1);
    expect(running.logged.filter((l) => l.level === 'warn').map((l) => l.fields.error)).to.deep.equal(['the body is larger than body_size_limit (1024 bytes)']);
    await running.receiver.shutdown();
    running = await startReceiver(scrapeConfig(target.instance, { body_size_limit: '10MB' }));
    await waitUntil(() => running!.requests.length >= 1, 'a scrape within the limit');
    expect(gaugeValue(running.requests[0]!, 'up')).to.equal(1);
  });

  it('reports a target that refuses connections as up 0 and goes on scraping it', async function () {
    const { instance } = target;
    await new Promise((resolve) => target.server.close(resolve));
    target = await startTarget();
    running = await startReceiver(scrapeConfig(instance));
    await waitUntil(() => running!.requests.length >= 2, 'two scrapes');
    expect(running.requests.slice(0, 2).map((r) => gaugeValue(r, 'up'))).to.deep.equal([0, 0]);
    expect(String(running.logged.find((l) => l.level === 'warn')!.fields.error)).to.match(/ECONNREFUSED/);
  });

  it('builds from its default configuration, starts, shuts down, and does it again', async function () {
    for (let round = 0; round < 2; round++) {
      running = await startReceiver(undefined);
      await running.receiver.shutdown();
    }
    target.handle((_req, res) => res.end('ok 1\n'));
    running = await startReceiver(scrapeConfig(target.instance));
    await waitUntil(() => running!.requests.length >= 1, 'a scrape');
    await running.receiver.shutdown();
    const after = running.requests.length;
    await running.receiver.start();
    await waitUntil(() => running!.requests.length > after, 'a scrape after starting again');
  });

  it('refuses configurations Prometheus refuses, naming the key', function () {
    const problems = (config: unknown) => {
      try {
        parseConfig(prometheusReceiverFactory.configSchema, config);
        return [];
      } catch (error) {
        return (error as { problems: string[] }).problems;
      }
    };
    const job = { job_name: 'a', static_configs: [{ targets: ['127.0.0.1:9100'] }] };
    expect(problems({ config: { scrape_configs: [{ ...job, scrape_interval: '5s', scrape_timeout: '10s' }] } })).to.deep.equal(['config.scrape_configs.0.scrape_timeout: must not be longer than scrape_interval']);
    expect(problems({ config: { scrape_configs: [job, job] } })).to.deep.equal(['config.scrape_configs.1.job_name: job "a" is configured twice']);
    expect(problems({ config: { scrape_configs: [{ ...job, kubernetes_sd_configs: [] }] } })).to.deep.equal(['config.scrape_configs.0.kubernetes_sd_configs: unknown key']);
    expect(problems({ config: { scrape_configs: [{ ...job, static_configs: [{ targets: ['no-port'] }] }] } })[0]).to.match(/^config\.scrape_configs\.0\.static_configs\.0\.targets\.0: must be host:port/);
    expect(problems({ config: { scrape_configs: [{ ...job, basic_auth: { username: 'u' }, bearer_token: 't' }] } })).to.deep.equal([
      'config.scrape_configs.0: at most one of basic_auth, authorization, bearer_token and bearer_token_file',
    ]);
    // An unset timeout is the global 10s, but never longer than the interval.
    const parsed = parseConfig(prometheusReceiverFactory.configSchema, { config: { scrape_configs: [{ ...job, scrape_interval: '5s' }, { ...job, job_name: 'b' }] } });
    expect(parsed.config.scrape_configs.map((c) => [c.scrape_interval, c.scrape_timeout])).to.deep.equal([[5000, 5000], [60000, 10000]]);
  });
});
