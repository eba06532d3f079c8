import { Client, credentials, Metadata, status, type Server, type ServiceError } from '@grpc/grpc-js';
import { metrics, type ExportMetricsServiceRequest } from '@rollpoint/proto';
import { expect } from 'chai';
import { startOtlpGrpcServer, stopGrpcServer, type OtlpGrpcServerOptions } from './grpc-server.js';
import type { ConsumeEncoded } from './pipeline.js';

const identity = (bytes: Buffer): Buffer => bytes;
const ignore = (): void => undefined;
const observer = { accepted: ignore, rejected: ignore, failed: ignore, finished: ignore };
const notCalled: ConsumeEncoded = async () => {
  throw new Error('not this signal');
};

/** One MetricsService/Export of `bytes`: the status code and, when OK, the answer. */
function exportMetrics(port: number, bytes: Uint8Array): Promise<{ code: status; details: string; response?: Buffer }> {
  const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(metrics.grpcMethod, identity, identity, Buffer.from(bytes), new Metadata(), {}, (err: ServiceError | null, response?: Buffer) => {
      client.close();
      resolve(err ? { code: err.code, details: err.details } : { code: status.OK, details: '', ...(response ? { response } : {}) });
    });
  });
}

const request: ExportMetricsServiceRequest = {
  resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'up', gauge: { dataPoints: [{ asDouble: 1 }, { asDouble: 0, exemplars: [{ spanId: new Uint8Array(3) }] }] } }] }] }],
};

describe('the OTLP/gRPC server and metrics', function () {
  let server: Server | undefined;
  const start = async (options: Partial<OtlpGrpcServerOptions>): Promise<number> => {
    const started = await startOtlpGrpcServer({ endpoint: '127.0.0.1:0', maxRecvMsgBytes: 1024 * 1024, observer, ...options });
    server = started.server;
    return started.port;
  };
  afterEach(async function () {
    if (server) await stopGrpcServer(server);
    server = undefined;
  });

  it('serves MetricsService to a decoded consumer, which gets the valid data points; the rest are partial success', async function () {
    const taken: ExportMetricsServiceRequest[] = [];
    const port = await start({ metrics: async (r) => void taken.push(r) });
    const answer = await exportMetrics(port, metrics.encode(request));
    expect(answer.code, answer.details).to.equal(status.OK);
    expect(metrics.decodeResponse(answer.response!)).to.deep.equal({ rejected: 1, errorMessage: '1 data points rejected: exemplar span_id must be 8 bytes, got 3' });
    expect(taken.map((r) => metrics.countRecords(r))).to.deep.equal([1]);
  });

  it('hands metrics to the undecoded consumer when one is given, and answers with its partial success', async function () {
    const port = await start({
      encoded: { traces: notCalled, logs: notCalled, metrics: async (bytes) => ({ records: metrics.countRecords(metrics.decode(bytes)), rejection: { rejected: 2, errorMessage: 'two refused' } }) },
    });
    const answer = await exportMetrics(port, metrics.encode(request));
    expect(answer.code, answer.details).to.equal(status.OK);
    expect(metrics.decodeResponse(answer.response!)).to.deep.equal({ rejected: 2, errorMessage: 'two refused' });
  });

  it('answers UNIMPLEMENTED without a metrics consumer, decoded or undecoded', async function () {
    for (const options of [{ logs: async () => undefined }, { encoded: { traces: notCalled, logs: notCalled } }]) {
      const port = await start(options);
      const answer = await exportMetrics(port, metrics.encode(request));
      expect([answer.code, answer.details]).to.deep.equal([status.UNIMPLEMENTED, 'this rollpoint endpoint does not take metrics']);
      await stopGrpcServer(server!);
      server = undefined;
    }
  });
});
