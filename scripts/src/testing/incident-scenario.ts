import { status } from '@grpc/grpc-js';
import { logs, traces } from '@rollpoint/proto';
import { appLogsRequest, deviceEventRequest, trafficRequest } from '@rollpoint/backend/testing/scenario-data';
import { rawExport } from './grpc.js';
import { waitUntil, type BackendProcess } from './processes.js';

// A deploy regression with a known answer, sent straight to a backend over OTLP/gRPC (one source:
// 127.0.0.1): shop-cart 2.0.0 → 2.1.0 at +25:05, errors +26…+31 (and p95 900 ms from +28, with
// error logs), a feature-flag marker at +25:45 by ana, the router's config change at +25:30 and a
// link flap at +27. And a second scope, `late`, failing from +35 into the next minutes: its
// incident is still open.

const MINUTE = 60_000;

export const SCENARIO_SCOPES = {
  shop: { services: ['shop-*'], hosts: [], devices: ['shop-edge'] },
  late: { services: ['late-*'], hosts: [], devices: [] },
};

export interface IncidentScenario {
  /** The start of the scenario: 40 minutes ago, on the minute. */
  t0: number;
  at(minutes: number, seconds?: number): number;
  /** What was sent: spans and log records (device events and application logs). */
  spans: number;
  logRecords: number;
  traceExports: number;
  logExports: number;
}

export async function sendIncidentScenario(backend: BackendProcess, auth: Record<string, string> = {}): Promise<IncidentScenario> {
  const t0 = Math.floor(Date.now() / MINUTE) * MINUTE - 40 * MINUTE;
  const at = (minutes: number, seconds = 0): number => t0 + minutes * MINUTE + seconds * 1000;
  const shop = { service: 'shop-cart', host: 'shop-web-1', spansPerMinute: 60, latencyMs: () => 30 };
  const late = { service: 'late-web', version: '4.0.0', host: 'late-host', spansPerMinute: 60, latencyMs: () => 30 };
  const spanRequests = [
    trafficRequest({ ...shop, version: '2.0.0', from: at(0), to: at(25, 5), errorRate: () => 0.005 }),
    trafficRequest({ ...shop, version: '2.1.0', from: at(25, 5), to: at(26), errorRate: () => 0.005 }),
    trafficRequest({ ...shop, version: '2.1.0', from: at(26), to: at(31), errorRate: () => 0.4, latencyMs: (t) => (t < at(28) ? 30 : 900) }),
    trafficRequest({ ...shop, version: '2.1.0', from: at(31), to: at(40), errorRate: () => 0.005 }),
    trafficRequest({ ...late, from: at(0), to: at(35), errorRate: () => 0.005 }),
    trafficRequest({ ...late, from: at(35), to: Date.now() + 2 * MINUTE, errorRate: () => 0.5 }),
  ];
  const logRequests = [
    deviceEventRequest('shop-edge', at(25, 30), '%SYS-5-CONFIG_I: Configured from console by admin on vty0', 'config_change'),
    deviceEventRequest('shop-edge', at(27, 10), '%LINK-3-UPDOWN: Interface Gi0/1, changed state to down', 'link_down'),
    deviceEventRequest('shop-edge', at(27, 40), '%LINK-3-UPDOWN: Interface Gi0/1, changed state to up', 'link_up'),
    appLogsRequest('shop-cart', 'shop-web-1', [
      ...Array.from({ length: 12 }, (_, i) => ({ timeMs: at(28, i * 5), body: 'payment declined: upstream timeout', severityNumber: 17 })),
      ...Array.from({ length: 3 }, (_, i) => ({ timeMs: at(28, 2 + i * 10), body: 'basket service unavailable', severityNumber: 17 })),
      { timeMs: at(28, 30), body: 'retrying payment', severityNumber: 9 },
    ]),
  ];
  const sending = Date.now();
  for (const request of spanRequests) {
    const answer = await rawExport(backend.grpcPort, traces.grpcMethod, traces.encode(request));
    if (answer.code !== status.OK) throw new Error(`sending spans failed: ${answer.details}`);
  }
  for (const request of logRequests) {
    const answer = await rawExport(backend.grpcPort, logs.grpcMethod, logs.encode(request));
    if (answer.code !== status.OK) throw new Error(`sending logs failed: ${answer.details}`);
  }
  const marker = await fetch(`${backend.url}/api/v1/changes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({ time: new Date(at(25, 45)).toISOString(), entity_kind: 'service', entity: 'shop-cart', title: 'feature flag new-basket on', author: 'ana' }),
  });
  if (marker.status !== 201) throw new Error(`posting the marker failed: ${marker.status}`);
  const spans = spanRequests.reduce((n, r) => n + r.resourceSpans!.reduce((m, rs) => m + rs.scopeSpans![0]!.spans!.length, 0), 0);
  const logRecords = logRequests.reduce((n, r) => n + r.resourceLogs![0]!.scopeLogs![0]!.logRecords!.length, 0);
  await waitUntil(async () => Number((await backend.sql('SELECT count() AS n FROM otel_traces'))[0]!.n) === spans, 'the spans to be stored');
  await waitUntil(async () => Number((await backend.sql('SELECT count() AS n FROM otel_logs'))[0]!.n) === logRecords, 'the log records to be stored');
  // The watermark of the last export (`late` runs into the future: capped at the moment it was sent)
  // is written to source_watermarks within a second; completeness reads it from there.
  await waitUntil(async () => Number((await backend.sql('SELECT toUnixTimestamp64Milli(max(watermark)) AS ms FROM source_watermarks FINAL'))[0]!.ms) >= sending, 'the watermark to be stored');
  // Stores the incidents and checkpoints now, as the periodic recompute would after the next window.
  const recompute = await fetch(`${backend.url}/api/v1/recompute`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({ from: new Date(t0).toISOString(), to: new Date().toISOString() }),
  });
  if (!recompute.ok) throw new Error(`recompute failed: ${recompute.status} ${await recompute.text()}`);
  return { t0, at, spans, logRecords, traceExports: spanRequests.length, logExports: logRequests.length };
}
