import {
  ATTR_ROLLPOINT_EVENT_KIND,
  SCOPE_SYSLOG,
  type DeviceEventKind,
  type ExportLogsServiceRequest,
  type ExportMetricsServiceRequest,
  type ExportTraceServiceRequest,
  type KeyValue,
  type Metric,
  type Span,
} from '@rollpoint/proto';
import { createHash } from 'node:crypto';
import Long from 'long';
import { storeExport } from '../ingest/store-export.js';
import type { Store } from '../store/store.js';

// Synthetic telemetry for checkpoint scenarios and benchmarks, written through the real OTLP →
// write path's encoding into otel_traces, otel_logs and otel_metrics_*, so the materialized views see what ingest gives them.
// Test data, not the backend's API: its tests import it by path, the demo, e2e tests and benchmarks
// through the package's testing/scenario-data entry.

const nanos = (ms: number): Long => Long.fromNumber(Math.round(ms), true).multiply(1_000_000);
const text = (key: string, value: string): KeyValue => ({ key, value: { stringValue: value } });

export interface Traffic {
  service: string;
  version: string;
  host: string;
  /** [from, to) in Unix ms. */
  from: number;
  to: number;
  spansPerMinute: number;
  /** Share of spans in error at time t (ms). */
  errorRate(t: number): number;
  /** Duration of a span at time t (ms). */
  latencyMs(t: number): number;
  /** Attributes on each span (e.g. the server.address a request was sent to). */
  spanAttributes?: Readonly<Record<string, string>>;
}

/** A healthy service: 120 spans a minute, 0.4 % errors, 40 ms; `extra` changes any of it. */
export const steadyTraffic = (service: string, version: string, from: number, to: number, extra: Partial<Traffic> = {}): Traffic => ({
  service,
  version,
  host: `${service}-host`,
  from,
  to,
  spansPerMinute: 120,
  errorRate: () => 0.004,
  latencyMs: () => 40,
  ...extra,
});

/** What one service does for each request of a Traffic it serves (a callee): its version, host, errors and latency. */
export type Served = Pick<Traffic, 'service' | 'version' | 'host' | 'errorRate' | 'latencyMs'>;

const resourceOf = (served: Served) => ({ attributes: [text('service.name', served.service), text('service.version', served.version), text('host.name', served.host)] });

/**
 * Spans of one service over a time range, evenly spread; every n-th is an error as errorRate says.
 * With `callee`, each of them calls that service once: a child span in the callee, in the same
 * trace, whose errors and latency are the callee's (the caller's span lasts as long as both).
 */
export function trafficRequest(traffic: Traffic, callee?: Served): ExportTraceServiceRequest {
  const spans: Span[] = [];
  const calls: Span[] = [];
  const step = 60000 / traffic.spansPerMinute;
  // Trace ids differ between services, versions and hosts sending at the same moments.
  const salt = createHash('sha256').update(`${traffic.service}\n${traffic.version}\n${traffic.host}`).digest().readUInt32BE(0);
  const errors = { own: 0, callee: 0 };
  // Errors spread evenly: the running count follows rate × spans so far.
  const fails = (key: keyof typeof errors, n: number, rate: number): boolean => {
    if (Math.floor((n + 1) * rate) <= errors[key]) return false;
    errors[key]++;
    return true;
  };
  const attributes = Object.entries(traffic.spanAttributes ?? {}).map(([key, value]) => text(key, value));
  let n = 0;
  for (let t = traffic.from; t < traffic.to; t += step, n++) {
    const id = Buffer.alloc(16);
    id.writeDoubleBE(t, 0);
    id.writeUInt32BE(salt, 8);
    id.writeUInt32BE(n + 1, 12); // never an all-zero span id, which OTLP forbids
    const spanId = id.subarray(8);
    let latencyMs = traffic.latencyMs(t);
    if (callee) {
      const calleeMs = callee.latencyMs(t);
      const callId = Buffer.from(spanId);
      callId[0]! ^= 0xff;
      const status = { code: fails('callee', n, callee.errorRate(t)) ? 2 : 1 };
      calls.push({ traceId: id, spanId: callId, parentSpanId: spanId, name: 'GET /stock', kind: 2, startTimeUnixNano: nanos(t + 1), endTimeUnixNano: nanos(t + 1 + calleeMs), status });
      latencyMs += calleeMs;
    }
    spans.push({ traceId: id, spanId, name: 'POST /checkout', kind: 2, attributes, startTimeUnixNano: nanos(t), endTimeUnixNano: nanos(t + latencyMs), status: { code: fails('own', n, traffic.errorRate(t)) ? 2 : 1 } });
  }
  return {
    resourceSpans: [{ resource: resourceOf(traffic), scopeSpans: [{ spans }] }, ...(callee ? [{ resource: resourceOf(callee), scopeSpans: [{ spans: calls }] }] : [])],
  };
}

