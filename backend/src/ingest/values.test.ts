import { expect } from 'chai';
import Long from 'long';
import { anyValueToString, attributesToMap, durationNanos, serviceName, unixNanos } from './values.js';

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

  it('sorts attribute keys and takes ServiceName from service.name', function () {
    const attributes = [
      { key: 'service.name', value: { stringValue: 'cart' } },
      { key: 'b', value: { intValue: Long.fromNumber(2) } },
      { key: 'a', value: { boolValue: true } },
    ];
    expect(Object.keys(attributesToMap(attributes))).to.deep.equal(['a', 'b', 'service.name']);
    expect(serviceName(attributes)).to.equal('cart');
    expect(serviceName([])).to.equal('');
  });

  it('keeps nanosecond times exact and clamps those past what the tables hold (2106)', function () {
    expect(unixNanos(Long.fromString('1700000000123456789', true))).to.equal('2023-11-14T22:13:20.123456789Z');
    expect(unixNanos(Long.fromString('18446744073709551615', true))).to.equal('2106-02-07T06:28:15.999999999Z');
    expect(unixNanos(Long.fromString('1', true))).to.equal('1970-01-01T00:00:00.000000001Z');
    expect(unixNanos(null)).to.equal('1970-01-01T00:00:00.000000000Z');
  });

  it('computes durations and never wraps a span that ends before it starts', function () {
    expect(durationNanos(Long.fromString('1700000000000000000', true), Long.fromString('1700000000000000123', true))).to.equal('123');
    expect(durationNanos(Long.fromNumber(10, true), Long.fromNumber(5, true))).to.equal('0');
    expect(durationNanos(Long.fromNumber(0, true), Long.MAX_UNSIGNED_VALUE)).to.equal('18446744073709551615');
  });
});
