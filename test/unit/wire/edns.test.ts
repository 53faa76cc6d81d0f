import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ednsOptionsEncodingLength,
  emitEdnsOptions,
  leaseOption,
  optFieldsFromClassTtl,
  optTtl,
  ownerOption,
  ownerOptionLength,
  ownerProblem,
  parseEdnsOptions,
  parseLeaseOption,
  parseOwnerOption,
} from '../../../src/wire/edns';

describe('EDNS0 options', () => {
  test("Apple's OPT RDATA: Lease then Owner; round trip into garbage at an offset", () => {
    const rdata = Buffer.from('0002000400001c20' + '00040008' + '001502535000000a', 'hex');
    const parsed = parseEdnsOptions(rdata);
    assert.ok(parsed.ok);
    assert.deepEqual(
      parsed.value.map((o) => o.code),
      [2, 4],
    );
    assert.equal(parsed.bytes, 20);
    assert.equal(ednsOptionsEncodingLength(parsed.value), 20);
    const buf = Buffer.alloc(27, 0xa5);
    assert.equal(emitEdnsOptions(parsed.value, buf, 7), 20);
    assert.deepEqual(buf.subarray(7), rdata);
  });

  test('unknown options (Trace 65001, TSR 65002, zero-length) are kept', () => {
    const rdata = Buffer.from('fde9000501009d9ee0' + 'fdea000a00000001aabbccdd0001' + '00070000', 'hex');
    const parsed = parseEdnsOptions(rdata);
    assert.ok(parsed.ok);
    assert.deepEqual(
      parsed.value.map((o) => [o.code, o.data.length]),
      [
        [65001, 5],
        [65002, 10],
        [7, 0],
      ],
    );
  });

  test('the whole OPT is rejected on overrun or trailing bytes', () => {
    assert.equal(parseEdnsOptions(Buffer.from('0002000500001c20', 'hex')).ok, false);
    for (const trailing of ['00', '0002', '000200']) {
      const r = parseEdnsOptions(Buffer.from('0002000400001c20' + trailing, 'hex'));
      assert.ok(!r.ok && r.error.reason === 'malformed', trailing);
    }
    assert.deepEqual(parseEdnsOptions(Buffer.alloc(0)), { ok: true, value: [], bytes: 0 });
  });

  test('OPT CLASS/TTL fields', () => {
    assert.deepEqual(optFieldsFromClassTtl(1440, 0x1194), {
      udpPayloadSize: 1440,
      extendedRcode: 0,
      version: 0,
      flags: 0x1194,
    });
    const f = { udpPayloadSize: 4096, extendedRcode: 0xfe, version: 1, flags: 0x8000 };
    assert.equal(optTtl(f), 0xfe018000);
    assert.deepEqual(optFieldsFromClassTtl(4096, optTtl(f)), f);
  });
});

describe('Update Lease option', () => {
  test('length must be 4; value clamped as Apple parses it', () => {
    assert.deepEqual(parseLeaseOption(leaseOption(7200).data), { ok: true, value: 7200, bytes: 4 });
    assert.deepEqual(parseLeaseOption(leaseOption(0).data), { ok: true, value: 0, bytes: 4 });
    const clamped = parseLeaseOption(leaseOption(0xffffffff).data);
    assert.ok(clamped.ok && clamped.value === 1879048);
    for (const n of [0, 3, 5, 8]) assert.equal(parseLeaseOption(Buffer.alloc(n)).ok, false, `length ${n}`);
  });
});

describe('Owner option', () => {
  const hmac = '02:53:50:00:00:0a';
  test('lengths 8/14/18/20 parse, re-emit identically; others fail', () => {
    for (const hex of [
      '0015' + '02535000000a',
      '0015' + '02535000000a' + '02535000000b',
      '0015' + '02535000000a' + '02535000000b' + '01020304',
      '0015' + '02535000000a' + '02535000000b' + '010203040506',
    ]) {
      const parsed = parseOwnerOption(Buffer.from(hex, 'hex'));
      assert.ok(parsed.ok, hex);
      assert.equal(parsed.value.seq, 0x15);
      assert.equal(parsed.value.hostMac, hmac);
      assert.equal(ownerOption(parsed.value).data.toString('hex'), hex);
    }
    for (const n of [0, 7, 9, 13, 15, 19, 21]) {
      const r = parseOwnerOption(Buffer.alloc(n, 1));
      assert.ok(!r.ok && r.error.reason === 'bad-length', `length ${n}`);
    }
  });

  test('IMAC defaults to HMAC; 4-byte password padded to 6', () => {
    const short = parseOwnerOption(Buffer.from('000002535000000a', 'hex'));
    assert.ok(short.ok && short.value.wakeMac === hmac && short.value.password === undefined);
    const p4 = parseOwnerOption(Buffer.from('000002535000000a02535000000b01020304', 'hex'));
    assert.ok(p4.ok);
    assert.deepEqual(p4.value.password, Buffer.from('010203040000', 'hex'));
  });

  test('emitted length: the smallest that carries the fields unless a parsed length is kept', () => {
    const base = { version: 0, seq: 1, hostMac: hmac, wakeMac: hmac };
    assert.equal(ownerOptionLength(base), 8);
    assert.equal(ownerOptionLength({ ...base, wakeMac: '02:53:50:00:00:0b' }), 14);
    assert.equal(ownerOptionLength({ ...base, password: Buffer.from('010203040000', 'hex') }), 18);
    assert.equal(ownerOptionLength({ ...base, password: Buffer.from('010203040506', 'hex') }), 20);
    assert.equal(ownerOptionLength({ ...base, length: 14 }), 14);
    assert.equal(
      ownerOptionLength({ ...base, password: Buffer.from('010203040506', 'hex'), length: 18 }),
      20,
    );
    assert.equal(ownerOption({ ...base, length: 14 }).data.toString('hex'), '000102535000000a02535000000a');
  });

  test('usable only with version 0 and a non-zero HMAC (first 4 bytes)', () => {
    const base = { version: 0, seq: 0, hostMac: hmac, wakeMac: hmac };
    assert.equal(ownerProblem(base), undefined);
    assert.equal(ownerProblem({ ...base, version: 1 }), 'bad-version');
    assert.equal(ownerProblem({ ...base, hostMac: '00:00:00:00:ff:ff' }), 'zero-hmac');
    assert.equal(ownerProblem({ ...base, hostMac: '00:00:00:01:00:00' }), undefined);
    assert.throws(() => ownerOption({ ...base, hostMac: 'nope' }), RangeError);
  });
});
