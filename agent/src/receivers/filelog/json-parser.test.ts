import { expect } from 'chai';
import Long from 'long';
import { parseJsonLine } from './json-parser.js';

describe('filelog json_parser', function () {
  it('types each field of a JSON object as an OTLP value', function () {
    expect(parseJsonLine('{"msg":"hi","n":3,"ratio":0.5,"ok":true,"none":null,"tags":["a"],"user":{"id":7}}')).to.deep.equal({
      ok: true,
      fields: [
        { key: 'msg', value: { stringValue: 'hi' } },
        { key: 'n', value: { intValue: Long.fromNumber(3) } },
        { key: 'ratio', value: { doubleValue: 0.5 } },
        { key: 'ok', value: { boolValue: true } },
        { key: 'none', value: {} },
        { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }] } } },
        { key: 'user', value: { kvlistValue: { values: [{ key: 'id', value: { intValue: Long.fromNumber(7) } }] } } },
      ],
    });
  });

  it('says why a line is not a JSON object', function () {
    expect(parseJsonLine('[1]')).to.deep.equal({ ok: false, error: 'not a JSON object' });
    const broken = parseJsonLine('{"msg": ');
    expect(broken.ok).to.equal(false);
    expect(!broken.ok && broken.error).to.match(/^not JSON: /);
  });

  it('keeps a line nested deeper than the stack as text, with the reason', function () {
    const deep = `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expect(parseJsonLine(deep)).to.deep.equal({ ok: false, error: 'JSON nested too deeply' });
  });
});
