import { gzipSync } from 'node:zlib';
import { status } from '@grpc/grpc-js';
import { logs, metrics, traces, type ExportLogsServiceRequest, type ExportTraceServiceRequest } from '@rollpoint/proto';
import { expect } from 'chai';
import Long from 'long';
import { rawExport } from '../testing/grpc.js';
import { metricValue, startAgentProcess, startBackendProcess, waitUntil, type AgentProcess, type BackendProcess } from '../testing/processes.js';

const nowNanos = (): Long => Long.fromNumber(Date.now(), true).multiply(1_000_000);
const id = (bytes: number, fill: number): Uint8Array => new Uint8Array(bytes).fill(fill);

function spans(marker: string, traceIdBytes = 16): ExportTraceServiceRequest {
  const time = nowNanos();
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bad-input' } }] },
        scopeSpans: [{ spans: [{ traceId: id(traceIdBytes, 7), spanId: id(8, 9), name: marker, startTimeUnixNano: time, endTimeUnixNano: time.add(1000) }] }],
      },
    ],
  };
}

function logRecord(body: string): ExportLogsServiceRequest {
  return { resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: nowNanos(), body: { stringValue: body } }] }] }] };
}

/** A valid encoding whose first string body byte is replaced by 0xff: invalid UTF-8. */
function invalidUtf8Logs(): Uint8Array {
  const bytes = Buffer.from(logs.encode(logRecord('café au lait')));
  bytes[bytes.indexOf(Buffer.from('café'))] = 0xff;
  return bytes;
}

const GARBAGE = Buffer.from('\xff\xfe this is not protobuf \x00\x01\x02', 'latin1');
const MIB = 1024 * 1024;

