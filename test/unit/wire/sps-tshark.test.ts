// tshark as an independent judge of what we send: replies to every fixture registration, error replies,
// a registration we build, and the "I am awake" announcement, all decoded in one tshark run (it is slow
// to start). Skips, with the reason, where tshark is not installed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeOwnerAnnouncement } from '../../../src/wire/sps-owner';
import {
  encodeRegistration,
  encodeRegistrationReply,
  grantedLease,
  parseRegistration,
} from '../../../src/wire/sps-registration';
import { UdpFrameSpec } from '../../support/pcap-writer';
import { REGISTRATION_CAPTURES, SAMPLE_RECORDS, updateDatagrams } from '../../support/sps-fixtures';
import { tsharkFields, tsharkMissing } from '../../support/tshark';

const SLEEPER_MAC = '02:53:50:00:00:0a';
const FIELDS = [
  'dns.id',
  'dns.flags',
  'dns.flags.response',
  'dns.flags.opcode',
  'dns.flags.rcode',
  'dns.count.zones',
  'dns.count.updates',
  'dns.count.add_rr',
  'dns.rr.udp_payload_size',
  'dns.opt.code',
  'dns.opt.len',
  'dns.opt.data',
  'dns.srv.port',
  'dns.a',
];

describe('tshark reads what we encode', () => {
  const skip = tsharkMissing();
  const toSps = { src: '10.77.0.10', dst: '10.77.0.20', srcPort: 5353, dstPort: 5354 };
  const fromSps = { src: '10.77.0.20', dst: '10.77.0.10', srcPort: 5354, dstPort: 5353 };
  const registrations = REGISTRATION_CAPTURES.flatMap((c) => updateDatagrams(c)).map((d) => {
    const reg = parseRegistration(d.payload);
    assert.ok(reg.ok);
    return { d, reg: reg.value };
  });
  const replies: UdpFrameSpec[] = registrations.map(({ d, reg }) => ({
    src: d.dst,
    dst: d.src,
    srcPort: d.dstPort,
    dstPort: d.srcPort,
    payload: encodeRegistrationReply({ id: reg.id, rcode: 0, lease: grantedLease(reg.lease) }),
  }));
  const errors: UdpFrameSpec[] = [1, 5].map((rcode) => ({
    ...fromSps,
    payload: encodeRegistrationReply({ id: 9, rcode }),
  }));
  const request = {
    id: 0x5150,
    owner: {
      version: 0,
      seq: 3,
      hostMac: SLEEPER_MAC,
      wakeMac: '02:53:50:00:00:0b',
      password: Buffer.from('a1a2a3a4a5a6', 'hex'),
    },
    lease: 3600,
    records: SAMPLE_RECORDS,
    zone: true,
  };
  const built: UdpFrameSpec = { ...toSps, payload: encodeRegistration(request) };
  const awake: UdpFrameSpec = {
    ...toSps,
    dstPort: 5353,
    payload: encodeOwnerAnnouncement({
      owner: { version: 0, seq: 1, hostMac: SLEEPER_MAC, wakeMac: '02:53:50:00:00:0b' },
    }),
  };
  const rows = skip ? [] : tsharkFields([...replies, ...errors, built, awake], FIELDS);
  const one = (row: Record<string, string[]>, field: string): string | undefined => row[field][0];

  test('replies to every fixture registration: QR, UPDATE, NOERROR, one OPT with the lease', { skip }, () => {
    assert.equal(rows.length, replies.length + errors.length + 2);
    registrations.forEach(({ reg }, i) => {
      const row = rows[i];
      assert.equal(parseInt(one(row, 'dns.id') ?? '', 16), reg.id);
      assert.deepEqual(
        ['dns.flags', 'dns.flags.response', 'dns.flags.opcode', 'dns.flags.rcode', 'dns.count.add_rr'].map(
          (f) => one(row, f),
        ),
        ['0xa800', '1', '5', '0', '1'],
      );
      assert.deepEqual(
        [row['dns.rr.udp_payload_size'], row['dns.opt.code'], row['dns.opt.len'], row['dns.opt.data']],
        [['1440'], ['2'], ['4'], ['00001c20']],
      );
    });
  });

  test('FormErr and Refused replies', { skip }, () => {
    const [formErr, refused] = rows.slice(replies.length, replies.length + 2);
    assert.deepEqual([one(formErr, 'dns.flags'), one(refused, 'dns.flags')], ['0xa801', '0xa805']);
    assert.deepEqual([one(formErr, 'dns.count.add_rr'), one(refused, 'dns.count.add_rr')], ['0', '0']);
  });

  test('a registration we build: SPC zone, updates, Lease then a 20-byte Owner', { skip }, () => {
    const row = rows[replies.length + 2];
    assert.deepEqual(
      ['dns.flags', 'dns.count.zones', 'dns.count.updates', 'dns.count.add_rr'].map((f) => one(row, f)),
      ['0x2800', '1', String(SAMPLE_RECORDS.length), '1'],
    );
    assert.deepEqual(row['dns.opt.code'], ['2', '4']);
    assert.deepEqual(row['dns.opt.data'], ['00000e10', '000302535000000a02535000000ba1a2a3a4a5a6']);
    assert.deepEqual(row['dns.srv.port'], ['80']);
    assert.deepEqual(row['dns.a'], ['10.77.0.10']);
  });

  test('the "I am awake" announcement: response 0x8400, ID 0, one OPT with the Owner', { skip }, () => {
    const row = rows[replies.length + 3];
    assert.deepEqual(
      ['dns.id', 'dns.flags', 'dns.count.add_rr'].map((f) => one(row, f)),
      ['0x0000', '0x8400', '1'],
    );
    assert.deepEqual(row['dns.opt.code'], ['4']);
    assert.deepEqual(row['dns.opt.data'], ['000102535000000a02535000000b']);
  });
});
