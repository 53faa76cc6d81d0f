// Mesh message codec: SnowSignal's plain format (checked against the captured fixture) and our
// authenticated one (forgery, alteration, truncation).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseFrame } from '../../../src/wire/frame';
import {
  MESH_AUTH_OVERHEAD,
  encodeAuthMesh,
  encodePlainMesh,
  meshCounterTime,
  nextMeshCounter,
  parseMeshMessage,
} from '../../../src/wire/relay-mesh';
import { fixturePath } from '../../support/paths';
import { parsePcap } from '../../support/pcap';

function fixtureMessage(): Buffer {
  const record = parsePcap(readFileSync(fixturePath('snowsignal-mesh.pcap'))).records[0];
  const frame = parseFrame(record.data, { verifyTransportChecksums: false });
  assert.ok(frame.ok && frame.value.kind === 'udp');
  return frame.value.udp.payload;
}

test('the SnowSignal fixture parses as a plain message carrying the captured broadcast frame', () => {
  const message = fixtureMessage();
  const parsed = parseMeshMessage(message);
  assert.ok(parsed.ok && parsed.value.kind === 'plain');
  // captured on a veth: the UDP checksum is the unfinished (offloaded) one, so not checked here
  const inner = parseFrame(parsed.value.frame, { verifyTransportChecksums: false });
  assert.ok(inner.ok && inner.value.kind === 'udp');
  assert.equal(inner.value.ip.src, '10.78.1.10');
  assert.equal(inner.value.ip.dst, '255.255.255.255');
  assert.equal(inner.value.udp.srcPort, 40000);
  assert.equal(inner.value.udp.dstPort, 5076);
  assert.equal(inner.value.udp.payload.toString(), 'hello snowsignal\n');
  assert.deepEqual(encodePlainMesh(parsed.value.frame), message, 'byte-identical re-encode');
});

test('authenticated messages verify with the key and fail when forged or altered', () => {
  const frame = fixtureMessage().subarray(2);
  const key = Buffer.from('swordfish');
  const senderId = Buffer.from('0011223344556677', 'hex');
  const message = encodeAuthMesh({ senderId, counter: 12345, frame }, key);
  assert.equal(message.length, MESH_AUTH_OVERHEAD + frame.length);
  assert.equal(message.subarray(0, 2).toString(), 'SA');
  const parsed = parseMeshMessage(message, key);
  assert.ok(parsed.ok && parsed.value.kind === 'auth');
  assert.equal(parsed.value.verified, true);
  assert.equal(parsed.value.counter, 12345);
  assert.deepEqual(parsed.value.senderId, senderId);
  assert.deepEqual(parsed.value.frame, frame);

  const unverified = parseMeshMessage(message);
  assert.ok(unverified.ok && unverified.value.kind === 'auth' && !unverified.value.verified);

  const forged = parseMeshMessage(encodeAuthMesh({ senderId, counter: 1, frame }, Buffer.from('guess')), key);
  assert.ok(!forged.ok && forged.error.reason === 'bad-checksum');
  for (const at of [3, 5, 13, message.length - 1]) {
    const altered = Buffer.from(message);
    altered[at] ^= 0x40;
    const r = parseMeshMessage(altered, key);
    assert.ok(!r.ok, `byte ${at} altered`);
  }
});

test('malformed mesh datagrams are results, never exceptions', () => {
  for (const bad of ['', 'S', 'XX0123456789abcdef', 'SS0123', 'SA'].map((t) => Buffer.from(t))) {
    assert.equal(parseMeshMessage(bad, Buffer.from('k')).ok, false, JSON.stringify(bad.toString()));
  }
  const short = encodeAuthMesh(
    { senderId: Buffer.alloc(8), counter: 1, frame: Buffer.alloc(14) },
    Buffer.from('k'),
  );
  assert.equal(parseMeshMessage(short.subarray(0, 40), Buffer.from('k')).ok, false);
});

test('counters increase strictly and start from the clock', () => {
  const first = nextMeshCounter(0, 1_700_000_000_000);
  assert.equal(meshCounterTime(first), 1_700_000_000_000);
  assert.equal(nextMeshCounter(first, 1_700_000_000_000), first + 1);
  assert.ok(nextMeshCounter(first + 5, 1_700_000_000_001) > first + 5);
});
