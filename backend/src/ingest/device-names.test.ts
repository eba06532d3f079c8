import { logs, SCOPE_SNMPTRAP, SCOPE_SYSLOG, type ExportLogsServiceRequest, type KeyValue } from '@rollpoint/proto';
import { configProblems, parseConfig } from '@rollpoint/runtime';
import { expect } from 'chai';
import Long from 'long';
import { backendConfigSchema } from '../config.js';
import { useTempStore } from '../testing/temp-store.js';
import { DeviceNameTable, type DeviceAlias } from './device-names.js';
import { encodeExport } from './encode.js';
import { EncodePool } from './encode-pool.js';
import { LearnedDevices } from './learned-devices.js';
import { pino } from 'pino';
import { coalescedInserts } from './store-export.js';

// The `devices:` table on the write path, on the real engine: device events (syslog and snmptrap
// scopes) are stored under the canonical name of their host.name or their device address; other
// records, and everything else about a device event, are stored as they came. And the pairs the
// write path learns from device events: told to every encoder, kept across a restart.

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
  const engine = useTempStore('device-names');
  const table = new DeviceNameTable(ALIASES);

  /** Stores the request through the encoder with `devices`; the host.name and attributes of each row, by body. */
  const stored = async (req: ExportLogsServiceRequest, body: string, devices = table) => {
    const encoded = encodeExport({ signal: 'logs', bytes: logs.encode(req), receivedAtNanos: T }, devices);
    for (const insert of coalescedInserts([encoded], `t-${body}`)) await engine.store.insertRowBinary(insert);
    return engine.store.query<{ Body: string; ResourceAttributes: Record<string, string>; LogAttributes: Record<string, string> }>({
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
      request(SCOPE_SNMPTRAP, { 'host.name': 'edge-1-re0' }, [{ 'snmp.agent_address': '10.0.0.1' }, { 'snmp.agent_address': '10.0.0.1' }, { 'snmp.agent_address': '10.0.0.9' }, { 'snmp.agent_address': '10.0.0.2' }, { 'network.peer.address': '10.0.0.1' }, { 'snmp.agent_address': '' }], 'trap'),
      'trap',
    );
    // A trap's sender (network.peer.address) may be a proxy: only its agent address names the device.
    expect(traps.map((r) => r.ResourceAttributes['host.name'])).to.deep.equal(['edge-1', 'edge-1', 'edge-1-re0', 'core-1', 'edge-1-re0', 'edge-1-re0']);
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

  it('reports the address ↔ name pairs of device events it does not know, and stores address-named events under a learned name', async function () {
    const learning = new DeviceNameTable(ALIASES);
    const syslog = request(SCOPE_SYSLOG, { 'host.name': 'dist-1' }, [{ 'network.peer.address': '10.0.0.7' }, { 'network.peer.address': '10.0.0.7' }, { 'network.peer.address': '10.0.0.1' }, {}], 'learn');
    const job = { signal: 'logs' as const, bytes: logs.encode(syslog), receivedAtNanos: T };
    // Once per pair; a configured address is the table's.
    expect(encodeExport(job, learning).devicePairs).to.deep.equal([['10.0.0.7', 'dist-1']]);
    // No pair from a host.name that is an address, nor from other scopes.
    expect(encodeExport({ ...job, bytes: logs.encode(request(SCOPE_SNMPTRAP, { 'host.name': '10.0.0.8' }, [{ 'snmp.agent_address': '10.0.0.8' }], 'x')) }, learning).devicePairs).to.equal(undefined);
    expect(encodeExport({ ...job, bytes: logs.encode(request('app', { 'host.name': 'web-1' }, [{ 'network.peer.address': '10.0.0.9' }], 'x')) }, learning).devicePairs).to.equal(undefined);

    expect(learning.learn(['10.0.0.7', 'dist-1'])).to.equal(true);
    expect(encodeExport(job, learning).devicePairs).to.equal(undefined);
    const trap = await stored(request(SCOPE_SNMPTRAP, { 'host.name': '10.0.0.7' }, [{ 'snmp.agent_address': '10.0.0.7' }], 'learned-trap'), 'learned-trap', learning);
    expect(trap.map((r) => r.ResourceAttributes['host.name'])).to.deep.equal(['dist-1']);
    // A second name from one address: a relay's, named by neither.
    expect(learning.learn(['10.0.0.7', 'dist-2'])).to.equal(true);
    expect(learning.learnedName('10.0.0.7')).to.equal(undefined);
    expect(learning.learn(['10.0.0.7', 'dist-3'])).to.equal(false);
  });

  it('tells every encode worker what was learned, and keeps it in learned_devices across a restart', async function () {
    const logger = pino({ level: 'silent' });
    const trap = logs.encode(request(SCOPE_SNMPTRAP, { 'host.name': '10.0.0.20' }, [{ 'snmp.agent_address': '10.0.0.20' }], 'restart'));
    const hostOf = async (pool: EncodePool) => {
      const encoded = await pool.encode({ signal: 'logs', bytes: trap, receivedAtNanos: T });
      for (const insert of coalescedInserts([encoded], `t-${Math.random()}`)) await engine.store.insertRowBinary(insert);
      const [row] = await engine.store.query<{ host: string }>({ sql: "SELECT ResourceAttributes['host.name'] AS host FROM otel_logs WHERE Body = 'restart-0' ORDER BY Timestamp DESC LIMIT 1", params: {} });
      await engine.store.command("DELETE FROM otel_logs WHERE Body = 'restart-0'");
      return row!.host;
    };
    const first = new EncodePool(2, []);
    try {
      const learned = new LearnedDevices(engine.store, first, logger);
      await learned.load();
      expect(await hostOf(first)).to.equal('10.0.0.20');
      const written = learned.note([['10.0.0.20', 'agg-1']]);
      expect(await hostOf(first)).to.equal('agg-1');
      expect(await hostOf(first)).to.equal('agg-1');
      await written;
    } finally {
      await first.close();
    }
    const second = new EncodePool(1, []);
    try {
      await new LearnedDevices(engine.store, second, logger).load();
      expect(await hostOf(second)).to.equal('agg-1');
    } finally {
      await second.close();
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
