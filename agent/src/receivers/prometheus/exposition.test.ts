import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { ExpositionError, formatOf, parseExposition } from './exposition.js';

const testdata = (name: string) => readFileSync(new URL(`../../../src/receivers/prometheus/testdata/${name}`, import.meta.url), 'utf8');

describe('Prometheus exposition parser', function () {
  it("reads the text format's own example (escapes, +Inf, a timestamp before 1970, histogram, summary)", function () {
    const families = parseExposition(testdata('text-format-example.txt'), 'prometheus');
    expect(families.map((f) => [f.name, f.type, f.samples.length])).to.deep.equal([
      ['http_requests_total', 'counter', 2],
      ['msdos_file_access_time_seconds', 'unknown', 1],
      ['metric_without_timestamp_and_labels', 'unknown', 1],
      ['something_weird', 'unknown', 1],
      ['http_request_duration_seconds', 'histogram', 8],
      ['rpc_duration_seconds', 'summary', 7],
    ]);
    const [requests, msdos, , weird, histogram] = families;
    expect(requests!.help).to.equal('The total number of HTTP requests.');
    expect(requests!.samples[1]).to.deep.equal({ name: 'http_requests_total', labels: [['method', 'post'], ['code', '400']], value: 3, timestampMs: 1395066363000 });
    expect(msdos!.samples[0]!.labels).to.deep.equal([['path', 'C:\\DIR\\FILE.TXT'], ['error', 'Cannot find file:\n"FILE.TXT"']]);
    expect(msdos!.samples[0]!.value).to.equal(1.458255915e9);
    expect(weird!.samples[0]).to.deep.include({ value: Infinity, timestampMs: -3982045 });
    expect(histogram!.samples.map((s) => s.name).at(-1)).to.equal('http_request_duration_seconds_count');
  });

  it('takes blanks, tabs, a trailing comma, NaN and -Inf where the text format allows them', function () {
    const [family] = parseExposition('# TYPE a gauge\n  a{x="1",}\t NaN\na{x="2"} -Inf 5\r\n', 'prometheus');
    expect(family!.samples.map((s) => [s.labels, s.value, s.timestampMs])).to.deep.equal([
      [[['x', '1']], NaN, undefined],
      [[['x', '2']], -Infinity, 5],
    ]);
  });

  it('says which line is wrong and why', function () {
    const cases: Array<[string, RegExp]> = [
      ['a 1\nb{x="1"} one\n', /^line 2: value "one" is not a number/],
      ['a{x="1} 1\n', /^line 1: label value without its closing quote/],
      ['a{x="\\t"} 1\n', /^line 1: label x: an escape other than/],
      ['a{x="1",x="2"} 1\n', /^line 1: label x given twice/],
      ['a 1 1.5\n', /^line 1: the timestamp is not a finite number of milliseconds/],
      ['# TYPE a gauge\n# TYPE a counter\n', /^line 2: a second TYPE for a/],
      ['# TYPE a meter\n', /^line 1: unknown metric type "meter"/],
      ['a 1 # {t="x"} 1\n', /^line 1: unexpected text after the sample/],
      ['{x="1"} 1\n', /^line 1: expected a metric name/],
    ];
    for (const [text, message] of cases) expect(() => parseExposition(text, 'prometheus'), text).to.throw(ExpositionError, message);
  });

  it('holds OpenMetrics to its rules: # EOF last, no empty lines, nothing after the end', function () {
    expect(() => parseExposition('a 1\n', 'openmetrics')).to.throw(ExpositionError, /no # EOF at the end/);
    expect(() => parseExposition('a 1\n\n# EOF\n', 'openmetrics')).to.throw(ExpositionError, /^line 2: empty line/);
    expect(() => parseExposition('a 1\n# EOF\nb 2\n', 'openmetrics')).to.throw(ExpositionError, /^line 3: text after # EOF/);
    const [family] = parseExposition('# TYPE a counter\na_total 1 # {a="b"} 0.5\n# EOF\n', 'openmetrics');
    expect(family!.samples[0]!.exemplar).to.deep.equal({ labels: [['a', 'b']], value: 0.5 });
  });

  it('tells the format from the Content-Type', function () {
    expect(formatOf('application/openmetrics-text; version=1.0.0; charset=utf-8')).to.equal('openmetrics');
    expect(formatOf('text/plain; version=0.0.4')).to.equal('prometheus');
    expect(formatOf(undefined)).to.equal('prometheus');
  });
});
