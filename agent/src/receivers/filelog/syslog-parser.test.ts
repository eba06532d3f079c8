import type { AnyValue } from '@rollpoint/proto';
import { expect } from 'chai';
import Long from 'long';
import { filelogConfigSchema } from './config.js';
import { filelogRequest } from './to-otlp.js';

// Lines as rsyslog writes them to files, through the filelog request with a syslog_parser operator.

const READ_MS = Date.parse('2026-11-30T12:00:00Z');

const plain = (value: AnyValue | null | undefined): unknown => (value?.intValue != null ? Long.fromValue(value.intValue).toNumber() : (value?.stringValue ?? value?.boolValue));

function parse(lines: string[], operator: Record<string, unknown>) {
  const config = filelogConfigSchema.parse({ include: ['/x'], operators: [{ type: 'syslog_parser', ...operator }] });
  const request = filelogRequest(config, '/var/log/remote.log', lines.map((text, i) => ({ text, end: i })), READ_MS);
  return request.resourceLogs!.flatMap((rl) =>
    rl.scopeLogs![0]!.logRecords!.map((record) => ({
      host: rl.resource!.attributes!.find((a) => a.key === 'host.name')?.value?.stringValue,
      time: Long.fromValue(record.timeUnixNano!).toString(),
      severity: [record.severityNumber, record.severityText],
      body: record.body!.stringValue,
      attributes: Object.fromEntries(record.attributes!.map((a) => [a.key, plain(a.value)])),
    })),
  );
}

const nanos = (iso: string) => (BigInt(Date.parse(iso)) * 1_000_000n).toString();

describe('filelog syslog_parser', function () {
  it('maps an RFC 5424 line (rsyslog RSYSLOG_SyslogProtocol23Format) as the syslog receiver does, without network attributes', function () {
    const [record] = parse(['<187>1 2026-11-30T10:00:01.000Z edge-1 sshd 4242 ID47 - connection reset'], { protocol: 'rfc5424' });
    expect(record).to.deep.equal({
      host: 'edge-1',
      time: nanos('2026-11-30T10:00:01Z'),
      severity: [17, 'err'],
      body: '<187>1 2026-11-30T10:00:01.000Z edge-1 sshd 4242 ID47 - connection reset',
      attributes: {
        'log.file.name': 'remote.log',
        priority: 187,
        facility: 23,
        severity: 3,
        version: 1,
        hostname: 'edge-1',
        appname: 'sshd',
        proc_id: '4242',
        msg_id: 'ID47',
        message: 'connection reset',
        'rollpoint.syslog.format': 'rfc5424',
      },
    });
  });

  it('reads RFC 3164 lines in `location`, classifies device events, and groups the records by host', function () {
    const records = parse(
      [
        '<189>Nov 30 10:00:01 edge-1 %SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.0.0.5)',
        'Nov 30 11:00:02 web-1 cron[77]: job done',
        '<12>Nov 30 10:00:03 edge-1 kernel: link flap',
      ],
      { protocol: 'rfc3164', location: 'Europe/Zurich' },
    );
    expect(records.map((r) => [r.host, r.time, r.severity, r.attributes.appname, r.attributes['rollpoint.event.kind']])).to.deep.equal([
      ['edge-1', nanos('2026-11-30T09:00:01Z'), [10, 'notice'], undefined, 'config_change'],
      ['edge-1', nanos('2026-11-30T09:00:03Z'), [13, 'warning'], 'kernel', undefined],
      // No PRI: user.notice, as RFC 3164 prescribes.
      ['web-1', nanos('2026-11-30T10:00:02Z'), [10, 'notice'], 'cron', undefined],
    ]);
  });

  it('keeps a line that does not parse as it is, with the reason, and no host', function () {
    const records = parse(['<999>bad', 'Nov 30 10:00:01 host app: not 5424'], { protocol: 'rfc5424' });
    expect(records.map((r) => [r.host, r.body, r.attributes['rollpoint.parse_error']])).to.deep.equal([
      [undefined, '<999>bad', 'PRI 999 is over 191'],
      [undefined, 'Nov 30 10:00:01 host app: not 5424', 'not RFC 5424 (no <PRI>VERSION header)'],
    ]);
    expect(records[0]!.time).to.equal('0');
  });

  it('refuses an unknown location and a protocol it does not know', function () {
    expect(filelogConfigSchema.safeParse({ include: ['/x'], operators: [{ type: 'syslog_parser', protocol: 'rfc3164', location: 'Mars/Base' }] }).success).to.equal(false);
    expect(filelogConfigSchema.safeParse({ include: ['/x'], operators: [{ type: 'syslog_parser', protocol: 'rfc9999' }] }).success).to.equal(false);
  });
});