describe('bad input: the right status, counted, and the processes keep serving', function () {
  let backend: BackendProcess;
  let agent: AgentProcess;

  before(async function () {
    backend = await startBackendProcess({ maxRecvMsgSizeMib: 1 });
    agent = await startAgentProcess({ backendGrpcPort: backend.grpcPort, maxRecvMsgSizeMib: 1, batch: { timeout: '10ms' }, metrics: true });
  });

  after(async function () {
    await agent?.stop();
    await backend?.stop();
  });

  for (const target of ['agent', 'backend'] as const) {
    describe(`OTLP/gRPC on the ${target}`, function () {
      const port = () => (target === 'agent' ? agent.grpcPort : backend.grpcPort);
      const metricsText = () => (target === 'agent' ? agent.metrics() : backend.metrics());
      const counter = target === 'agent' ? 'rollpoint_agent_receiver_grpc_requests_total' : 'rollpoint_backend_grpc_requests_total';
      const sample = (method: string, code: string) =>
        target === 'agent' ? `${counter}{receiver="otlp",method="${method}",code="${code}"}` : `${counter}{method="${method}",code="${code}"}`;

      it('answers INVALID_ARGUMENT to garbage, truncated protobuf and invalid UTF-8, and counts them', async function () {
        const before = metricValue(await metricsText(), sample(logs.grpcMethod, 'INVALID_ARGUMENT'));
        const valid = logs.encode(logRecord('fine'));
        for (const bytes of [GARBAGE, valid.subarray(0, valid.length - 3), invalidUtf8Logs()]) {
          const answer = await rawExport(port(), logs.grpcMethod, bytes);
          expect(answer.code, answer.details).to.equal(status.INVALID_ARGUMENT);
          expect(answer.details).to.match(/undecodable OTLP logs request/);
        }
        expect(metricValue(await metricsText(), sample(logs.grpcMethod, 'INVALID_ARGUMENT'))).to.equal(before + 3);
      });

      it('answers RESOURCE_EXHAUSTED to a request over the size limit, and counts it', async function () {
        const before = metricValue(await metricsText(), sample(logs.grpcMethod, 'TRANSPORT'));
        const answer = await rawExport(port(), logs.grpcMethod, logs.encode(logRecord('x'.repeat(2 * MIB))));
        expect(answer.code, answer.details).to.equal(status.RESOURCE_EXHAUSTED);
        await waitUntil(async () => metricValue(await metricsText(), sample(logs.grpcMethod, 'TRANSPORT')) === before + 1, 'the oversize call to be counted', 5000);
      });

      it('rejects a span with a 15-byte trace id through partial success and stores the rest', async function () {
        const marker = `partial-${target}`;
        const request = spans(marker);
        request.resourceSpans![0]!.scopeSpans![0]!.spans!.push(...spans('wrong-id', 15).resourceSpans![0]!.scopeSpans![0]!.spans!);
        const answer = await rawExport(port(), traces.grpcMethod, traces.encode(request));
        expect(answer.code, answer.details).to.equal(status.OK);
        const rejection = traces.decodeResponse(answer.response!);
        expect(rejection.rejected).to.equal(1);
        expect(rejection.errorMessage).to.include('trace_id must be 16 bytes, got 15');
        await waitUntil(async () => (await backend.sql(`SELECT count() AS n FROM otel_traces WHERE SpanName = '${marker}'`))[0]!.n === '1', 'the valid span to be stored');
        expect((await backend.sql("SELECT count() AS n FROM otel_traces WHERE SpanName = 'wrong-id'"))[0]!.n).to.equal('0');
        const refused = target === 'agent' ? 'rollpoint_agent_receiver_refused_records_total{receiver="otlp",signal="traces"}' : 'rollpoint_backend_rejected_records_total{signal="traces"}';
        expect(metricValue(await metricsText(), refused)).to.be.at.least(1);
      });

      it('answers INVALID_ARGUMENT to an undecodable metrics request and takes an empty one', async function () {
        const before = metricValue(await metricsText(), sample(metrics.grpcMethod, 'INVALID_ARGUMENT'));
        const garbage = await rawExport(port(), metrics.grpcMethod, GARBAGE);
        expect(garbage.code, garbage.details).to.equal(status.INVALID_ARGUMENT);
        expect(garbage.details).to.match(/undecodable OTLP metrics request/);
        expect(metricValue(await metricsText(), sample(metrics.grpcMethod, 'INVALID_ARGUMENT'))).to.equal(before + 1);
        const empty = await rawExport(port(), metrics.grpcMethod, new Uint8Array());
        expect(empty.code, empty.details).to.equal(status.OK);
      });
    });
  }

  describe('OTLP/HTTP on the agent', function () {
    const post = (path: string, body: Uint8Array | string, headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${agent.httpPort}${path}`, { method: 'POST', body, headers });

    it('answers each kind of bad request with its status and counts it', async function () {
      const cases: Array<[string, Uint8Array | string, Record<string, string>, number]> = [
        ['wrong content-type', 'hello', { 'content-type': 'text/plain' }, 415],
        ['garbage protobuf', GARBAGE, { 'content-type': 'application/x-protobuf' }, 400],
        ['invalid UTF-8 protobuf', invalidUtf8Logs(), { 'content-type': 'application/x-protobuf' }, 400],
        ['broken JSON', '{"resourceLogs": [', { 'content-type': 'application/json' }, 400],
        ['lone surrogate in JSON', '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"\\ud800"}}]}]}]}', { 'content-type': 'application/json' }, 400],
        ['a trace id that is not hex', '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}', { 'content-type': 'application/json' }, 400],
        ['corrupt gzip', Buffer.from('not gzip at all'), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' }, 400],
        ['unknown content-encoding', logs.encode(logRecord('x')), { 'content-type': 'application/x-protobuf', 'content-encoding': 'br' }, 415],
        ['a body over the limit', gzipSync(logs.encode(logRecord('y'.repeat(2 * MIB)))), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' }, 413],
      ];
      const before = await agent.metrics();
      for (const [name, body, headers, expected] of cases) {
        const path = name.includes('trace id') ? '/v1/traces' : '/v1/logs';
        const response = await post(path, body, headers);
        expect(response.status, name).to.equal(expected);
      }
      const after = await agent.metrics();
      const delta = (code: number, path = '/v1/logs') =>
        metricValue(after, `rollpoint_agent_receiver_http_requests_total{receiver="otlp",path="${path}",code="${code}"}`) -
        metricValue(before, `rollpoint_agent_receiver_http_requests_total{receiver="otlp",path="${path}",code="${code}"}`);
      expect([delta(415), delta(400), delta(400, '/v1/traces'), delta(413)]).to.deep.equal([2, 5, 1, 1]);
    });

    it('answers protobuf errors with a google.rpc.Status body', async function () {
      const response = await post('/v1/logs', GARBAGE, { 'content-type': 'application/x-protobuf' });
      const body = Buffer.from(await response.arrayBuffer());
      expect(response.headers.get('content-type')).to.equal('application/x-protobuf');
      expect(body[0]).to.equal(0x08); // field 1 (code), varint
      expect(body[1]).to.equal(status.INVALID_ARGUMENT);
      expect(body.toString('latin1')).to.include('undecodable OTLP logs request');
    });

    it('accepts gzip-compressed protobuf and JSON after all that', async function () {
      const proto = await post('/v1/traces', gzipSync(traces.encode(spans('after-bad-http-proto'))), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' });
      expect(proto.status).to.equal(200);
      expect(proto.headers.get('content-type')).to.equal('application/x-protobuf');
      const json = await post('/v1/logs', JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'after-bad-http-json' } }] }] }] }), { 'content-type': 'application/json' });
      expect(json.status).to.equal(200);
      expect(await json.json()).to.deep.equal({});
      await waitUntil(
        async () =>
          (await backend.sql("SELECT (SELECT count() FROM otel_traces WHERE SpanName = 'after-bad-http-proto') + (SELECT count() FROM otel_logs WHERE Body = 'after-bad-http-json') AS n"))[0]!.n === '2',
        'both to be stored',
      );
    });
  });

  it('splits a batch larger than the backend takes into requests it does take', async function () {
    // Its own agent: receives up to 4 MiB, sends at most 1 MiB (the backend here takes 1 MiB).
    const splitting = await startAgentProcess({ backendGrpcPort: backend.grpcPort, maxRecvMsgSizeMib: 4, exporterMaxSendMib: 1, batch: { timeout: '10ms' } });
    try {
      const request: ExportLogsServiceRequest = {
        resourceLogs: [{ scopeLogs: [{ logRecords: Array.from({ length: 30 }, (_, i) => ({ timeUnixNano: nowNanos(), body: { stringValue: `split-${i}-${'z'.repeat(100 * 1024)}` } })) }] }],
      };
      const before = metricValue(await backend.metrics(), `rollpoint_backend_grpc_requests_total{method="${logs.grpcMethod}",code="OK"}`);
      const answer = await rawExport(splitting.grpcPort, logs.grpcMethod, logs.encode(request));
      expect(answer.code, answer.details).to.equal(status.OK);
      await waitUntil(async () => (await backend.sql("SELECT count() AS n FROM otel_logs WHERE startsWith(Body, 'split-')"))[0]!.n === '30', 'the 30 records to be stored');
      // Each call is counted as its answer goes out, just after its rows are stored.
      const okCalls = async () => metricValue(await backend.metrics(), `rollpoint_backend_grpc_requests_total{method="${logs.grpcMethod}",code="OK"}`) - before;
      await waitUntil(async () => (await okCalls()) >= 4, 'at least 4 requests of at most 1 MiB');
    } finally {
      await splitting.stop();
    }
  });

  it('leaves both processes up and serving', async function () {
    expect(agent.child.exitCode).to.equal(null);
    expect(backend.child.exitCode).to.equal(null);
    const answer = await rawExport(agent.grpcPort, traces.grpcMethod, traces.encode(spans('still-alive')));
    expect(answer.code).to.equal(status.OK);
    await waitUntil(async () => (await backend.sql("SELECT count() AS n FROM otel_traces WHERE SpanName = 'still-alive'"))[0]!.n === '1', 'the span to be stored');
  });
});
