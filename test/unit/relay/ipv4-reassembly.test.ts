// IPv4 fragmentation and reassembly: round trips in any order, and hostile fragment sets dropped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Ipv4Repr } from '../../../src/wire/ipv4';
import { Ipv4Reassembler, fragmentIpv4 } from '../../../src/wire/ipv4-reassembly';

const datagram = (length: number, ident = 7): Ipv4Repr => ({
  version: 4,
  dscp: 0,
  ecn: 0,
  ident,
  dontFragment: false,
  moreFragments: false,
  fragmentOffset: 0,
  ttl: 64,
  protocol: 17,
  src: '10.78.1.10',
  dst: '255.255.255.255',
  options: Buffer.alloc(0),
  payload: Buffer.from(Array.from({ length }, (_, i) => i & 0xff)),
});

test('fragmentIpv4 cuts at multiples of 8 within the MTU; a datagram that fits stays whole', () => {
  assert.equal(fragmentIpv4(datagram(1000), 1500).length, 1);
  const parts = fragmentIpv4(datagram(4008), 1500);
  assert.deepEqual(
    parts.map((p) => [p.fragmentOffset, p.payload.length, p.moreFragments]),
    [
      [0, 1480, true],
      [1480, 1480, true],
      [2960, 1048, false],
    ],
  );
});

test('fragments reassemble in any order, up to 65,515 bytes', () => {
  for (const size of [4008, 65_515]) {
    const whole = datagram(size);
    const parts = fragmentIpv4(whole, 1500).reverse();
    const r = new Ipv4Reassembler();
    const results = parts.map((p) => r.add(p, 0));
    assert.ok(results.slice(0, -1).every((x) => x.status === 'pending'));
    const last = results[results.length - 1];
    assert.ok(last.status === 'complete');
    assert.deepEqual(last.datagram.payload, whole.payload);
    assert.equal(last.datagram.moreFragments, false);
    assert.equal(r.pending, 0);
  }
});

test('overlaps, oversize, too many datagrams and stale fragments are dropped', () => {
  const [a, b] = fragmentIpv4(datagram(3000), 1500);
  const r = new Ipv4Reassembler({ maxDatagrams: 2, timeoutMs: 1000 });
  assert.equal(r.add(a, 0).status, 'pending');
  assert.deepEqual(r.add({ ...b, fragmentOffset: 8 }, 0), { status: 'dropped', reason: 'overlap' });
  assert.equal(r.add({ ...a, ident: 1 }, 0).status, 'pending');
  assert.equal(r.add({ ...a, ident: 2 }, 0).status, 'pending');
  assert.deepEqual(r.add({ ...a, ident: 3 }, 0), { status: 'dropped', reason: 'too-many' });
  assert.equal(r.expire(1000), 2);
  assert.deepEqual(r.add({ ...b, fragmentOffset: 65_000 }, 2000), { status: 'dropped', reason: 'too-large' });
});
