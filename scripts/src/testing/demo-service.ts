// A service instrumented with the OpenTelemetry SDK for Node.js, for the demo: it serves a steady
// stream of requests (spans) for DURATION_MS, failing a share ERROR_RATE of them, and exports them
// over OTLP/gRPC to OTLP_ENDPOINT. SERVICE_NAME and SERVICE_VERSION name it.
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';

const env = (name: string, fallback: string): string => process.env[name] ?? fallback;
const sdk = new NodeSDK({
  resource: resourceFromAttributes({ 'service.name': env('SERVICE_NAME', 'checkout'), 'service.version': env('SERVICE_VERSION', '1.0.0'), 'host.name': env('HOST_NAME', 'web-1') }),
  autoDetectResources: false,
  spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: env('OTLP_ENDPOINT', 'http://127.0.0.1:4317') }), scheduledDelayMillis: 500 })],
  instrumentations: [],
});
sdk.start();

const tracer = trace.getTracer('rollpoint-demo');
const errorRate = Number(env('ERROR_RATE', '0.005'));
const until = Date.now() + Number(env('DURATION_MS', '60000'));
const perSecond = Number(env('REQUESTS_PER_SECOND', '40'));
let stopping = false;
process.on('SIGTERM', () => (stopping = true));

let served = 0;
while (!stopping && Date.now() < until) {
  const span = tracer.startSpan('POST /api/orders');
  const failed = Math.random() < errorRate;
  await new Promise((resolve) => setTimeout(resolve, 1000 / perSecond));
  if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream timeout' });
  span.end();
  served++;
}
await sdk.shutdown();
process.stdout.write(`${served}\n`);
