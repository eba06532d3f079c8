import { readFileSync } from 'node:fs';
import type { AnyValue, LogRecord } from '@rollpoint/proto';
import { expect } from 'chai';
import Long from 'long';
import { BUILT_IN_EVENT_RULES } from './event-rules.js';
import { parseSyslog } from './parse.js';
import { toLogRecord } from './to-otlp.js';

// Real-world message shapes, each with the exact OTLP fields expected (agent/testdata/syslog-corpus.json).
// Device lines name their vendor/OS; their formats follow the vendors' own logging manuals.

interface Case {
  name: string;
  /** The vendor and OS of a device line ("Cisco IOS-XR"); absent for hosts and malformed input. */
  vendor?: string;
  input: string;
  timezone?: string;
  receivedAt?: string;
  time: string | null;
  severity: [number, string];
  host: string;
  attributes: Record<string, unknown>;
}

const corpus = JSON.parse(readFileSync(new URL('../../../testdata/syslog-corpus.json', import.meta.url), 'utf8')) as {
  receivedAt: string;
  peer: string;
  cases: Case[];
};

/** An AnyValue as plain JSON: numbers for ints, nested objects for kvlists. */
function plain(value: AnyValue | null | undefined): unknown {
  if (!value) return undefined;
  if (value.kvlistValue) return Object.fromEntries((value.kvlistValue.values ?? []).map((kv) => [kv.key, plain(kv.value)]));
  if (value.intValue != null) return Long.fromValue(value.intValue).toNumber();
  if (value.bytesValue != null) return Buffer.from(value.bytesValue).toString('base64');
  return value.stringValue ?? value.boolValue ?? value.doubleValue;
}

/** "2026-11-30T12:00:00.000000000Z" for a record's time, or null when it has none. */
function isoNanos(nanos: Long | number | null | undefined): string | null {
  const value = BigInt(Long.fromValue(nanos ?? 0).toUnsigned().toString());
  if (value === 0n) return null;
  return `${new Date(Number(value / 1_000_000n)).toISOString().slice(0, 19)}.${(value % 1_000_000_000n).toString().padStart(9, '0')}Z`;
}

const TRANSPORT_ATTRIBUTES = ['network.peer.address', 'net.peer.ip', 'network.transport'];

describe(`syslog corpus: ${corpus.cases.length} real-world message shapes`, function () {
  it('has at least 40 cases', function () {
    expect(corpus.cases.length).to.be.at.least(40);
  });

  it('has at least 150 device lines from at least 15 vendors/OSes, 5 or more of each', function () {
    const devices = corpus.cases.filter((c) => c.vendor !== undefined);
    const perVendor = new Map<string, number>();
    for (const c of devices) perVendor.set(c.vendor!, (perVendor.get(c.vendor!) ?? 0) + 1);
    expect(devices.length).to.be.at.least(150);
    expect(perVendor.size).to.be.at.least(15);
    for (const [vendor, count] of perVendor) expect(count, vendor).to.be.at.least(5);
  });

  it('has unique case names', function () {
    expect(new Set(corpus.cases.map((c) => c.name)).size).to.equal(corpus.cases.length);
  });

  for (const c of corpus.cases) {
    it(c.name, function () {
      const receivedAtMs = Date.parse(c.receivedAt ?? corpus.receivedAt);
      const parsed = parseSyslog(c.input, { timezone: c.timezone ?? 'UTC', receivedAtMs });
      const received = { text: c.input, truncated: false, peerAddress: corpus.peer, transport: 'udp' as const, receivedAtMs };
      const { hostName, record } = toLogRecord(received, parsed, BUILT_IN_EVENT_RULES);
      const attributes = Object.fromEntries((record.attributes ?? []).map((kv) => [kv.key, plain(kv.value)]));
      expect(hostName, 'host.name').to.equal(c.host);
      expect(isoNanos(record.timeUnixNano), 'Timestamp').to.equal(c.time);
      expect(isoNanos((record as LogRecord).observedTimeUnixNano), 'ObservedTimestamp').to.equal(new Date(receivedAtMs).toISOString().replace('Z', '000000Z'));
      expect([record.severityNumber ?? 0, record.severityText ?? ''], 'severity').to.deep.equal(c.severity);
      expect(record.body?.stringValue, 'Body').to.equal(c.input);
      for (const key of TRANSPORT_ATTRIBUTES) delete attributes[key];
      expect(attributes).to.deep.equal(c.attributes);
    });
  }
});
