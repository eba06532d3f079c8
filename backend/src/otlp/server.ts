import { createBearerTokenCheck, startOtlpGrpcServer, type ExportObserver, type ServerTls } from '@rollpoint/runtime';
import type { Metadata, Server } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Ingest } from '../ingest/ingest.js';
import type { BackendMetrics } from '../telemetry/metrics.js';

const MIB = 1024 * 1024;

function observer(metrics: BackendMetrics, logger: Logger): ExportObserver {
  return {
    accepted: (signal, records) => metrics.acceptedRecords.inc({ signal }, records),
    rejected: (signal, { rejected, errorMessage }) => {
      metrics.rejectedRecords.inc({ signal }, rejected);
      logger.warn({ signal, rejected, reason: errorMessage }, 'rejected malformed records');
    },
    failed: (signal, err) => logger.error({ signal, err }, 'storing an export failed'),
    finished: (method, code) => metrics.grpcRequests.inc({ method, code }),
    tlsRefused: (reason, peer) => {
      metrics.tlsRefused.inc();
      logger.warn({ peer, reason }, 'TLS handshake failed: client refused');
    },
  };
}

function authenticator(tokens: Readonly<Record<string, string>>) {
  const check = createBearerTokenCheck(tokens);
  return (metadata: Metadata): string | undefined => {
    const [authorization] = metadata.get('authorization');
    return check(typeof authorization === 'string' ? authorization : undefined);
  };
}

/** The backend's OTLP/gRPC receiver: every accepted Export is stored before it is answered. */
export function startBackendOtlpServer(options: {
  endpoint: string;
  maxRecvMsgSizeMib: number;
  bearerTokens: Readonly<Record<string, string>>;
  maxInFlightMib: number;
  tls?: ServerTls;
  ingest: Ingest;
  metrics: BackendMetrics;
  logger: Logger;
}): Promise<{ server: Server; port: number }> {
  return startOtlpGrpcServer({
    endpoint: options.endpoint,
    maxRecvMsgBytes: options.maxRecvMsgSizeMib * MIB,
    maxInFlightBytes: options.maxInFlightMib * MIB,
    encoded: { traces: options.ingest.traces, logs: options.ingest.logs, metrics: options.ingest.metrics },
    observer: observer(options.metrics, options.logger),
    ...(Object.keys(options.bearerTokens).length > 0 ? { authenticate: authenticator(options.bearerTokens) } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
  });
}
