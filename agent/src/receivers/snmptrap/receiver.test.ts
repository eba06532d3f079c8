import { expect } from 'chai';
import { isWholeSnmpMessage } from './receiver.js';

describe('SNMP packet pre-check', function () {
  // SEQUENCE (len 9) { INTEGER 1 (v2c), OCTET STRING "pub" } — enough of a message for the check.
  const v2c = Buffer.from([0x30, 0x08, 0x02, 0x01, 0x01, 0x04, 0x03, 0x70, 0x75, 0x62]);

  it('passes whole messages of SNMP versions 1, 2c and 3', function () {
    for (const version of [0, 1, 3]) {
      const packet = Buffer.from(v2c);
      packet[4] = version;
      expect(isWholeSnmpMessage(packet), `version ${version}`).to.equal(true);
    }
    const long = Buffer.concat([Buffer.from([0x30, 0x81, 0x08]), v2c.subarray(2)]);
    expect(isWholeSnmpMessage(long)).to.equal(true);
  });

  it('stops unknown versions, cut or padded packets and other bytes', function () {
    const wrongVersion = Buffer.from(v2c);
    wrongVersion[4] = 7;
    for (const packet of [wrongVersion, v2c.subarray(0, 9), Buffer.concat([v2c, Buffer.from([0])]), Buffer.from('GET / HTTP/1.1'), Buffer.from([0x30, 0x85, 1, 1, 1, 1, 1])]) {
      expect(isWholeSnmpMessage(packet), packet.toString('hex')).to.equal(false);
    }
  });
});
