import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { DeviceNames } from './device-names.js';

describe('device names learned by the agent', function () {
  let folder: string;
  beforeEach(() => (folder = mkdtempSync(join(tmpdir(), 'rollpoint-device-names-'))));
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it("gives a trap from a syslog sender's address that sender's hostname", function () {
    const devices = new DeviceNames(undefined);
    expect(devices.trapDevice('10.0.0.1', undefined)).to.equal(undefined);
    expect(devices.syslogDevice('10.0.0.1', 'edge-1')).to.equal('edge-1');
    expect(devices.trapDevice('10.0.0.1', undefined)).to.equal('edge-1');
    expect(devices.trapDevice('10.0.0.2', undefined)).to.equal(undefined);
  });

  it("gives syslog without a hostname, or with an address for one, the learned name", function () {
    const devices = new DeviceNames(undefined);
    devices.syslogDevice('10.0.0.1', 'edge-1');
    // No hostname: the receiver gives the peer; Cisco's origin-id ip: the device's address.
    expect(devices.syslogDevice('10.0.0.1', '10.0.0.1')).to.equal('edge-1');
    expect(devices.syslogDevice('192.0.2.9', '10.0.0.1')).to.equal('edge-1');
    expect(devices.syslogDevice('192.0.2.9', '192.0.2.9')).to.equal('192.0.2.9');
    // Learned since (from a trap): the next message has it.
    devices.trapDevice('192.0.2.9', 'core-9');
    expect(devices.syslogDevice('192.0.2.9', '192.0.2.9')).to.equal('core-9');
  });

  it('learns no address, NILVALUE or empty name as a name', function () {
    const devices = new DeviceNames(undefined);
    for (const name of ['10.0.0.9', '::1', '-', '']) devices.learn('10.0.0.1', name, 'syslog');
    expect(devices.nameOf('10.0.0.1')).to.equal(undefined);
    devices.learn('not-an-address', 'edge-1', 'syslog');
    expect(devices.nameOf('not-an-address')).to.equal(undefined);
  });

  it("learns a trap's sysName.0, which a syslog hostname then overrides for good", function () {
    const devices = new DeviceNames(undefined);
    expect(devices.trapDevice('10.0.0.1', 'edge-1.example.net')).to.equal('edge-1.example.net');
    devices.syslogDevice('10.0.0.1', 'edge-1');
    expect(devices.trapDevice('10.0.0.1', 'edge-1.example.net')).to.equal('edge-1');
    // A new sysName alone is a renamed device.
    expect(devices.trapDevice('10.0.0.2', 'core-1')).to.equal('core-1');
    expect(devices.trapDevice('10.0.0.2', 'core-2')).to.equal('core-2');
  });

  it('gives no name to an address that sends syslog under several hostnames (a relay)', function () {
    const devices = new DeviceNames(undefined);
    expect(devices.syslogDevice('10.0.0.5', 'web-1')).to.equal('web-1');
    expect(devices.syslogDevice('10.0.0.5', 'web-2')).to.equal('web-2');
    expect(devices.syslogDevice('10.0.0.5', '10.0.0.5')).to.equal('10.0.0.5');
    expect(devices.syslogDevice('10.0.0.5', 'web-1')).to.equal('web-1');
    expect(devices.trapDevice('10.0.0.5', 'web-1')).to.equal(undefined);
  });

  it('forgets the longest-known address first beyond its bound', function () {
    const devices = new DeviceNames(undefined, undefined, 2);
    devices.learn('10.0.0.1', 'a', 'syslog');
    devices.learn('10.0.0.2', 'b', 'syslog');
    devices.learn('10.0.0.3', 'c', 'syslog');
    expect(['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((a) => devices.nameOf(a))).to.deep.equal([undefined, 'b', 'c']);
  });

  it('keeps what it learned across a restart, in its file', function () {
    const path = join(folder, 'device-names.json');
    const first = new DeviceNames(path);
    first.learn('10.0.0.1', 'edge-1', 'syslog');
    first.learn('10.0.0.2', 'core-1', 'sysName');
    first.flush();
    const second = new DeviceNames(path);
    expect(second.nameOf('10.0.0.1')).to.equal('edge-1');
    // Still a sysName after the restart: syslog overrides it.
    second.learn('10.0.0.2', 'core-1a', 'syslog');
    expect(second.nameOf('10.0.0.2')).to.equal('core-1a');
  });

  it('starts afresh from a file that does not parse', function () {
    const path = join(folder, 'device-names.json');
    writeFileSync(path, '{"10.0.0.1": {"name": "edge');
    const devices = new DeviceNames(path);
    expect(devices.nameOf('10.0.0.1')).to.equal(undefined);
    devices.learn('10.0.0.1', 'edge-1', 'syslog');
    devices.flush();
    expect(new DeviceNames(path).nameOf('10.0.0.1')).to.equal('edge-1');
  });
});
