import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { registrationRequest } from '../../../src/core/registration-request';
import { ownerFor } from '../../../src/client/register';
import { DnsType } from '../../../src/wire/dns-rdata';
import {
  encodeRegistration,
  parseRegistration,
  SPS_MAX_RDLENGTH,
  SPS_OPT_MIN_RDLENGTH,
  type SpsRecord,
} from '../../../src/wire/sps-registration';

const MAC = '02:00:00:00:00:0a';
const ADDRESSES = ['10.77.0.10', 'fd77::10', 'fe80::ff:fe00:a%eth0'];

function build(password?: Buffer) {
  const request = registrationRequest({
    id: 0x1234,
    hostname: 'sleeper',
    addresses: ADDRESSES,
    services: [
      { name: 'sleeper', type: '_ssh._tcp', port: 22 },
      { name: 'Files', type: '_smb._tcp.local', port: 445, txt: { model: 'Linux' } },
      { name: 'Other ssh', type: '_ssh._tcp', port: 2222 },
    ],
    owner: ownerFor(MAC, 7, password),
  });
  const bytes = encodeRegistration(request);
  const parsed = parseRegistration(bytes);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error.message);
  return { bytes, reg: parsed.value };
}

const find = (records: readonly SpsRecord[], name: string, type: number): SpsRecord[] =>
  records.filter((r) => r.name.toLowerCase() === name.toLowerCase() && r.type === type);

describe('the UPDATE the client builds', () => {
  test('parses back with the lease, the owner and every address as a proxied address', () => {
    const { reg } = build();
    assert.equal(reg.id, 0x1234);
    assert.equal(reg.lease, 7200);
    assert.deepEqual(
      { version: reg.owner.version, seq: reg.owner.seq, host: reg.owner.hostMac, wake: reg.owner.wakeMac },
      { version: 0, seq: 7, host: MAC, wake: MAC },
    );
    assert.equal(reg.owner.length, 8, 'HMAC == IMAC: the 8-byte form Apple sends');
    assert.deepEqual(
      reg.proxiedAddresses.map((a) => a.address),
      ['10.77.0.10', 'fd77::10', 'fe80::ff:fe00:a'],
    );
    for (const a of reg.proxiedAddresses) {
      const [ptr] = find(reg.records, a.from, DnsType.PTR);
      assert.deepEqual(ptr.data, { kind: 'name', target: 'sleeper.local' });
      assert.equal(ptr.cacheFlush, true);
      assert.equal(ptr.ttl, 120);
    }
    assert.equal(find(reg.records, 'sleeper.local', DnsType.A).length, 1);
    assert.equal(find(reg.records, 'sleeper.local', DnsType.AAAA).length, 2);
  });

  test('services: shared PTRs 4500, SRV 120 and TXT 4500 cache-flush, one _services PTR per type', () => {
    const { reg } = build();
    const types = find(reg.records, '_services._dns-sd._udp.local', DnsType.PTR);
    assert.deepEqual(types.map((r) => (r.data.kind === 'name' ? r.data.target : '')).sort(), [
      '_smb._tcp.local',
      '_ssh._tcp.local',
    ]);
    assert.ok(types.every((r) => r.ttl === 4500 && !r.cacheFlush));
    const ssh = find(reg.records, '_ssh._tcp.local', DnsType.PTR);
    assert.equal(ssh.length, 2);
    assert.ok(ssh.every((r) => r.ttl === 4500 && !r.cacheFlush));
    const [srv] = find(reg.records, 'sleeper._ssh._tcp.local', DnsType.SRV);
    assert.deepEqual(srv.data, { kind: 'srv', priority: 0, weight: 0, port: 22, target: 'sleeper.local' });
    assert.equal(srv.ttl, 120);
    assert.equal(srv.cacheFlush, true);
    const [emptyTxt] = find(reg.records, 'sleeper._ssh._tcp.local', DnsType.TXT);
    assert.equal(emptyTxt.rdata.length, 1, 'an empty TXT is one empty string, not zero-length RDATA');
    assert.equal(emptyTxt.ttl, 4500);
    assert.equal(emptyTxt.cacheFlush, true);
    const [smbTxt] = find(reg.records, 'Files._smb._tcp.local', DnsType.TXT);
    assert.equal(smbTxt.rdata.subarray(1).toString(), 'model=Linux');
  });

  test('passes the checks of Apple’s server (sps-protocol.md §7)', () => {
    const { bytes, reg } = build();
    assert.equal(bytes.readUInt16BE(2), 0x2800, 'QR=0, opcode UPDATE');
    assert.equal(reg.zoneCount, 0);
    assert.equal(reg.prerequisiteCount, 0);
    assert.equal(reg.optCount, 1);
    assert.equal(bytes.readUInt16BE(10), 1, 'ARCOUNT 1');
    // The OPT is the last 31 bytes: root, type 41, class 1440, ttl 0x1194, rdlength 20, Lease, Owner.
    const opt = bytes.subarray(bytes.length - 31);
    assert.equal(
      opt.toString('hex'),
      // Byte for byte the example of sps-protocol.md §2.4 (seq 7 here).
      [
        '00',
        '0029',
        '05a0',
        '00001194',
        '0014',
        '0002 0004 00001c20',
        `0004 0008 00 07 ${MAC.replace(/:/g, '')}`,
      ]
        .join('')
        .replace(/ /g, ''),
    );
    assert.ok(opt.readUInt16BE(9) >= SPS_OPT_MIN_RDLENGTH);
    assert.equal(reg.skippedRecords, 0);
    for (const r of reg.records) {
      assert.ok(r.ttl > 0 && r.ttl <= 4500, `${r.name} TTL ${r.ttl}`);
      assert.ok(r.rdata.length > 0 && r.rdata.length <= SPS_MAX_RDLENGTH);
    }
    assert.ok(bytes.length <= 1440, `${bytes.length} bytes fit in one message`);
  });

  test('a SecureOn password makes the 20- or 18-byte Owner option', () => {
    const six = build(Buffer.from('a1b2c3d4e5f6', 'hex')).reg.owner;
    assert.equal(six.length, 20);
    assert.equal(six.password?.toString('hex'), 'a1b2c3d4e5f6');
    const four = build(Buffer.from('a1b2c3d4', 'hex')).reg.owner;
    assert.equal(four.length, 18);
    assert.equal(four.password?.toString('hex'), 'a1b2c3d40000');
  });
});
