import { expect } from 'chai';
import { idToHex } from './ids.js';
import { logs, metrics, traces } from './signals.js';

describe('OTLP/JSON', function () {
  it('reads hex ids, 64-bit times as strings, enums as numbers or names', function () {
    const request = traces.fromJson(
      JSON.stringify({
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  { traceId: '5B8EFFF798038103D269B633813FC60C', spanId: 'eee19b7ec3c1b174', parentSpanId: '', name: 'a', kind: 'SPAN_KIND_CLIENT', startTimeUnixNano: '1544712660000000000', endTimeUnixNano: 1544712661000000000, links: [{ traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b173' }] },
                  { traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b175', kind: 3 },
                ],
              },
            ],
          },
        ],
      }),
    );
    const [a, b] = request.resourceSpans![0]!.scopeSpans![0]!.spans!;
    expect(idToHex(a!.traceId)).to.equal('5b8efff798038103d269b633813fc60c');
    expect(idToHex(a!.links![0]!.spanId)).to.equal('eee19b7ec3c1b173');
    expect(a!.startTimeUnixNano!.toString()).to.equal('1544712660000000000');
    expect([a!.kind, b!.kind]).to.deep.equal([3, 3]);
  });

  it('refuses ids that are not hex, bodies that are not objects and lone surrogates', function () {
    const bad = [
      ['{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz1"}]}]}]}', /traceId: "xyz1" is not a hex id/],
      ['{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"abc"}]}]}]}', /is not a hex id/],
      ['[1,2]', /must be a JSON object/],
      ['{"resourceSpans": "not a list"}', /resourceSpans: a list or an object is expected/],
    ] as const;
    for (const [text, message] of bad) expect(() => traces.fromJson(text), text).to.throw(message);
    expect(() => logs.fromJson('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"\\udc00x"}}]}]}]}')).to.throw(/lone UTF-16 surrogate/);
  });

  it('reads the hex ids of exemplars inside gauges, sums, histograms and exponential histograms', function () {
    const exemplar = (n: number) => ({ exemplars: [{ traceId: `5b8efff798038103d269b633813fc60${n}`, spanId: `eee19b7ec3c1b17${n}`, asDouble: n }] });
    const request = metrics.fromJson(
      JSON.stringify({
        resourceMetrics: [
          {
            scopeMetrics: [
              {
                metrics: [
                  { name: 'g', gauge: { dataPoints: [exemplar(1)] } },
                  { name: 's', sum: { dataPoints: [exemplar(2)], aggregationTemporality: 'AGGREGATION_TEMPORALITY_DELTA' } },
                  { name: 'h', histogram: { dataPoints: [exemplar(3)] } },
                  { name: 'e', exponentialHistogram: { dataPoints: [exemplar(4)] } },
                ],
              },
            ],
          },
        ],
      }),
    );
    const found = request.resourceMetrics![0]!.scopeMetrics![0]!.metrics!.map((m) => {
      const [e] = (m.gauge ?? m.sum ?? m.histogram ?? m.exponentialHistogram)!.dataPoints![0]!.exemplars!;
      return `${m.name} ${idToHex(e!.traceId)} ${idToHex(e!.spanId)}`;
    });
    expect(found).to.deep.equal([1, 2, 3, 4].map((n) => `${'gshe'[n - 1]} 5b8efff798038103d269b633813fc60${n} eee19b7ec3c1b17${n}`));
    expect(() => metrics.fromJson('{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"histogram":{"dataPoints":[{"exemplars":[{"spanId":"zz"}]}]}}]}]}]}')).to.throw(
      'resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[0].exemplars[0].spanId: "zz" is not a hex id',
    );
  });
});
