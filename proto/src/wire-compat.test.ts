import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { AggregationType, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { JsonLogsSerializer, JsonMetricsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { SeverityNumber } from '@opentelemetry/api';
import { expect } from 'chai';
import { ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest } from './otlp.js';
import { idToHex } from './ids.js';
import { logs, metrics, traces } from './signals.js';

// Wire compatibility with the OpenTelemetry JS SDK's own OTLP serializers (@opentelemetry/otlp-transformer).

const resource = resourceFromAttributes({ 'service.name': 'wire', 'service.version': '2.0.0' });

function sdkSpans() {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const tracer = provider.getTracer('wire-test', '1.0.0');
  const parent = tracer.startSpan('parent', { kind: SpanKind.SERVER, attributes: { 'a.int': 7, 'a.bool': false, 'a.list': ['x', 'y'], 'a.double': 0.25 } });
  const child = tracer.startSpan('child', { kind: SpanKind.PRODUCER }, trace.setSpan(context.active(), parent));
  child.addEvent('queued', { depth: 3 });
  child.addLink({ context: parent.spanContext(), attributes: { why: 'follows' } });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'full' });
  child.end();
  parent.end();
  return exporter.getFinishedSpans();
}

function sdkLogRecords() {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter })] });
  const logger = provider.getLogger('wire-test', '1.0.0');
  logger.emit({ severityNumber: SeverityNumber.WARN, severityText: 'WARN', body: 'disk at 91%', attributes: { 'disk.path': '/var', pct: 91 }, eventName: 'disk.full' });
  logger.emit({ severityNumber: SeverityNumber.INFO, body: { structured: true, n: 1 } });
  return exporter.getFinishedLogRecords();
}

/** A reader that collects when asked, so a test gets the SDK's metrics without a timer. */
class CollectingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** One of each instrument kind, read as the SDK hands it to its exporters. */
async function sdkMetrics() {
  const reader = new CollectingReader();
  const views = [{ instrumentName: 'payload.size', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM as const } }];
  const meter = new MeterProvider({ resource, readers: [reader], views }).getMeter('wire-test', '1.0.0');
  meter.createCounter('requests').add(3, { route: '/pay' });
  meter.createUpDownCounter('inflight').add(-2);
  meter.createHistogram('duration', { unit: 's' }).record(0.25);
  const sizes = meter.createHistogram('payload.size', { unit: 'By' });
  for (const size of [3, 512, 4096]) sizes.record(size);
  meter.createObservableGauge('queue.depth').addCallback((result) => result.observe(7.5));
  return (await reader.collect()).resourceMetrics;
}

/** A canonical, comparable view of a decoded message. */
const plain = (message: object, type: { toObject(m: never, o: object): object }) =>
  type.toObject(message as never, { longs: String, enums: Number, bytes: String, defaults: false });

