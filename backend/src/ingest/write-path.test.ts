import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logs, traces, type ExportLogsServiceRequest } from '@rollpoint/proto';
import { RetryLaterError, UndecodableError } from '@rollpoint/runtime';
import { expect } from 'chai';
import Long from 'long';
import { migrate } from '../schema/migrations.js';
import { ChdbStore } from '../store/chdb.js';
import type { Statement } from '../store/store.js';
import { dbl, f32, f64, kv, ld, str, vi } from '../testing/protobuf-bytes.js';
import { encodeExport } from './encode.js';
import { EncodePool } from './encode-pool.js';
import { coalescedInserts, INSERT_COLUMNS } from './store-export.js';
import { TableBuffer, type InsertObserver } from './table-buffer.js';

// The write path on the real engine: what the one-pass encoder stores for hand-made protobuf (fields
// in any order, every AnyValue kind, repeated keys, times at the edges), and how the table buffer
// coalesces Exports, acknowledges them and keeps a retried batch from being stored twice.

const T = 1_764_500_000_123_456_789n;

describe('write path: one pass from OTLP bytes to rows', function () {
  let store: ChdbStore;
  const statements: Statement[] = [];
  const path = mkdtempSync(join(tmpdir(), 'rollpoint-write-path-'));
  const q = (sql: string) => store.query({ sql, params: {} });

  before(async function () {
    store = new ChdbStore({ path, readOnlyMaxRows: 100, readOnlyTimeoutMs: 10000, onStatement: (s) => statements.push(s) });
    await migrate(store, { ttlDays: 0 });
  });
  after(async function () {
    await store.close();
    rmSync(path, { recursive: true, force: true });
  });

  const insertEncoded = async (signal: 'logs' | 'traces', bytes: Uint8Array) => {
    const encoded = encodeExport({ signal, bytes, receivedAtNanos: T });
    for (const insert of coalescedInserts([encoded], `t-${Math.random()}`)) await store.insertRowBinary(insert);
    return encoded;
  };

  it('reads fields in any order, skips unknown ones, and stores every AnyValue kind as the Collector exporter does', async function () {
    const record = Buffer.concat([
      ld(12, 'evt'),
      ld(6, kv('n', vi(3, -5))),
      ld(5, str('hello')),
      ld(6, kv('dup', str('first'))),
      vi(99, 7), // unknown field
      f64(1, T),
      ld(6, kv('d', dbl(4, 0.1))),
      vi(2, 17),
      ld(6, kv('bytes', ld(7, Buffer.from([0, 255])))),
      ld(3, 'ERROR'),
      ld(6, kv('dup', str('second'))),
      ld(6, kv('arr', ld(5, ld(1, vi(3, 1)), ld(1, str('two')), ld(1, vi(2, 1))))),
      ld(6, kv('kv', ld(6, ld(1, kv('z', dbl(4, 1.5))), ld(1, kv('a', ld(5)))))),
      ld(6, kv('big', dbl(4, 1e21))),
      f32(8, 0x101),
      ld(9, Buffer.alloc(16, 0xab)),
    ]);
    const scope = Buffer.concat([ld(2, '1.2'), ld(1, 'scope-x'), ld(3, kv('s', str('v')))]);
    const resource = Buffer.concat([ld(1, kv('service.name', str('svc'))), ld(1, kv('b', vi(3, 2))), ld(1, kv('a', vi(2, 1)))]);
    // schema_url before the groups, the resource after them.
    const group = Buffer.concat([ld(3, 'https://schema/r'), ld(2, ld(2, record), ld(3, 'https://schema/s'), ld(1, scope)), ld(1, resource)]);
    const encoded = await insertEncoded('logs', ld(1, group));
    expect(encoded.count).to.equal(1);
    expect(encoded.latestMs).to.equal(Number(T / 1_000_000n));
    const rows = await q(`SELECT toUnixTimestamp64Nano(Timestamp) AS nanos, toString(TimestampTime) AS time, TraceId, SpanId, TraceFlags, SeverityText, SeverityNumber, ServiceName, Body,
      ResourceSchemaUrl, ResourceAttributes, ScopeSchemaUrl, ScopeName, ScopeVersion, ScopeAttributes, LogAttributes, EventName FROM otel_logs WHERE EventName = 'evt'`);
    expect(rows).to.deep.equal([
      {
        nanos: T.toString(),
        time: '2025-11-30 10:53:20',
        TraceId: 'ab'.repeat(16),
        SpanId: '',
        TraceFlags: 1,
        SeverityText: 'ERROR',
        SeverityNumber: 17,
        ServiceName: 'svc',
        Body: 'hello',
        ResourceSchemaUrl: 'https://schema/r',
        ResourceAttributes: { a: 'true', b: '2', 'service.name': 'svc' },
        ScopeSchemaUrl: 'https://schema/s',
        ScopeName: 'scope-x',
        ScopeVersion: '1.2',
        ScopeAttributes: { s: 'v' },
        LogAttributes: { arr: '[1,"two",true]', big: '1e+21', bytes: 'AP8=', d: '0.1', dup: 'second', kv: '{"a":[],"z":1.5}', n: '-5' },
        EventName: 'evt',
      },
    ]);
  });

  it('takes the event time, else the observed time, else the receive time, and clamps times past 2106', async function () {
    const record = (body: string, ...times: Buffer[]) => ld(2, ...times, ld(5, str(body)));
    await insertEncoded('logs', ld(1, ld(2, record('t-event', f64(1, T), f64(11, T + 5n)), record('t-observed', f64(11, T + 5n)), record('t-received'), record('t-late', f64(1, (1n << 64n) - 1n)))));
    const rows = await q("SELECT Body, toUnixTimestamp64Nano(Timestamp) AS nanos FROM otel_logs WHERE Body LIKE 't-%' ORDER BY Body");
    expect(rows).to.deep.equal([
      { Body: 't-event', nanos: T.toString() },
      { Body: 't-late', nanos: '4294967295999999999' },
      { Body: 't-observed', nanos: (T + 5n).toString() },
      { Body: 't-received', nanos: T.toString() },
    ]);
  });

  it('leaves out malformed records and says why, keeping the rest', async function () {
    const request: ExportLogsServiceRequest = {
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'kept' } }, { body: { stringValue: 'bad' }, spanId: Buffer.alloc(3, 1) }, { severityNumber: 30 as never }] }] }],
    };
    const encoded = encodeExport({ signal: 'logs', bytes: logs.encode(request), receivedAtNanos: T });
    expect(encoded.count).to.equal(1);
    expect(encoded.rejection).to.deep.equal({ rejected: 2, errorMessage: '2 log records rejected: span_id must be 8 bytes, got 3' });
  });

  it('refuses truncated bytes, bad wire types and invalid UTF-8 as undecodable', function () {
    const good = Buffer.from(logs.encode({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'héllo' } }] }] }] }));
    const invalidUtf8 = Buffer.from(good);
    invalidUtf8[invalidUtf8.indexOf(Buffer.from('h')) + 1] = 0xff;
    for (const bytes of [good.subarray(0, good.length - 3), Buffer.from([0x0f, 0x01]), invalidUtf8, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])]) {
      expect(() => encodeExport({ signal: 'logs', bytes, receivedAtNanos: T }), bytes.toString('hex')).to.throw(UndecodableError);
    }
  });

  it('stores spans: kinds, status, duration (never wrapped), events and links, the time range for watermarks', async function () {
    const traceId = Buffer.alloc(16, 0xcd);
    const span = (name: string, start: bigint, end: bigint, ...more: Buffer[]) =>
      ld(2, f64(8, end), ld(5, name), ld(1, traceId), ld(2, Buffer.alloc(8, 1)), f64(7, start), ...more);
    const event = Buffer.concat([ld(2, 'retry'), f64(1, T + 1n), ld(3, kv('attempt', vi(3, 2)))]);
    const link = Buffer.concat([ld(1, Buffer.alloc(16, 0xee)), ld(2, Buffer.alloc(8, 0xef)), ld(3, 'st=1')]);
    const bytes = ld(
      1,
      ld(1, ld(1, kv('service.name', str('span-svc')))),
      ld(2, span('s-ok', T, T + 1_500_000n, vi(6, 2), ld(15, vi(3, 2), ld(2, 'boom')), ld(11, event), ld(13, link), ld(4, Buffer.alloc(8, 9))), span('s-backwards', T + 10n, T, vi(6, 9))),
    );
    const encoded = await insertEncoded('traces', bytes);
    expect([encoded.count, encoded.earliestMs, encoded.latestMs]).to.deep.equal([2, Number(T / 1_000_000n), Number(T / 1_000_000n)]);
    const rows = await q(`SELECT SpanName, SpanKind, ServiceName, ParentSpanId, Duration, StatusCode, StatusMessage, Events.Name AS event_names, Events.Attributes AS event_attributes,
        toString(Events.Timestamp) AS event_times, Links.TraceId AS link_trace_ids, Links.SpanId AS link_span_ids, Links.TraceState AS link_trace_states
      FROM otel_traces WHERE SpanName LIKE 's-%' ORDER BY SpanName`);
    const spanRow = (SpanName: string, SpanKind: string, ParentSpanId: string, Duration: string, StatusCode: string, StatusMessage: string) =>
      ({ SpanName, SpanKind, ServiceName: 'span-svc', ParentSpanId, Duration, StatusCode, StatusMessage });
    expect(rows).to.deep.equal([
      { ...spanRow('s-backwards', 'Unspecified', '', '0', 'Unset', ''), event_names: [], event_attributes: [], event_times: '[]', link_trace_ids: [], link_span_ids: [], link_trace_states: [] },
      {
        ...spanRow('s-ok', 'Server', '09'.repeat(8), '1500000', 'Error', 'boom'),
        event_names: ['retry'],
        event_attributes: [{ attempt: '2' }],
        event_times: "['2025-11-30 10:53:20.123456790']",
        link_trace_ids: ['ee'.repeat(16)],
        link_span_ids: ['ef'.repeat(8)],
        link_trace_states: ['st=1'],
      },
    ]);
    const bad = traces.encode({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId, spanId: Buffer.alloc(8, 1), links: [{ traceId, spanId: Buffer.alloc(2, 1) }] }] }] }] });
    expect(encodeExport({ signal: 'traces', bytes: bad, receivedAtNanos: T }).rejection.errorMessage).to.equal('1 spans rejected: link span_id must be 8 bytes, got 2');
  });

  it('encodes on worker threads what it encodes inline, and answers undecodable bytes from a worker', async function () {
    const pool = new EncodePool(2, []);
    try {
      const bytes = traces.encode({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 1), name: 'pooled', startTimeUnixNano: Long.fromString(T.toString(), true) }] }] }] });
      const job = { signal: 'traces' as const, bytes, receivedAtNanos: T };
      const fromWorker = await pool.encode(job);
      expect(fromWorker).to.deep.equal(encodeExport(job));
      expect(Buffer.isBuffer(fromWorker.tables[0]!.rows)).to.equal(true);
      const refused = await pool.encode({ ...job, bytes: Buffer.from([0x0a, 0x05, 0x01]) }).catch((e: unknown) => e);
      expect(refused).to.be.instanceOf(UndecodableError);
    } finally {
      await pool.close();
    }
  });

  describe('table buffer', function () {
    const seen: string[] = [];
    const observer: InsertObserver = { inserted: () => seen.push('inserted'), duplicates: (_t, n) => seen.push(`duplicates ${n}`), ledgerFailed: () => seen.push('ledger failed') };
    const logsExport = (body: string, n = 3) => {
      const request: ExportLogsServiceRequest = {
        resourceLogs: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: `svc-${body}` } }] },
            scopeLogs: [{ logRecords: Array.from({ length: n }, (_, i) => ({ body: { stringValue: `${body}-${i}` } })) }],
          },
        ],
      };
      return logs.encode(request);
    };
    const add = (buffer: TableBuffer, body: string, batchId?: string) => {
      const encoded = encodeExport({ signal: 'logs', bytes: logsExport(body), receivedAtNanos: T });
      return buffer.add(encoded.tables[0]!.rows, encoded.count, batchId);
    };
    const inserts = () => statements.filter((s) => s.kind === 'insert' && s.sql.startsWith('INSERT INTO otel_logs (')).length;
    const stored = async (prefix: string) => Number((await q(`SELECT count() AS n FROM otel_logs WHERE startsWith(Body, '${prefix}')`))[0]!.n);

    it('coalesces Exports from many senders into one insert, answering each once it is stored', async function () {
      const buffer = new TableBuffer(store, 'otel_logs', INSERT_COLUMNS.otel_logs, { maxRows: 1000, maxDelayMs: 100, quietMs: 0, maxBufferedBytes: 1 << 26 }, observer);
      const before = inserts();
      const answered: boolean[] = await Promise.all(Array.from({ length: 20 }, (_, i) => add(buffer, `coalesced-${i}`, `c-${i}`)));
      expect(answered).to.deep.equal(Array(20).fill(true));
      expect(inserts() - before).to.equal(1);
      expect(await stored('coalesced-')).to.equal(60);
      expect(await q("SELECT count() AS n FROM ingested_batches WHERE startsWith(batch_id, 'c-')")).to.deep.equal([{ n: '20' }]);
    });

    it('writes at once when its senders have gone quiet, long before the timeout', async function () {
      // The timeout is an hour: only the quiet rule can write these before the test's own timeout.
      const buffer = new TableBuffer(store, 'otel_logs', INSERT_COLUMNS.otel_logs, { maxRows: 1000, maxDelayMs: 3_600_000, quietMs: 5, maxBufferedBytes: 1 << 26 }, observer);
      const before = inserts();
      await Promise.all([add(buffer, 'quiet-a'), add(buffer, 'quiet-b'), add(buffer, 'quiet-c')]);
      expect(inserts() - before).to.equal(1);
      // A second round soon after waits out the least interval between early inserts, and is written then.
      expect(await add(buffer, 'quiet-d')).to.equal(true);
      expect(inserts() - before).to.equal(2);
    });

    it('writes as soon as the buffer holds send_batch_size rows', async function () {
      const buffer = new TableBuffer(store, 'otel_logs', INSERT_COLUMNS.otel_logs, { maxRows: 6, maxDelayMs: 60_000, quietMs: 0, maxBufferedBytes: 1 << 26 }, observer);
      const before = inserts();
      await Promise.all([add(buffer, 'full-a'), add(buffer, 'full-b')]);
      expect(inserts() - before).to.equal(1);
    });

    it('stores a batch retried inside a different coalesced insert once, and a batch repeated while buffered once', async function () {
      const buffer = new TableBuffer(store, 'otel_logs', INSERT_COLUMNS.otel_logs, { maxRows: 1000, maxDelayMs: 50, quietMs: 0, maxBufferedBytes: 1 << 26 }, observer);
      const first = await Promise.all([add(buffer, 'retry-a', 'r-a'), add(buffer, 'retry-b', 'r-b')]);
      // The acknowledgement of r-a was lost: the agent sends it again, now beside r-c and r-d (a repeat of itself while waiting).
      const second = await Promise.all([add(buffer, 'retry-a', 'r-a'), add(buffer, 'retry-c', 'r-c'), add(buffer, 'retry-d', 'r-d'), add(buffer, 'retry-d', 'r-d')]);
      expect(first).to.deep.equal([true, true]);
      expect(second).to.deep.equal([false, true, true, false]);
      expect(seen).to.include('duplicates 1');
      for (const body of ['retry-a', 'retry-b', 'retry-c', 'retry-d']) expect(await stored(body), body).to.equal(3);
      // What the views derive from the rows counts each batch once too.
      expect(await q("SELECT sum(logs) AS stored_logs FROM entity_windows WHERE entity_kind = 'service' AND startsWith(entity, 'svc-retry-')")).to.deep.equal([{ stored_logs: '12' }]);
    });

    it('fails every Export of a failed insert, so that their senders retry; the next insert is written', async function () {
      const broken = new TableBuffer(store, 'no_such_table' as never, INSERT_COLUMNS.otel_logs, { maxRows: 1000, maxDelayMs: 20, quietMs: 0, maxBufferedBytes: 1 << 26 }, observer);
      const outcomes = await Promise.allSettled([add(broken, 'lost-a'), add(broken, 'lost-b')]);
      expect(outcomes.map((o) => o.status)).to.deep.equal(['rejected', 'rejected']);
      const buffer = new TableBuffer(store, 'otel_logs', INSERT_COLUMNS.otel_logs, { maxRows: 1000, maxDelayMs: 20, quietMs: 0, maxBufferedBytes: 1 << 26 }, observer);
      expect(await add(buffer, 'after-failure')).to.equal(true);
      await buffer.flush();
    });

    it('refuses Exports, to be retried, while it holds max_buffered_mib', async function () {
      const buffer = new TableBuffer(store, 'otel_logs', INSERT_COLUMNS.otel_logs, { maxRows: 1000, maxDelayMs: 50, quietMs: 0, maxBufferedBytes: 100 }, observer);
      const [first, second] = await Promise.allSettled([add(buffer, 'held-a'), add(buffer, 'held-b')]);
      expect(first.status).to.equal('fulfilled');
      expect(second.status === 'rejected' && second.reason).to.be.instanceOf(RetryLaterError);
      // Once the first is stored, there is room again.
      expect(await add(buffer, 'held-c')).to.equal(true);
    });

    it('writes at most send_batch_size rows an insert, the rest in the next', async function () {
      const buffer = new TableBuffer(store, 'otel_logs', INSERT_COLUMNS.otel_logs, { maxRows: 6, maxDelayMs: 20, quietMs: 0, maxBufferedBytes: 1 << 26 }, observer);
      const before = inserts();
      await Promise.all(['split-a', 'split-b', 'split-c', 'split-d', 'split-e'].map((body) => add(buffer, body)));
      expect(inserts() - before).to.equal(3);
      expect(await stored('split-')).to.equal(15);
    });
  });
});
