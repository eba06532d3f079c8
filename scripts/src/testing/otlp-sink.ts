import type { ExportMetricsServiceRequest } from '@rollpoint/proto';
import { startOtlpGrpcServer, stopGrpcServer, type ExportMeta } from '@rollpoint/runtime';

/** One Export as it arrived: the decoded request and what its metadata said. */
export interface Arrived<Req> {
  request: Req;
  meta: ExportMeta;
}

export interface MetricsSink {
  port: number;
  /** Every metrics Export taken, in order of arrival. */
  arrived: Array<Arrived<ExportMetricsServiceRequest>>;
  stop(): Promise<void>;
}

const ignore = (): void => undefined;

/**
 * A real OTLP/gRPC server (runtime's, as the backend runs it) standing in for the backend: it
 * takes metrics and keeps them, so a test can compare what an agent delivered with what was sent.
 * Other signals (the agent's heartbeats) are answered UNIMPLEMENTED.
 */
export async function startMetricsSink(): Promise<MetricsSink> {
  const arrived: Array<Arrived<ExportMetricsServiceRequest>> = [];
  const { server, port } = await startOtlpGrpcServer({
    endpoint: '127.0.0.1:0',
    maxRecvMsgBytes: 64 * 1024 * 1024,
    metrics: async (request, meta) => {
      arrived.push({ request, meta: meta ?? {} });
    },
    observer: { accepted: ignore, rejected: ignore, failed: ignore, finished: ignore },
  });
  return { port, arrived, stop: () => stopGrpcServer(server) };
}
