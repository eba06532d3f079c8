import { expect } from 'chai';
import Long from 'long';
import { entryToLogRecord, type JournalEntry } from './to-otlp.js';

// Lines as journalctl --output=json prints them (fields as text, a non-UTF-8 value as a number
// array, a field with several values as an array), each with the record it must give.

const observed = Long.fromString('1764580009000000000', true);
const map = (line: string) => entryToLogRecord(JSON.parse(line) as JournalEntry, 'this-host', observed);
const attributes = (line: string) => Object.fromEntries((map(line).record.attributes ?? []).map((a) => [a.key, a.value]));

describe('journal entry → OTLP log record', function () {
  it('maps priority, facility, unit, identifier, PID, host and time to the syslog receiver’s names', function () {
    const line =
      '{"__CURSOR":"s=52;i=1;x=e6","__REALTIME_TIMESTAMP":"1764580000123456","PRIORITY":"4","SYSLOG_FACILITY":"3","_SYSTEMD_UNIT":"checkout.service","SYSLOG_IDENTIFIER":"checkout","_PID":"42","_HOSTNAME":"web-1","MESSAGE":"disk almost full"}';
    const { hostName, record, cursor } = map(line);
    expect({ hostName, cursor }).to.deep.equal({ hostName: 'web-1', cursor: 's=52;i=1;x=e6' });
    expect(record).to.deep.include({ severityNumber: 13, severityText: 'warning', body: { stringValue: 'disk almost full' }, observedTimeUnixNano: observed });
    expect(record.timeUnixNano!.toString()).to.equal('1764580000123456000');
    expect(attributes(line)).to.deep.equal({
      priority: { intValue: Long.fromInt(28) },
      severity: { intValue: Long.fromInt(4) },
      facility: { intValue: Long.fromInt(3) },
      hostname: { stringValue: 'web-1' },
      appname: { stringValue: 'checkout' },
      proc_id: { stringValue: '42' },
      'systemd.unit': { stringValue: 'checkout.service' },
    });
  });

  it('keeps a MESSAGE of bytes: UTF-8 ones as text, others as text with U+FFFD and their bytes in rollpoint.raw', function () {
    expect(map('{"MESSAGE":[104,195,169]}').record.body).to.deep.equal({ stringValue: 'hé' });
    const binary = '{"MESSAGE":[97,98,255,99]}';
    expect(map(binary).record.body).to.deep.equal({ stringValue: 'ab\uFFFDc' });
    expect(attributes(binary)['rollpoint.raw']).to.deep.equal({ bytesValue: Uint8Array.from([97, 98, 255, 99]) });
  });

  it('takes the first of several values, and leaves out what is absent, null or out of range', function () {
    const { hostName, record } = map('{"MESSAGE":["first","second"],"PRIORITY":"9","_PID":null,"__REALTIME_TIMESTAMP":"soon"}');
    expect(hostName).to.equal('this-host');
    expect(record.body).to.deep.equal({ stringValue: 'first' });
    expect(record.severityNumber).to.equal(undefined);
    expect(record.timeUnixNano!.isZero()).to.equal(true);
    expect(record.attributes).to.deep.equal([]);
  });

  it('leaves out a value nested deeper than journalctl nests, however deep (found by fuzzing: it overflowed the stack)', function () {
    const deep = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`;
    expect(map(`{"MESSAGE":${deep},"_HOSTNAME":[["x"]]}`).record.body).to.deep.equal({ stringValue: '' });
    expect(map('{"MESSAGE":[[104,105]]}').record.body).to.deep.equal({ stringValue: 'hi' });
  });
});
