import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  dnsNameEquals,
  dnsNameKey,
  dnsNameToLabels,
  emitDnsName,
  encodeDnsName,
  joinDnsName,
  NameTable,
  parseDnsName,
  parseReverseName,
  reverseNameFor,
  splitDnsName,
} from '../../../src/wire/dns-name';

const wire = (hex: string): Buffer => Buffer.from(hex.replace(/\s/g, ''), 'hex');

describe('DNS names', () => {
  test('text <-> wire, with escapes for dots and backslashes inside labels', () => {
    const cases: [string, Buffer[]][] = [
      ['.', []],
      ['sleeper.local', [Buffer.from('sleeper'), Buffer.from('local')]],
      [
        'Printer v1\\.2._ipp._tcp.local',
        [Buffer.from('Printer v1.2'), Buffer.from('_ipp'), Buffer.from('_tcp'), Buffer.from('local')],
      ],
      ['back\\\\slash.local', [Buffer.from('back\\slash'), Buffer.from('local')]],
      ['Wohnzimmer – Müller’s Mac.local', [Buffer.from('Wohnzimmer – Müller’s Mac'), Buffer.from('local')]],
      [
        'bad\\255\\000utf8.local',
        [Buffer.from([0x62, 0x61, 0x64, 0xff, 0x00, 0x75, 0x74, 0x66, 0x38]), Buffer.from('local')],
      ],
    ];
    for (const [text, labels] of cases) {
      const encoded = encodeDnsName(text);
      assert.deepEqual(
        encoded,
        Buffer.concat([...labels.flatMap((l) => [Buffer.from([l.length]), l]), Buffer.from([0])]),
      );
      assert.deepEqual(parseDnsName(encoded, 0, 0), { ok: true, value: text, bytes: encoded.length });
    }
    assert.deepEqual(splitDnsName('Printer v1\\.2._ipp._tcp.local'), [
      'Printer v1.2',
      '_ipp',
      '_tcp',
      'local',
    ]);
    assert.equal(joinDnsName(['Printer v1.2', '_ipp', '_tcp', 'local']), 'Printer v1\\.2._ipp._tcp.local');
    const trailingDot = dnsNameToLabels('a.b.');
    assert.ok(trailingDot.ok && trailingDot.bytes === 5);
  });

  test('text that is not a name', () => {
    for (const bad of [
      'a..b',
      '.a',
      'x\\',
      'x\\256.local',
      `${'x'.repeat(64)}.local`,
      `${'abcdefg.'.repeat(32)}local`,
    ]) {
      assert.equal(dnsNameToLabels(bad).ok, false, bad);
      assert.throws(() => encodeDnsName(bad), { name: 'WireError' });
    }
    assert.equal(dnsNameToLabels(`${'x'.repeat(63)}.local`).ok, true);
  });

  test('case-insensitive keys and equality (RFC 4343), escapes preserved', () => {
    assert.equal(dnsNameKey('Sleeper.LOCAL.'), 'sleeper.local');
    assert.ok(dnsNameEquals('A.0.IP6.ARPA', 'a.0.ip6.arpa'));
    assert.ok(!dnsNameEquals('a\\.b.local', 'a.b.local'));
    assert.equal(dnsNameKey('x\\..local'), 'x\\..local');
  });

  test('compression pointers: backwards chains decode, loops and forward pointers do not', () => {
    // 12 bytes of header, then "local" at 12, "sleeper" + ptr(12) at 19, ptr(19) at 29.
    const msg = Buffer.concat([Buffer.alloc(12), wire('056c6f63616c00 07736c6565706572c00c c013')]);
    assert.deepEqual(parseDnsName(msg, 19, 0), { ok: true, value: 'sleeper.local', bytes: 10 });
    assert.deepEqual(parseDnsName(msg, 29, 0), { ok: true, value: 'sleeper.local', bytes: 2 });
    const self = Buffer.concat([Buffer.alloc(12), wire('c00c')]);
    assert.equal(parseDnsName(self, 12, 0).ok, false);
    const loop = Buffer.concat([Buffer.alloc(12), wire('0161c00c')]);
    assert.equal(parseDnsName(loop, 12, 0).ok, false, 'a label then a pointer to itself');
    const forward = Buffer.concat([Buffer.alloc(12), wire('c00e 056c6f63616c00')]);
    const f = parseDnsName(forward, 12, 0);
    assert.ok(!f.ok && f.error.reason === 'malformed');
    const twoStep = Buffer.concat([Buffer.alloc(12), wire('0161c010 0162c00c')]);
    assert.equal(parseDnsName(twoStep, 16, 0).ok, false, 'a -> b -> a loop');
    const badType = Buffer.concat([Buffer.alloc(12), wire('4161 00')]);
    assert.ok(!parseDnsName(badType, 12, 0).ok);
    const tooLong = Buffer.concat([
      Buffer.from(Array.from({ length: 128 }, () => [1, 0x61]).flat()),
      Buffer.from([0]),
    ]);
    const t = parseDnsName(tooLong, 0, 0);
    assert.ok(!t.ok && t.error.reason === 'bad-length');
    assert.ok(!parseDnsName(wire('0561626364'), 0, 0).ok, 'label runs past the end');
    assert.ok(!parseDnsName(wire('c0'), 0, 0).ok, 'half a pointer');
    assert.ok(!parseDnsName(Buffer.alloc(0), 0, 0).ok);
  });

  test('pointers count from the message start, not the buffer start', () => {
    const msg = Buffer.concat([Buffer.alloc(5, 0xee), Buffer.alloc(12), wire('056c6f63616c00 0161c00c')]);
    assert.deepEqual(parseDnsName(msg, 24, 5), { ok: true, value: 'a.local', bytes: 4 });
  });

  test('compressing emit: measuring and writing agree, latest occurrence wins', () => {
    const names = ['sleeper.local', '_ssh._tcp.local', 'Sleeper SSH._ssh._tcp.local', 'sleeper.local'];
    const measure = new NameTable(3);
    const lengths = names.reduce<number[]>(
      (acc, n) => [...acc, emitDnsName(n, undefined, 3 + acc.reduce((a, b) => a + b, 0), measure)],
      [],
    );
    const buf = Buffer.alloc(3 + lengths.reduce((a, b) => a + b, 0), 0xa5);
    const table = new NameTable(3);
    let pos = 3;
    for (const n of names) pos += emitDnsName(n, buf, pos, table);
    assert.equal(pos, buf.length);
    assert.deepEqual(lengths, [15, 12, 14, 2]);
    let at = 3;
    for (const n of names) {
      const parsed = parseDnsName(buf, at, 3);
      assert.ok(parsed.ok);
      assert.equal(parsed.value, n);
      at += parsed.bytes;
    }
    // the label case is never changed by compression
    const t2 = new NameTable(0);
    const b2 = Buffer.alloc(64);
    const first = emitDnsName('a.LOCAL', b2, 0, t2);
    const second = emitDnsName('b.local', b2, first, t2);
    assert.equal(second, 9, 'no pointer to "LOCAL" for "local"');
  });
});

