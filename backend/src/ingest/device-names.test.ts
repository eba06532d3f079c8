import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logs, SCOPE_SNMPTRAP, SCOPE_SYSLOG, type ExportLogsServiceRequest, type KeyValue } from '@rollpoint/proto';
import { configProblems, parseConfig } from '@rollpoint/runtime';
import { expect } from 'chai';
import Long from 'long';
import { backendConfigSchema } from '../config.js';
import { migrate } from '../schema/migrations.js';
import { ChdbStore } from '../store/chdb.js';
import { DeviceNameTable, type DeviceAlias } from './device-names.js';
import { encodeExport } from './encode.js';
import { EncodePool } from './encode-pool.js';
import { coalescedInserts } from './store-export.js';

// The `devices:` table on the write path, on the real engine: device events (syslog and snmptrap
// scopes) are stored under the canonical name of their host.name or their device address; other
// records, and everything else about a device event, are stored as they came.

const T = 1_764_500_000_000_000_000n;
const ALIASES: DeviceAlias[] = [
  { name: 'edge-1', addresses: ['10.0.0.1'], names: ['edge-1.example.net'] },
  { name: 'core-1', addresses: ['10.0.0.2', '2001:db8::2'], names: [] },
];

const attrs = (values: Record<string, string>): KeyValue[] => Object.entries(values).map(([key, value]) => ({ key, value: { stringValue: value } }));

/** One resource of `scope` records, each with its attributes and a body to find it by. */
const request = (scope: string, resource: Record<string, string>, records: Record<string, string>[], body: string): ExportLogsServiceRequest => ({
  resourceLogs: [
    {
      resource: { attributes: attrs(resource) },
      scopeLogs: [{ scope: { name: scope }, logRecords: records.map((attributes, i) => ({ timeUnixNano: Long.fromString(T.toString(), true), body: { stringValue: `${body}-${i}` }, attributes: attrs(attributes) })) }],
    },
  ],
});

describe('devices: one canonical name per device on the write path', function () {
  let store: ChdbStore;
  const path = mkdtempSync(join(tmpdir(), 'rollpoint-device-names-'));
  const table = new DeviceNameTable(ALIASES);

  before(async function () {
    store = new ChdbStore({ path, readOnlyMaxRows: 100, readOnlyTimeoutMs: 10000 });
    await migrate(store, { ttlDays: 0 });
  });
  after(async function () {
    await store.close();
    rmSync(path, { recursive: true, force: true });
  });

  /** Stores the request through the encoder with the table; the host.name and attributes of each row, by body. */
  const stored = async (req: ExportLogsServiceRequest, body: string) => {
    const encoded = encodeExport({ signal: 'logs', bytes: logs.encode(req), receivedAtNanos: T }, table);
    for (const insert of coalescedInserts([encoded], `t-${body}`)) await store.insertRowBinary(insert);
    return store.query<{ Body: string; ResourceAttributes: Record<string, string>; LogAttributes: Record<string, string> }>({
      sql: 'SELECT Body, ResourceAttributes, LogAttributes FROM otel_logs WHERE startsWith(Body, {body:String}) ORDER BY Body',
      params: { body },
    });
  };

  it('stores syslog and traps under the name their host.name is an alias or address of', async function () {
    const byName = await stored(request(SCOPE_SYSLOG, { 'host.name': 'edge-1.example.net', 'os.type': 'ios' }, [{ 'network.peer.address': '192.0.2.1' }], 'by-name'), 'by-name');
    expect(byName.map((r) => r.ResourceAttributes)).to.deep.equal([{ 'host.name': 'edge-1', 'os.type': 'ios' }]);
    expect(byName[0]!.LogAttributes).to.deep.equal({ 'network.peer.address': '192.0.2.1' });
    const byAddress = await stored(request(SCOPE_SNMPTRAP, { 'host.name': '2001:db8::2' }, [{}], 'by-address'), 'by-address');
    expect(byAddress.map((r) => r.ResourceAttributes['host.name'])).to.deep.equal(['core-1']);
  });

  it("otherwise by each record's device address: a syslog sender's, a trap's agent address", async function () {
    const traps = await stored(
      request(SCOPE_SNMPTRAP, { 'host.name': 'edge-1-re0' }, [{ 'snmp.agent_address': '10.0.0.1' }, { 'snmp.agent_address': '10.0.0.9' }, { 'snmp.agent_address': '10.0.0.2' }, { 'network.peer.address': '10.0.0.1' }], 'trap'),
      'trap',
    );
    // A trap's sender (network.peer.address) may be a proxy: only its agent address names the device.
    expect(traps.map((r) => r.ResourceAttributes['host.name'])).to.deep.equal(['edge-1', 'edge-1-re0', 'core-1', 'edge-1-re0']);
    const syslog = await stored(request(SCOPE_SYSLOG, { 'host.name': 'edge-1' }, [{ 'network.peer.address': '10.0.0.2' }, { 'network.peer.address': '10.0.0.1' }], 'syslog'), 'syslog');
    // host.name is a canonical name already: it stays.
    expect(syslog.map((r) => r.ResourceAttributes['host.name'])).to.deep.equal(['edge-1', 'edge-1']);
  });

  it('leaves records of other scopes as they came', async function () {
    const rows = await stored(request('app', { 'host.name': 'edge-1.example.net' }, [{ 'network.peer.address': '10.0.0.1' }], 'app'), 'app');
    expect(rows.map((r) => r.ResourceAttributes['host.name'])).to.deep.equal(['edge-1.example.net']);
  });

  it('maps on the encode workers as on the calling thread', async function () {
    const pool = new EncodePool(1, ALIASES);
    try {
      const job = { signal: 'logs' as const, bytes: logs.encode(request(SCOPE_SNMPTRAP, { 'host.name': 'x' }, [{ 'snmp.agent_address': '10.0.0.1' }], 'w')), receivedAtNanos: T };
      const fromWorker = await pool.encode(job);
      const here = encodeExport(job, table);
      expect(fromWorker).to.deep.equal(here);
      expect(here).to.not.deep.equal(encodeExport(job));
    } finally {
      await pool.close();
    }
  });

  it('is configured as devices: [{name, addresses, names}], each name and address one device only', function () {
    expect(parseConfig(backendConfigSchema, { devices: [{ name: 'edge-1', addresses: ['10.0.0.1'] }] }).devices).to.deep.equal([{ name: 'edge-1', addresses: ['10.0.0.1'], names: [] }]);
    expect(
      configProblems(backendConfigSchema, {
        devices: [{ name: 'edge-1', addresses: ['10.0.0.1', 'edge-1.lan'] }, { name: 'edge-3', aliases: [] }],
      }),
    ).to.have.members(['devices.0.addresses.1: must be an IPv4 or IPv6 address', 'devices.1.aliases: unknown key']);
    expect(
      configProblems(backendConfigSchema, {
        devices: [
          { name: 'edge-1', addresses: ['10.0.0.1'], names: ['e1'] },
          { name: 'edge-2', addresses: ['10.0.0.1'], names: ['e1', 'edge-1'] },
        ],
      }),
    ).to.have.members(['devices.1.addresses.0: "10.0.0.1" is device "edge-1" already', 'devices.1.names.0: "e1" is device "edge-1" already', 'devices.1.names.1: "edge-1" is device "edge-1" already']);
  });
});
