import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  encodeKeepaliveRdata,
  parseKeepaliveRdata,
  type KeepaliveRepr,
} from '../../../src/wire/sps-keepalive';

const V4: KeepaliveRepr = {
  interval: 20,
  local: '10.77.0.10',
  remote: '10.77.0.30',
  localPort: 8022,
  remotePort: 51000,
  peerMac: '02:00:00:00:00:99',
  seq: 4_000_000_000,
  ack: 77,
  window: 502,
};

const rdataOf = (text: string): Buffer =>
  Buffer.concat([Buffer.from([text.length + 1]), Buffer.from(text, 'latin1'), Buffer.from([0])]);

describe('keepalive record rdata (sps-protocol.md §5.4)', () => {
  test("encodes Apple's key order with the length byte and the trailing NUL, and parses back", () => {
    const rdata = encodeKeepaliveRdata(V4);
    const text =
      't=20 i=30 c=10 h=10.77.0.10 d=10.77.0.30 l=8022 r=51000 m=02:00:00:00:00:99 s=4000000000 a=77 w=502';
    assert.deepEqual(rdata, rdataOf(text));
    const back = parseKeepaliveRdata(rdata);
    assert.ok(back.ok);
    assert.deepEqual(back.value, V4);
  });

  test('IPv6 uses H and D, and any textual IPv6 form (full or compressed) is read', () => {
    const v6 = { ...V4, local: 'fe80::53:50ff:fe00:a', remote: 'fe80::99' };
    const back = parseKeepaliveRdata(encodeKeepaliveRdata(v6));
    assert.ok(back.ok);
    assert.deepEqual(back.value, v6);
    const full = rdataOf(
      't=5 H=fe80:0000:0000:0000:0053:50ff:fe00:000a D=FE80::99 l=1 r=2 m=02:00:00:00:00:99 s=1 a=1 w=1',
    );
    const parsed = parseKeepaliveRdata(full);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.local, 'fe80::53:50ff:fe00:a');
    assert.equal(parsed.value.remote, 'fe80::99');
  });

  test('unknown keys are skipped; text ends at the NUL or at the length byte', () => {
    const text = 'x=9 t=1 h=1.2.3.4 d=1.2.3.5 l=1 r=2 m=02:00:00:00:00:01 s=3 a=4 w=5';
    assert.ok(parseKeepaliveRdata(rdataOf(text)).ok);
    const noNul = Buffer.concat([Buffer.from([text.length]), Buffer.from(text)]);
    assert.ok(parseKeepaliveRdata(noNul).ok);
    const shortLength = rdataOf(text);
    shortLength[0] = 5; // "x=9 " only
    assert.equal(parseKeepaliveRdata(shortLength).ok, false);
  });

  const ineligible: [string, string][] = [
    ['interval 0', 't=0 h=1.2.3.4 d=1.2.3.5 l=1 r=2 m=02:00:00:00:00:01 s=3 a=4 w=5'],
    ['no peer', 't=1 h=1.2.3.4 l=1 r=2 m=02:00:00:00:00:01 s=3 a=4 w=5'],
    ['mixed families', 't=1 h=1.2.3.4 D=fe80::1 l=1 r=2 m=02:00:00:00:00:01 s=3 a=4 w=5'],
    ['seq 0', 't=1 h=1.2.3.4 d=1.2.3.5 l=1 r=2 m=02:00:00:00:00:01 s=0 a=4 w=5'],
    ['window 0', 't=1 h=1.2.3.4 d=1.2.3.5 l=1 r=2 m=02:00:00:00:00:01 s=3 a=4 w=0'],
    ['no MAC', 't=1 h=1.2.3.4 d=1.2.3.5 l=1 r=2 s=3 a=4 w=5'],
  ];
  for (const [name, text] of ineligible) {
    test(`ineligible (${name}): 'unsupported', the record stays an ordinary one`, () => {
      const parsed = parseKeepaliveRdata(rdataOf(text));
      assert.equal(parsed.ok, false);
      assert.equal(!parsed.ok && parsed.error.reason, 'unsupported');
    });
  }

  const malformed: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['port out of range', rdataOf('t=1 h=1.2.3.4 d=1.2.3.5 l=70000 r=2 m=02:00:00:00:00:01 s=3 a=4 w=5')],
    ['seq over 32 bits', rdataOf('t=1 h=1.2.3.4 d=1.2.3.5 l=1 r=2 m=02:00:00:00:00:01 s=4294967296 a=4 w=5')],
    ['bad address', rdataOf('t=1 h=1.2.3.400 d=1.2.3.5 l=1 r=2 m=02:00:00:00:00:01 s=3 a=4 w=5')],
    ['not a pair', rdataOf('t=1 hello')],
    ['signed number', rdataOf('t=-1')],
    ['binary', Buffer.from([3, 0xff, 0xfe, 0])],
  ];
  for (const [name, rdata] of malformed) {
    test(`malformed (${name}) is refused without throwing`, () => {
      assert.equal(parseKeepaliveRdata(rdata).ok, false);
    });
  }
});
