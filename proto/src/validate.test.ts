import { expect } from 'chai';
import type { Exemplar, ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest, Span } from './otlp.js';
import { rejectInvalidDataPoints, rejectInvalidLogRecords, rejectInvalidSpans } from './validate.js';

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);
const span = (name: string, fields: Partial<Span> = {}): Span => ({ name, traceId: bytes(16), spanId: bytes(8), ...fields });
const request = (...spans: Span[]): ExportTraceServiceRequest => ({ resourceSpans: [{ scopeSpans: [{ spans }] }] });
const names = (r: ExportTraceServiceRequest) => r.resourceSpans![0]!.scopeSpans![0]!.spans!.map((s) => s.name);

describe('record validation', function () {
  it('keeps well-formed spans and rejects nothing', function () {
    const r = request(span('a'), span('b', { parentSpanId: bytes(8, 2) }));
    expect(rejectInvalidSpans(r)).to.deep.equal({ rejected: 0, errorMessage: '' });
    expect(names(r)).to.deep.equal(['a', 'b']);
  });

  const badSpans: Array<[string, Partial<Span>, string]> = [
    ['short trace id', { traceId: bytes(15) }, 'trace_id must be 16 bytes, got 15'],
    ['missing trace id', { traceId: new Uint8Array() }, 'trace_id must be 16 bytes, got 0'],
    ['zero trace id', { traceId: bytes(16, 0) }, 'trace_id must not be all zeros'],
    ['long span id', { spanId: bytes(9) }, 'span_id must be 8 bytes, got 9'],
    ['short parent id', { parentSpanId: bytes(4) }, 'parent_span_id must be 8 bytes, got 4'],
    ['bad link', { links: [{ traceId: bytes(16), spanId: bytes(3) }] }, 'link span_id must be 8 bytes, got 3'],
  ];
  for (const [name, fields, reason] of badSpans) {
    it(`rejects a span with a ${name}, keeping the others`, function () {
      const r = request(span('good'), span('bad', fields), span('good too'));
      expect(rejectInvalidSpans(r)).to.deep.equal({ rejected: 1, errorMessage: `1 spans rejected: ${reason}` });
      expect(names(r)).to.deep.equal(['good', 'good too']);
    });
  }

  it('rejects log records with malformed optional ids or an impossible severity', function () {
    const r: ExportLogsServiceRequest = {
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ eventName: 'ok' }, { traceId: bytes(3) }, { spanId: bytes(8) }, { severityNumber: 99 as never }] }] }],
    };
    const rejection = rejectInvalidLogRecords(r);
    expect(rejection.rejected).to.equal(2);
    expect(rejection.errorMessage).to.equal('2 log records rejected: trace_id must be 16 bytes, got 3');
    expect(r.resourceLogs![0]!.scopeLogs![0]!.logRecords).to.have.length(2);
  });

  it('rejects data points with an exemplar id of the wrong length, in every kind that has exemplars', function () {
    const good: Exemplar = { traceId: bytes(16), spanId: bytes(8) };
    const point = (...exemplars: Exemplar[]) => ({ exemplars });
    const r: ExportMetricsServiceRequest = {
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                { name: 'g', gauge: { dataPoints: [point(good), point({ traceId: bytes(15) }), point(), point({ spanId: bytes(8) })] } },
                { name: 's', sum: { dataPoints: [point(good, { spanId: bytes(9) })] } },
                { name: 'h', histogram: { dataPoints: [point({ traceId: bytes(16, 0) }), point(good)] } },
                { name: 'e', exponentialHistogram: { dataPoints: [point({}), point({ spanId: bytes(4) })] } },
                { name: 'q', summary: { dataPoints: [{ sum: 1 }] } },
              ],
            },
          ],
        },
      ],
    };
    const rejection = rejectInvalidDataPoints(r);
    expect(rejection).to.deep.equal({ rejected: 4, errorMessage: '4 data points rejected: exemplar trace_id must be 16 bytes, got 15' });
    const left = r.resourceMetrics![0]!.scopeMetrics![0]!.metrics!.map((m) => (m.gauge ?? m.sum ?? m.histogram ?? m.exponentialHistogram ?? m.summary)!.dataPoints!.length);
    expect(left).to.deep.equal([3, 0, 1, 1, 1]);
  });
});
