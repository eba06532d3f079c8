// A small application instrumented with the OpenTelemetry SDK for Node.js: it sends a known set of
// spans and logs over OTLP/gRPC to OTLP_ENDPOINT, then prints (as JSON) what it sent, so tests can
// compare what was stored with what the SDK really emitted.
import { context, logs, SeverityNumber, SpanKind, SpanStatusCode, trace, type HrTime } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';

const url = process.env.OTLP_ENDPOINT ?? 'http://127.0.0.1:4317';
const serviceVersion = process.env.SERVICE_VERSION ?? '1.4.2';

const sdk = new NodeSDK({
  resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.version': serviceVersion, 'deployment.environment.name': 'e2e' }),
  autoDetectResources: false,
  spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }) })],
  logRecordProcessors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url }) })],
  instrumentations: [],
});
sdk.start();

const MS = 1_000_000;
const base = Math.floor(Date.now() / 1000) - 5;
/** An exact time `offsetMs` after `base`, as [seconds, nanoseconds]. */
const at = (offsetMs: number): HrTime => [base + Math.floor(offsetMs / 1000), (offsetMs % 1000) * MS];

const tracer = trace.getTracer('rollpoint-e2e', '0.1.0');
const logger = logs.getLogger('rollpoint-e2e', '0.1.0');

const root = tracer.startSpan('POST /checkout', {
  kind: SpanKind.SERVER,
  startTime: at(0),
  attributes: { 'http.request.method': 'POST', 'http.response.status_code': 500, 'cart.items': 3, 'cart.total': 42.5, 'cart.express': true },
});
const inRoot = trace.setSpan(context.active(), root);
const query = tracer.startSpan('SELECT orders', { kind: SpanKind.CLIENT, startTime: at(10), attributes: { 'db.system.name': 'postgresql' } }, inRoot);
query.end(at(30));
const charge = tracer.startSpan('charge card', { kind: SpanKind.INTERNAL, startTime: at(40) }, inRoot);
charge.addEvent('retry', { attempt: 2 }, at(50));
charge.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
const inCharge = trace.setSpan(context.active(), charge);
charge.end(at(90));
root.setStatus({ code: SpanStatusCode.ERROR });
root.end(at(100));

logger.emit({ timestamp: at(5), severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: 'order received', attributes: { 'order.id': 'o-1' }, context: inRoot });
logger.emit({ timestamp: at(45), severityNumber: SeverityNumber.WARN, severityText: 'WARN', body: 'payment retry', attributes: { attempt: 2 }, context: inCharge });
logger.emit({ timestamp: at(85), severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', body: 'card declined', attributes: { 'order.id': 'o-1' }, context: inCharge });

await sdk.shutdown();

const ids = (span: typeof root) => span.spanContext();
process.stdout.write(
  `${JSON.stringify({
    traceId: ids(root).traceId,
    spans: {
      root: ids(root).spanId,
      query: ids(query).spanId,
      charge: ids(charge).spanId,
    },
    baseSeconds: base,
  })}\n`,
);