describe('reverse-mapping names', () => {
  test('IPv4 and IPv6 in both directions', () => {
    assert.equal(reverseNameFor(Buffer.from([10, 77, 0, 10])), '10.0.77.10.in-addr.arpa');
    const v6 = Buffer.from('fe80000000000000005350fffe00000a', 'hex');
    assert.equal(
      reverseNameFor(v6),
      'a.0.0.0.0.0.e.f.f.f.0.5.3.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa',
    );
    assert.deepEqual(parseReverseName('10.0.77.10.in-addr.arpa'), {
      family: 4,
      bytes: Buffer.from([10, 77, 0, 10]),
    });
    assert.deepEqual(parseReverseName(reverseNameFor(v6).toUpperCase()), { family: 6, bytes: v6 });
    assert.throws(() => reverseNameFor(Buffer.alloc(5)));
  });

  test('anything else is not a reverse name', () => {
    for (const name of [
      '10.0.77.in-addr.arpa',
      '256.0.77.10.in-addr.arpa',
      '1.2.3.4.in-addr.arpa.local',
      'x.ip6.arpa',
      '1\\.2.3.4.5.in-addr.arpa',
      'ip6.arpa',
      '.',
    ]) {
      assert.equal(parseReverseName(name), undefined, name);
    }
  });
});
