import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportMetricsServiceRequest, type KeyValue, type Metric } from '@rollpoint/proto';
import { UndecodableError, type ExportMeta } from '@rollpoint/runtime';
import { expect } from 'chai';
import Long from 'long';
import { pino } from 'pino';
import { migrate } from '../schema/migrations.js';
import { ChdbStore } from '../store/chdb.js';
import { createBackendMetrics } from '../telemetry/metrics.js';
import { dbl, f64, ld, vi } from '../testing/protobuf-bytes.js';
import { Arrivals } from './arrivals.js';
import { encodeExport } from './encode.js';
import { EncodePool } from './encode-pool.js';
import { createIngest, type Ingest } from './ingest.js';
import { coalescedInserts } from './store-export.js';
import { SourceWatermarks } from './watermarks.js';

// Metrics on the real engine: every kind of data point stored in its table with the values the
// Collector's ClickHouse exporter stores, and the write path's guarantees across the five tables
// one Export can feed (coalesced, answered once all are stored, a retried batch stored once in each).

const T = 1_764_500_000_123_456_789n;
const START = T - 60_000_000_000n;
const nanos = (n: bigint): Long => Long.fromString(n.toString(), true);
const text = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });

const request = (metrics: Metric[]): Uint8Array =>
  ExportMetricsServiceRequest.encode({
    resourceMetrics: [
      {
        resource: { attributes: [text('service.name', 'metrics-svc'), text('host.name', 'h1')] },
        schemaUrl: 'https://schema/r',
        scopeMetrics: [{ scope: { name: 'meter', version: '2.0', attributes: [text('s', 'v')], droppedAttributesCount: 3 }, schemaUrl: 'https://schema/s', metrics }],
      },
    ],
  }).finish();

const point = (attributes: KeyValue[] = []) => ({ attributes, startTimeUnixNano: nanos(START), timeUnixNano: nanos(T) });
const exemplars = [
  { filteredAttributes: [text('user', 'u1')], timeUnixNano: nanos(T - 5n), asInt: Long.fromNumber(7), spanId: Buffer.alloc(8, 0x12), traceId: Buffer.alloc(16, 0x34) },
  { timeUnixNano: nanos(T - 4n), asDouble: 2.5 },
];

/** One metric of each kind, named `${prefix}.<kind>`: the data of the first tests. */
const everyKind = (prefix: string): Metric[] => [
  { name: `${prefix}.gauge`, description: 'a gauge', unit: '1', gauge: { dataPoints: [{ ...point([text('cpu', '0')]), asDouble: 0.25, flags: 1, exemplars }] } },
  { name: `${prefix}.sum`, sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ ...point(), asInt: Long.fromString('-9007199254740993') }] } },
  { name: `${prefix}.histogram`, histogram: { aggregationTemporality: 1, dataPoints: [{ ...point(), count: nanos(6n), sum: 10.5, bucketCounts: [nanos(1n), nanos(2n), nanos(3n)], explicitBounds: [1, 5], min: 0.5, max: 7, exemplars }] } },
  {
    name: `${prefix}.exponential`,
    exponentialHistogram: {
      aggregationTemporality: 2,
      dataPoints: [{ ...point(), count: nanos(9n), sum: 42, scale: -2, zeroCount: nanos(1n), positive: { offset: -3, bucketCounts: [nanos(4n), nanos(300n)] }, negative: { offset: 5, bucketCounts: [nanos(2n)] }, min: -8, max: 99, zeroThreshold: 0.001 }],
    },
  },
  { name: `${prefix}.summary`, summary: { dataPoints: [{ ...point(), count: nanos(4n), sum: 12, quantileValues: [{ quantile: 0.5, value: 3 }, { quantile: 0.99, value: 9.5 }], flags: 0 }] } },
];

