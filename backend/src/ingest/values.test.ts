import { expect } from 'chai';
import Long from 'long';
import { anyValueToString } from './values.js';

describe('OTLP values to ClickHouse columns', function () {
  it('writes attribute values as the Collector’s exporter does (AsString)', function () {
    expect(anyValueToString({ stringValue: 'plain' })).to.equal('plain');
    expect(anyValueToString({ boolValue: false })).to.equal('false');
    expect(anyValueToString({ intValue: Long.fromString('-9007199254740993') })).to.equal('-9007199254740993');
    expect(anyValueToString({ doubleValue: 0.1 })).to.equal('0.1');
    expect(anyValueToString({ doubleValue: 1e21 })).to.equal('1e+21');
    expect(anyValueToString({ doubleValue: 1e-7 })).to.equal('1e-7');
    expect(anyValueToString({ bytesValue: Buffer.from([0, 255]) })).to.equal('AP8=');
    expect(anyValueToString({ arrayValue: { values: [{ intValue: Long.fromNumber(1) }, { stringValue: 'two' }, { boolValue: true }] } })).to.equal('[1,"two",true]');
    expect(anyValueToString({ kvlistValue: { values: [{ key: 'z', value: { doubleValue: 1.5 } }, { key: 'a', value: { arrayValue: { values: [] } } }] } })).to.equal('{"a":[],"z":1.5}');
    expect(anyValueToString({})).to.equal('');
    expect(anyValueToString(null)).to.equal('');
  });
});
