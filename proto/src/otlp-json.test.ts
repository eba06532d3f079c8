import { expect } from 'chai';
import { idToHex } from './ids.js';
import { logs, traces } from './signals.js';

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
      ['{"resourceSpans": {"not": "a list"}}', /resourceSpans: a list is expected/],
    ] as const;
    for (const [text, message] of bad) expect(() => traces.fromJson(text), text).to.throw(message);
    expect(() => logs.fromJson('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"\\udc00x"}}]}]}]}')).to.throw(/lone UTF-16 surrogate/);
  });
});
