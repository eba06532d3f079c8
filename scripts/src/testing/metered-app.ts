import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, AggregationType, InstrumentType, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';

// An app instrumented with the OpenTelemetry JS SDK: one instrument of each kind, recording the same
// values in two collections, so tests can check what reached the agent, or the tables, against them.

const HOUR_MS = 3_600_000;
/** Data points each app exports per collection: one per instrument. */
export const POINTS_PER_COLLECTION = 5;

/** An app with one instrument of each kind, exporting only when told to (forceFlush). */
export class MeteredApp {
  readonly exporter: PushMetricExporter;
  private readonly provider: MeterProvider;
  private readonly reader: PeriodicExportingMetricReader;
  private depth = 0;
  readonly requests;
  readonly inflight;
  readonly duration;
  readonly sizes;

  constructor(
    readonly service: string,
    exporter: PushMetricExporter,
  ) {
    this.exporter = exporter;
    this.reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: HOUR_MS, exportTimeoutMillis: 30_000 });
    this.provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': service }),
      readers: [this.reader],
      views: [{ instrumentName: 'payload.size', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
    });
    const meter = this.provider.getMeter('rollpoint-e2e', '0.1.0');
    this.requests = meter.createCounter('requests', { unit: '{request}' });
    this.inflight = meter.createUpDownCounter('inflight');
    this.duration = meter.createHistogram('duration', { unit: 's' });
    this.sizes = meter.createHistogram('payload.size', { unit: 'By' });
    meter.createObservableGauge('queue.depth').addCallback((result) => result.observe(this.depth));
  }

  /** What the app records before its first collection. */
  recordFirstCollection(): void {
    this.requests.add(3, { route: '/pay' });
    this.inflight.add(5);
    this.duration.record(0.2);
    this.duration.record(1.5);
    this.sizes.record(3);
    this.sizes.record(512);
    this.depth = 7;
  }

  /** What the app records between its first and second collection. */
  recordSecondCollection(): void {
    this.requests.add(2, { route: '/pay' });
    this.inflight.add(-7);
    this.duration.record(7);
    this.sizes.record(4096);
    this.depth = 11;
  }

  /** Collects and exports now; rejects when the agent did not take the export. */
  flush(): Promise<void> {
    return this.reader.forceFlush();
  }

  /** The OTLP temporality (1 delta, 2 cumulative) the SDK chose for an instrument kind. */
  temporality(kind: InstrumentType): number {
    return this.exporter.selectAggregationTemporality!(kind) === AggregationTemporality.DELTA ? 1 : 2;
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}