describe('wire compatibility with the OpenTelemetry JS SDK', function () {
  it('decodes the SDK’s protobuf traces to the same content as its OTLP/JSON', function () {
    const spans = sdkSpans();
    const fromProtobuf = traces.decode(ProtobufTraceSerializer.serializeRequest(spans)!);
    const fromJson = traces.fromJson(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)!));
    expect(plain(fromProtobuf, ExportTraceServiceRequest)).to.deep.equal(plain(fromJson, ExportTraceServiceRequest));

    const decoded = fromProtobuf.resourceSpans![0]!.scopeSpans![0]!.spans!;
    expect(decoded.map((s) => s.name)).to.have.members(['parent', 'child']);
    const child = decoded.find((s) => s.name === 'child')!;
    const parent = spans.find((s) => s.name === 'parent')!;
    expect(idToHex(child.traceId)).to.equal(parent.spanContext().traceId);
    expect(idToHex(child.parentSpanId)).to.equal(parent.spanContext().spanId);
    expect(child.kind).to.equal(4);
    expect(child.status).to.deep.include({ code: 2, message: 'full' });
    expect(child.events![0]!.name).to.equal('queued');
    expect(idToHex(child.links![0]!.spanId)).to.equal(parent.spanContext().spanId);
    expect(traces.countRecords(fromProtobuf)).to.equal(2);
  });

  it('decodes the SDK’s protobuf logs to the same content as its OTLP/JSON', function () {
    const records = sdkLogRecords();
    const fromProtobuf = logs.decode(ProtobufLogsSerializer.serializeRequest(records)!);
    const fromJson = logs.fromJson(new TextDecoder().decode(JsonLogsSerializer.serializeRequest(records)!));
    expect(plain(fromProtobuf, ExportLogsServiceRequest)).to.deep.equal(plain(fromJson, ExportLogsServiceRequest));
    const decoded = fromProtobuf.resourceLogs![0]!.scopeLogs![0]!.logRecords!;
    expect(decoded[0]).to.deep.include({ severityNumber: 13, severityText: 'WARN', eventName: 'disk.full' });
    expect(decoded[0]!.body!.stringValue).to.equal('disk at 91%');
    expect(decoded[1]!.body!.kvlistValue!.values!.map((kv) => kv.key)).to.deep.equal(['structured', 'n']);
  });

  it('decodes the SDK’s protobuf metrics, every instrument kind, to the same content as its OTLP/JSON', async function () {
    const collected = await sdkMetrics();
    const fromProtobuf = metrics.decode(ProtobufMetricsSerializer.serializeRequest(collected)!);
    const fromJson = metrics.fromJson(new TextDecoder().decode(JsonMetricsSerializer.serializeRequest(collected)!));
    expect(plain(fromProtobuf, ExportMetricsServiceRequest)).to.deep.equal(plain(fromJson, ExportMetricsServiceRequest));
    const decoded = new Map(fromProtobuf.resourceMetrics![0]!.scopeMetrics![0]!.metrics!.map((m) => [m.name!, m]));
    expect([decoded.get('requests')!.sum!.isMonotonic, decoded.get('inflight')!.sum!.isMonotonic]).to.deep.equal([true, false]);
    expect(decoded.get('requests')!.sum!.dataPoints![0]!.asDouble).to.equal(3);
    expect(decoded.get('duration')!.histogram!.dataPoints![0]!.sum).to.equal(0.25);
    expect(String(decoded.get('payload.size')!.exponentialHistogram!.dataPoints![0]!.count)).to.equal('3');
    expect(decoded.get('queue.depth')!.gauge!.dataPoints![0]!.asDouble).to.equal(7.5);
    expect(metrics.countRecords(fromProtobuf)).to.equal(5);
  });

  it('re-encodes what it decoded without losing anything', function () {
    const bytes = ProtobufTraceSerializer.serializeRequest(sdkSpans())!;
    const again = traces.decode(traces.encode(traces.decode(bytes)));
    expect(plain(again, ExportTraceServiceRequest)).to.deep.equal(plain(traces.decode(bytes), ExportTraceServiceRequest));
  });

  it('encodes partial-success responses that the SDK reads', function () {
    const traceAnswer = ProtobufTraceSerializer.deserializeResponse(traces.encodeResponse({ rejected: 2, errorMessage: 'bad ids' }));
    expect(Number(traceAnswer.partialSuccess?.rejectedSpans)).to.equal(2);
    expect(traceAnswer.partialSuccess?.errorMessage).to.equal('bad ids');
    const logAnswer = ProtobufLogsSerializer.deserializeResponse(logs.encodeResponse({ rejected: 1, errorMessage: 'severity' }));
    expect(Number(logAnswer.partialSuccess?.rejectedLogRecords)).to.equal(1);
    const metricAnswer = ProtobufMetricsSerializer.deserializeResponse(metrics.encodeResponse({ rejected: 3, errorMessage: 'exemplar ids' }));
    expect(Number(metricAnswer.partialSuccess?.rejectedDataPoints)).to.equal(3);
    expect(ProtobufTraceSerializer.deserializeResponse(traces.encodeResponse({ rejected: 0, errorMessage: '' })).partialSuccess).to.equal(undefined);
  });
});
