import type { Server } from '@grpc/grpc-js';
import { startOtlpGrpcServer, stopGrpcServer, type ExportObserver } from '@rollpoint/runtime';
import type { FastifyInstance } from 'fastify';
import type { Component, ComponentContext, ReceiverConsumers } from '../../component.js';
import type { OtlpReceiverConfig } from './config.js';
import { startOtlpHttpServer } from './http.js';

const MIB = 1024 * 1024;

/** The agent's OTLP receiver: OTLP/gRPC and OTLP/HTTP for traces, logs and metrics from applications. */
export class OtlpReceiver implements Component {
  private grpc?: Server;
  private http?: FastifyInstance;

  constructor(
    private readonly config: OtlpReceiverConfig,
    private readonly consumers: ReceiverConsumers,
    private readonly context: ComponentContext,
  ) {}

  /** Counts and logs what both protocols accept and refuse. */
  private observer(): ExportObserver {
    const { id, metrics, logger } = this.context;
    return {
      accepted: (signal, records) => metrics.acceptedRecords.inc({ receiver: id, signal }, records),
      rejected: (signal, { rejected, errorMessage }) => {
        metrics.refusedRecords.inc({ receiver: id, signal }, rejected);
        logger.warn({ receiver: id, signal, rejected, reason: errorMessage }, 'refused malformed records');
      },
      failed: (signal, err) => logger.warn({ receiver: id, signal, err: err.message }, 'could not pass data on; the sender was told to retry'),
      finished: (method, code) => metrics.grpcRequests.inc({ receiver: id, method, code }),
    };
  }

  async start(): Promise<void> {
    const { grpc, http } = this.config.protocols;
    const observer = this.observer();
    if (grpc) {
      const started = await startOtlpGrpcServer({
        endpoint: grpc.endpoint,
        maxRecvMsgBytes: grpc.max_recv_msg_size_mib * MIB,
        ...this.consumers,
        observer,
      });
      this.grpc = started.server;
      this.context.logger.info({ receiver: this.context.id, port: started.port }, 'OTLP/gRPC listening');
    }
    if (http) {
      this.http = await startOtlpHttpServer({
        endpoint: http.endpoint,
        maxBodyBytes: http.max_request_body_size_mib * MIB,
        consumers: this.consumers,
        observer,
        context: this.context,
      });
    }
  }

  async shutdown(): Promise<void> {
    await Promise.all([this.grpc && stopGrpcServer(this.grpc), this.http?.close()]);
  }
}