/** One syslog message or trap from a device (from `peerAddress`, when given), as the agent's receivers shape it. */
export function deviceEventRequest(
  device: string,
  timeMs: number,
  body: string,
  eventKind: DeviceEventKind | undefined,
  scope: string = SCOPE_SYSLOG,
  user?: string,
  peerAddress?: string,
): ExportLogsServiceRequest {
  const attributes = [
    ...(eventKind ? [text(ATTR_ROLLPOINT_EVENT_KIND, eventKind)] : []),
    ...(user ? [text('user.name', user)] : []),
    ...(peerAddress ? [text('network.peer.address', peerAddress)] : []),
  ];
  return {
    resourceLogs: [
      {
        resource: { attributes: [text('host.name', device)] },
        scopeLogs: [{ scope: { name: scope }, logRecords: [{ timeUnixNano: nanos(timeMs), observedTimeUnixNano: nanos(timeMs), severityNumber: 9, body: { stringValue: body }, attributes }] }],
      },
    ],
  };
}

/** An application's log records (one service on one host), as an OpenTelemetry SDK sends them. */
export function appLogsRequest(service: string, host: string, records: ReadonlyArray<{ timeMs: number; body: string; severityNumber: number }>): ExportLogsServiceRequest {
  return {
    resourceLogs: [
      {
        resource: { attributes: [text('service.name', service), text('host.name', host)] },
        scopeLogs: [{ logRecords: records.map((r) => ({ timeUnixNano: nanos(r.timeMs), observedTimeUnixNano: nanos(r.timeMs), severityNumber: r.severityNumber, body: { stringValue: r.body } })) }],
      },
    ],
  };
}

export async function storeTraffic(store: Store, traffic: Traffic, callee?: Served): Promise<void> {
  await storeExport(store, { signal: 'traces', request: trafficRequest(traffic, callee) });
}

export async function storeDeviceEvent(store: Store, ...args: Parameters<typeof deviceEventRequest>): Promise<void> {
  await storeExport(store, { signal: 'logs', request: deviceEventRequest(...args) }, { receivedAtNanos: BigInt(Math.round(args[1])) * 1_000_000n });
}

/**
 * A gauge as the hostmetrics receiver sends it (`system.filesystem.utilization` with its mountpoint):
 * one point every `intervalMs` in [from, to) (Unix ms), of the value `value` gives at its time.
 */
export function gaugeMetric(name: string, attributes: Readonly<Record<string, string>>, from: number, to: number, intervalMs: number, value: (t: number) => number): Metric {
  const dataPoints = [];
  for (let t = from; t < to; t += intervalMs) {
    dataPoints.push({ attributes: Object.entries(attributes).map(([k, v]) => text(k, v)), timeUnixNano: nanos(t), asDouble: value(t) });
  }
  return { name, unit: '1', gauge: { dataPoints } };
}

/** Metrics of one resource (`host.name`, `service.name`, …) in one Export. */
export const metricsRequest = (resource: Readonly<Record<string, string>>, metrics: Metric[]): ExportMetricsServiceRequest => ({
  resourceMetrics: [{ resource: { attributes: Object.entries(resource).map(([k, v]) => text(k, v)) }, scopeMetrics: [{ scope: { name: 'scenario' }, metrics }] }],
});

export async function storeMetrics(store: Store, ...args: Parameters<typeof metricsRequest>): Promise<void> {
  await storeExport(store, { signal: 'metrics', request: metricsRequest(...args) });
}