describe('write path: metrics', function () {
  let store: ChdbStore;
  const path = mkdtempSync(join(tmpdir(), 'rollpoint-metrics-'));
  const q = (sql: string) => store.query({ sql, params: {} });
  const countOf = async (table: string, prefix: string) => Number((await q(`SELECT count() AS n FROM ${table} WHERE startsWith(MetricName, '${prefix}')`))[0]!.n);
  const TABLES = ['otel_metrics_gauge', 'otel_metrics_sum', 'otel_metrics_histogram', 'otel_metrics_exponential_histogram', 'otel_metrics_summary'];
  const countsOf = async (prefix: string) => Promise.all(TABLES.map((table) => countOf(table, prefix)));

  before(async function () {
    store = new ChdbStore({ path, readOnlyMaxRows: 100, readOnlyTimeoutMs: 10000 });
    await migrate(store, { ttlDays: 0 });
  });
  after(async function () {
    await store.close();
    rmSync(path, { recursive: true, force: true });
  });

  const insertEncoded = async (bytes: Uint8Array) => {
    const encoded = encodeExport({ signal: 'metrics', bytes, receivedAtNanos: T + 1n });
    for (const insert of coalescedInserts([encoded], `t-${Math.random()}`)) await store.insertRowBinary(insert);
    return encoded;
  };

  const LEAD = `ResourceAttributes, ResourceSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, ScopeDroppedAttrCount, ScopeSchemaUrl, ServiceName,
    MetricName, MetricDescription, MetricUnit, Attributes, toString(toUnixTimestamp64Nano(StartTimeUnix)) AS start, toString(toUnixTimestamp64Nano(TimeUnix)) AS time`;
  const EXEMPLARS = `Exemplars.FilteredAttributes AS exemplar_attributes, arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Exemplars.TimeUnix) AS exemplar_times,
    Exemplars.Value AS exemplar_values, Exemplars.SpanId AS exemplar_span_ids, Exemplars.TraceId AS exemplar_trace_ids`;
  const lead = (MetricName: string, more: Record<string, unknown> = {}) => ({
    ResourceAttributes: { 'host.name': 'h1', 'service.name': 'metrics-svc' },
    ResourceSchemaUrl: 'https://schema/r',
    ScopeName: 'meter',
    ScopeVersion: '2.0',
    ScopeAttributes: { s: 'v' },
    ScopeDroppedAttrCount: 3,
    ScopeSchemaUrl: 'https://schema/s',
    ServiceName: 'metrics-svc',
    MetricName,
    MetricDescription: '',
    MetricUnit: '',
    Attributes: {},
    start: START.toString(),
    time: T.toString(),
    ...more,
  });
  const storedExemplars = {
    exemplar_attributes: [{ user: 'u1' }, {}],
    exemplar_times: [(T - 5n).toString(), (T - 4n).toString()],
    exemplar_values: [7, 2.5],
    exemplar_span_ids: ['12'.repeat(8), '0'.repeat(16)],
    exemplar_trace_ids: ['34'.repeat(16), '0'.repeat(32)],
  };

  it('stores each kind of data point in its table with the exporter’s values, and notes the time range', async function () {
    const encoded = await insertEncoded(request(everyKind('kinds')));
    expect(encoded.tables.map((part) => [part.table, part.count])).to.deep.equal(TABLES.map((table) => [table, 1]));
    expect([encoded.count, encoded.earliestMs, encoded.latestMs, encoded.rejection.rejected]).to.deep.equal([5, Number(T / 1_000_000n), Number(T / 1_000_000n), 0]);
    expect(await q(`SELECT ${LEAD}, Value, Flags, ${EXEMPLARS} FROM otel_metrics_gauge WHERE MetricName = 'kinds.gauge'`)).to.deep.equal([
      { ...lead('kinds.gauge', { MetricDescription: 'a gauge', MetricUnit: '1', Attributes: { cpu: '0' } }), Value: 0.25, Flags: 1, ...storedExemplars },
    ]);
    // An integer value as Float64, rounded as Go's float64(int64) rounds it.
    expect(await q(`SELECT ${LEAD}, Value, Flags, AggregationTemporality, IsMonotonic, length(Exemplars.Value) AS exemplars FROM otel_metrics_sum WHERE MetricName = 'kinds.sum'`)).to.deep.equal([
      { ...lead('kinds.sum'), Value: -9007199254740992, Flags: 0, AggregationTemporality: 2, IsMonotonic: true, exemplars: '0' },
    ]);
    expect(await q(`SELECT ${LEAD}, Count, Sum, BucketCounts, ExplicitBounds, ${EXEMPLARS}, Flags, Min, Max, AggregationTemporality FROM otel_metrics_histogram WHERE MetricName = 'kinds.histogram'`)).to.deep.equal([
      { ...lead('kinds.histogram'), Count: '6', Sum: 10.5, BucketCounts: ['1', '2', '3'], ExplicitBounds: [1, 5], ...storedExemplars, Flags: 0, Min: 0.5, Max: 7, AggregationTemporality: 1 },
    ]);
    expect(
      await q(`SELECT ${LEAD}, Count, Sum, Scale, ZeroCount, PositiveOffset, PositiveBucketCounts, NegativeOffset, NegativeBucketCounts, Flags, Min, Max, AggregationTemporality
        FROM otel_metrics_exponential_histogram WHERE MetricName = 'kinds.exponential'`),
    ).to.deep.equal([
      {
        ...lead('kinds.exponential'),
        Count: '9',
        Sum: 42,
        Scale: -2,
        ZeroCount: '1',
        PositiveOffset: -3,
        PositiveBucketCounts: ['4', '300'],
        NegativeOffset: 5,
        NegativeBucketCounts: ['2'],
        Flags: 0,
        Min: -8,
        Max: 99,
        AggregationTemporality: 2,
      },
    ]);
    expect(await q(`SELECT ${LEAD}, Count, Sum, ValueAtQuantiles.Quantile AS quantiles, ValueAtQuantiles.Value AS quantile_values, Flags FROM otel_metrics_summary WHERE MetricName = 'kinds.summary'`)).to.deep.equal([
      { ...lead('kinds.summary'), Count: '4', Sum: 12, quantiles: [0.5, 0.99], quantile_values: [3, 9.5], Flags: 0 },
    ]);
  });

  it('stores cumulative and delta sums, monotonic or not, and empty optional fields as the exporter does', async function () {
    await insertEncoded(
      request([
        { name: 'opt.delta', sum: { aggregationTemporality: 1, isMonotonic: false, dataPoints: [{ timeUnixNano: nanos(T), asDouble: -1.5 }] } },
        { name: 'opt.cumulative', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [point(), { ...point(), timeUnixNano: nanos(T + 10n), asInt: Long.fromNumber(12) }] } },
        { name: 'opt.histogram', histogram: { dataPoints: [{ timeUnixNano: nanos(T), count: nanos(0n) }] } },
        { name: 'opt.exponential', exponentialHistogram: { dataPoints: [{ timeUnixNano: nanos(T) }] } },
        // No data at all: nothing to store.
        { name: 'opt.empty' },
      ]),
    );
    expect(await q("SELECT MetricName, toString(toUnixTimestamp64Nano(StartTimeUnix)) AS start, Value, AggregationTemporality, IsMonotonic FROM otel_metrics_sum WHERE startsWith(MetricName, 'opt.') ORDER BY MetricName, TimeUnix")).to.deep.equal([
      { MetricName: 'opt.cumulative', start: START.toString(), Value: 0, AggregationTemporality: 2, IsMonotonic: true },
      { MetricName: 'opt.cumulative', start: START.toString(), Value: 12, AggregationTemporality: 2, IsMonotonic: true },
      { MetricName: 'opt.delta', start: '0', Value: -1.5, AggregationTemporality: 1, IsMonotonic: false },
    ]);
    expect(await q("SELECT Count, Sum, BucketCounts, ExplicitBounds, Min, Max, AggregationTemporality, length(Exemplars.TraceId) AS exemplars FROM otel_metrics_histogram WHERE MetricName = 'opt.histogram'")).to.deep.equal([
      { Count: '0', Sum: 0, BucketCounts: [], ExplicitBounds: [], Min: 0, Max: 0, AggregationTemporality: 0, exemplars: '0' },
    ]);
    expect(await q("SELECT Count, Sum, Scale, ZeroCount, PositiveOffset, PositiveBucketCounts, NegativeOffset, NegativeBucketCounts FROM otel_metrics_exponential_histogram WHERE MetricName = 'opt.exponential'")).to.deep.equal([
      { Count: '0', Sum: 0, Scale: 0, ZeroCount: '0', PositiveOffset: 0, PositiveBucketCounts: [], NegativeOffset: 0, NegativeBucketCounts: [] },
    ]);
    expect(await countOf('otel_metrics_gauge', 'opt.')).to.equal(0);
  });

  it('reads repeated fields packed or not, fields in any order, and takes the receive time for a point without one', async function () {
    // Histogram point: unpacked bucket_counts (6) and explicit_bounds (7), the time after them; exponential buckets: unpacked counts.
    const histogramPoint = Buffer.concat([f64(6, 2n), f64(6, 3n), dbl(7, 2.5), f64(4, 5n), f64(3, T), f64(6, 4n)]);
    const exponentialPoint = Buffer.concat([ld(8, vi(2, 7), vi(1, 1), vi(2, 1n << 40n)), vi(6, 1), f64(3, T)]);
    const gaugePoint = Buffer.concat([dbl(4, 1.25)]);
    const metrics = Buffer.concat([
      ld(2, ld(9, ld(1, histogramPoint), vi(2, 2)), ld(1, 'raw.histogram')),
      ld(2, ld(10, ld(1, exponentialPoint)), ld(1, 'raw.exponential')),
      ld(2, ld(1, 'raw.gauge'), ld(5, ld(1, gaugePoint))),
    ]);
    await insertEncoded(ld(1, ld(2, metrics)));
    expect(await q("SELECT BucketCounts, ExplicitBounds, Count, AggregationTemporality FROM otel_metrics_histogram WHERE MetricName = 'raw.histogram'")).to.deep.equal([
      { BucketCounts: ['2', '3', '4'], ExplicitBounds: [2.5], Count: '5', AggregationTemporality: 2 },
    ]);
    expect(await q("SELECT Scale, PositiveOffset, PositiveBucketCounts FROM otel_metrics_exponential_histogram WHERE MetricName = 'raw.exponential'")).to.deep.equal([
      { Scale: -1, PositiveOffset: -1, PositiveBucketCounts: ['7', String(1n << 40n)] },
    ]);
    expect(await q("SELECT Value, toString(toUnixTimestamp64Nano(TimeUnix)) AS time, ServiceName FROM otel_metrics_gauge WHERE MetricName = 'raw.gauge'")).to.deep.equal([
      { Value: 1.25, time: (T + 1n).toString(), ServiceName: '' },
    ]);
  });

  it('leaves out data points with a malformed exemplar id and says why, keeping the rest', function () {
    const bytes = request([
      { name: 'bad.gauge', gauge: { dataPoints: [{ ...point(), asDouble: 1 }, { ...point(), asDouble: 2, exemplars: [{ spanId: Buffer.alloc(3, 1) }] }] } },
      { name: 'bad.histogram', histogram: { dataPoints: [{ ...point(), exemplars: [{ traceId: Buffer.alloc(15, 1) }] }] } },
    ]);
    const encoded = encodeExport({ signal: 'metrics', bytes, receivedAtNanos: T });
    expect(encoded.tables.map((part) => [part.table, part.count])).to.deep.equal([['otel_metrics_gauge', 1]]);
    expect(encoded.rejection).to.deep.equal({ rejected: 2, errorMessage: '2 metric data points rejected: exemplar span_id must be 8 bytes, got 3' });
  });

  it('refuses undecodable bytes: truncated, invalid UTF-8 in a metric name, a packed fixed64 field cut short', function () {
    const good = Buffer.from(request([{ name: 'héllo', gauge: { dataPoints: [point()] } }]));
    const invalidUtf8 = Buffer.from(good);
    invalidUtf8[invalidUtf8.indexOf(Buffer.from('h')) + 1] = 0xff;
    const cutBuckets = ld(1, ld(2, ld(2, ld(1, 'cut'), ld(9, ld(1, ld(6, Buffer.alloc(5)))))));
    for (const bytes of [good.subarray(0, good.length - 3), invalidUtf8, cutBuckets]) {
      expect(() => encodeExport({ signal: 'metrics', bytes, receivedAtNanos: T }), bytes.toString('hex')).to.throw(UndecodableError);
    }
  });

  it('encodes on worker threads what it encodes inline, every table’s rows moved across', async function () {
    const pool = new EncodePool(1, []);
    try {
      const job = { signal: 'metrics' as const, bytes: request(everyKind('pooled')), receivedAtNanos: T };
      const fromWorker = await pool.encode(job);
      expect(fromWorker).to.deep.equal(encodeExport(job));
      expect(fromWorker.tables).to.have.length(5);
    } finally {
      await pool.close();
    }
  });

  describe('through ingest: coalesced per table, answered once every table stored its rows', function () {
    let ingest: Ingest;
    const metrics = createBackendMetrics({ staleAfterMs: 60000 });
    const arrivals = new Arrivals();
    let watermarks: SourceWatermarks;
    const meta = (batchId: string): ExportMeta => ({ batchId, agentId: 'agent-m', watermarkMs: Number(T / 1_000_000n) });

    before(function () {
      watermarks = new SourceWatermarks(store);
      ingest = createIngest(store, watermarks, metrics, arrivals, { buffer: { maxRows: 1000, maxDelayMs: 20, quietMs: 0, maxBufferedBytes: 1 << 26 }, workers: 0, devices: [] }, pino({ level: 'silent' }));
    });
    after(async function () {
      await ingest.close();
    });

    it('one Export spanning every table: each table gets its rows, the sender its count, /metrics the stored points per table', async function () {
      const answer = await ingest.metrics(request(everyKind('span')), meta('m-span'));
      expect(answer).to.deep.equal({ records: 5, rejection: { rejected: 0, errorMessage: '' } });
      expect(await countsOf('span.')).to.deep.equal([1, 1, 1, 1, 1]);
      expect(arrivals.take()).to.equal(Number(T / 1_000_000n));
      expect(watermarks.snapshot().get('agent-m')?.watermarkMs).to.equal(Number(T / 1_000_000n));
      const text = await metrics.registry.metrics();
      for (const table of TABLES) expect(text).to.match(new RegExp(`rollpoint_backend_inserted_rows_total\\{table="${table}"\\} [1-9]`));
      expect(text).to.include('rollpoint_backend_ingested_records_total{signal="metrics",source="agent-m"} 5');
    });

    it('a batch whose insert failed in one table is retried: every table holds it once, also after a lost acknowledgement', async function () {
      const bytes = request(everyKind('retry'));
      await store.command('RENAME TABLE otel_metrics_histogram TO otel_metrics_histogram_away');
      let failed: unknown;
      try {
        failed = await ingest.metrics(bytes, meta('m-retry')).catch((e: unknown) => e);
      } finally {
        await store.command('RENAME TABLE otel_metrics_histogram_away TO otel_metrics_histogram');
      }
      expect(failed).to.be.instanceOf(Error);
      expect(await countsOf('retry.')).to.deep.equal([1, 1, 0, 1, 1]);
      // The sender retries: only the histogram's part is stored now.
      expect((await ingest.metrics(bytes, meta('m-retry'))).records).to.equal(5);
      expect(await countsOf('retry.')).to.deep.equal([1, 1, 1, 1, 1]);
      // Its answer is lost and it sends the batch again: nothing more is stored anywhere.
      await ingest.metrics(bytes, meta('m-retry'));
      expect(await countsOf('retry.')).to.deep.equal([1, 1, 1, 1, 1]);
      expect(await metrics.registry.metrics()).to.match(/rollpoint_backend_duplicate_batches_total\{table="otel_metrics_gauge"\} 2/);
    });

    it('refuses a malformed Export without storing any of it', async function () {
      const bytes = Buffer.from(request(everyKind('malformed')));
      const refused = await ingest.metrics(bytes.subarray(0, bytes.length - 2), meta('m-malformed')).catch((e: unknown) => e);
      expect(refused).to.be.instanceOf(UndecodableError);
      expect(await countsOf('malformed.')).to.deep.equal([0, 0, 0, 0, 0]);
    });
  });
});
