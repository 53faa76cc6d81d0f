import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import dnsPacket from 'dns-packet';
import {
  DnsClass,
  dnsFlags,
  dnsMessageEncodingLength,
  DnsMessageRepr,
  dnsOpcode,
  dnsRcode,
  DnsRecord,
  emitDnsMessage,
  encodeDnsMessage,
  isDnsResponse,
  optRecord,
  parseDnsMessage,
  ParsedDnsMessage,
} from '../../../src/wire/dns';
import { canonicalRdata, DnsType, dnsTypeName } from '../../../src/wire/dns-rdata';
import { leaseOption } from '../../../src/wire/edns';
import { ALL_CAPTURES, captureDatagrams, SAMPLE_RECORDS } from '../../support/sps-fixtures';

function parsed(buf: Buffer, offset = 0): ParsedDnsMessage {
  const r = parseDnsMessage(buf, offset);
  if (!r.ok) assert.fail(r.error.message);
  return r.value;
}

const dnsDatagrams = ALL_CAPTURES.flatMap((c) =>
  captureDatagrams(c)
    .filter((d) => [5353, 5354].includes(d.srcPort) || [5353, 5354].includes(d.dstPort))
    .map((d) => ({ ...d, capture: c })),
);

const RECORDS: DnsRecord[] = [
  SAMPLE_RECORDS[1], // box.local A 10.77.0.10, cache-flush
  {
    name: 'box.local',
    type: DnsType.AAAA,
    class: DnsClass.IN,
    cacheFlush: true,
    ttl: 120,
    data: { kind: 'aaaa', address: 'fe80::53:50ff:fe00:a' },
  },
  {
    name: '_http._tcp.local',
    type: DnsType.PTR,
    class: DnsClass.IN,
    ttl: 4500,
    data: { kind: 'name', target: 'Box._http._tcp.local' },
  },
  {
    name: 'Box._http._tcp.local',
    type: DnsType.SRV,
    class: DnsClass.IN,
    cacheFlush: true,
    ttl: 120,
    data: { kind: 'srv', priority: 1, weight: 2, port: 8080, target: 'box.local' },
  },
  {
    name: 'Box._http._tcp.local',
    type: DnsType.TXT,
    class: DnsClass.IN,
    cacheFlush: true,
    ttl: 4500,
    data: { kind: 'txt', strings: [Buffer.from('path=/'), Buffer.from('')] },
  },
  {
    name: 'Empty._http._tcp.local',
    type: DnsType.TXT,
    class: DnsClass.IN,
    ttl: 4500,
    data: { kind: 'txt', strings: [] },
  },
  {
    name: 'box.local',
    type: DnsType.NSEC,
    class: DnsClass.IN,
    cacheFlush: true,
    ttl: 120,
    data: { kind: 'nsec', next: 'box.local', types: [1, 28, 47, 300] },
  },
  {
    name: '1._keepalive._dns-sd._udp.local',
    type: DnsType.NULL,
    class: DnsClass.IN,
    cacheFlush: true,
    ttl: 4500,
    data: { kind: 'raw', data: Buffer.from('\x05t=20\x00', 'latin1') },
  },
  {
    name: 'box.local',
    type: DnsType.HINFO,
    class: DnsClass.IN,
    ttl: 120,
    data: { kind: 'raw', data: Buffer.from('\x03ARM\x05Linux', 'latin1') },
  },
  {
    name: 'alias.local',
    type: DnsType.CNAME,
    class: DnsClass.IN,
    ttl: 120,
    data: { kind: 'name', target: 'box.local' },
  },
];

const MESSAGE: DnsMessageRepr = {
  id: 0x1234,
  flags: dnsFlags({ qr: true, aa: true }),
  questions: [{ name: 'box.local', type: DnsType.ANY, class: DnsClass.IN, qu: true }],
  answers: RECORDS,
  authorities: [],
  additionals: [
    optRecord({ udpPayloadSize: 1440, extendedRcode: 0, version: 0, flags: 0x1194 }, [leaseOption(60)]),
  ],
};

/** Parsed records carry rdlength/index/cacheFlush; compare on the repr fields only. */
const reprOf = (m: ParsedDnsMessage): DnsMessageRepr => ({
  id: m.id,
  flags: m.flags,
  questions: m.questions,
  answers: m.answers.map(({ rdlength: _l, index: _i, ...r }) => r),
  authorities: m.authorities.map(({ rdlength: _l, index: _i, ...r }) => r),
  additionals: m.additionals.map(({ rdlength: _l, index: _i, ...r }) => r),
});
const normalized = (m: DnsMessageRepr): DnsMessageRepr => ({
  ...m,
  questions: m.questions.map((q) => ({ ...q, qu: q.qu ?? false })),
  answers: m.answers.map((r) => ({ ...r, cacheFlush: r.type !== DnsType.OPT && (r.cacheFlush ?? false) })),
  additionals: m.additionals.map((r) => ({
    ...r,
    cacheFlush: r.type !== DnsType.OPT && (r.cacheFlush ?? false),
  })),
});

describe('DNS messages: real captures', () => {
  test('every mDNS and UPDATE datagram decodes and re-encodes byte-identically', () => {
    assert.ok(dnsDatagrams.length > 200);
    for (const d of dnsDatagrams) {
      const m = parseDnsMessage(d.payload);
      assert.ok(m.ok, `${d.capture} frame ${d.frame}`);
      assert.equal(m.bytes, d.payload.length);
      assert.equal(m.value.skipped.length, 0);
      // Apple compresses SRV/NSEC names in mDNS but not in updates; the fake SPS's python encoder never
      // compresses rdata: one of the three styles must reproduce each datagram exactly.
      const styles = [{ compress: true, mdns: dnsOpcode(m.value.flags) !== 5 }, { compress: true }, {}];
      assert.ok(
        styles.some((ctx) => encodeDnsMessage(m.value, ctx).equals(d.payload)),
        `${d.capture} frame ${d.frame}`,
      );
    }
  });

  test('QU questions and cache-flush records are read exactly', () => {
    const d = dnsDatagrams.find((x) => x.capture === 'mdnsresponder-registration.pcap' && x.frame === 7);
    assert.ok(d);
    const m = parsed(d.payload);
    assert.deepEqual(m.questions[0], {
      name: '_sleep-proxy._udp.local',
      type: DnsType.PTR,
      class: DnsClass.IN,
      qu: true,
    });
    const sps = parsed(
      dnsDatagrams.find((x) => x.capture === 'mdnsresponder-registration.pcap' && x.frame === 1)?.payload ??
        Buffer.alloc(0),
    );
    assert.deepEqual(
      sps.answers.map((r) => [dnsTypeName(r.type), r.class, r.cacheFlush]),
      [
        ['PTR', 1, false],
        ['SRV', 1, true],
        ['TXT', 1, true],
        ['A', 1, true],
      ],
    );
    assert.deepEqual(sps.answers[0].data, {
      kind: 'name',
      target: '10-34-10-70 TestSPS._sleep-proxy._udp.local',
    });
    assert.deepEqual(sps.answers[2].data, { kind: 'txt', strings: [] });
  });

  test('cut at every byte offset: never throws', () => {
    const sample = [1, 7, 15, 17, 23, 39].map((frame) =>
      dnsDatagrams.find((d) => d.capture === 'mdnsresponder-registration.pcap' && d.frame === frame),
    );
    for (const d of sample) {
      assert.ok(d);
      for (let n = 0; n < d.payload.length; n++) {
        const r = parseDnsMessage(d.payload.subarray(0, n));
        if (r.ok) assert.ok(r.bytes <= n);
      }
    }
  });

  test('random corruption: never throws', () => {
    let seed = 0x5eed;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 1000; i++) {
      const d = dnsDatagrams[rand(dnsDatagrams.length)];
      const buf = Buffer.from(d.payload);
      for (let k = 1 + rand(4); k > 0; k--) buf[rand(buf.length)] = rand(256);
      const r = parseDnsMessage(buf);
      if (r.ok) encodeDnsMessage(r.value, { compress: true });
    }
  });
});

describe('DNS messages: encoding', () => {
  test('round trip into garbage at an offset: computed = written = read', () => {
    for (const ctx of [{}, { compress: true }, { compress: true, mdns: true }]) {
      const length = dnsMessageEncodingLength(MESSAGE, ctx);
      const buf = Buffer.alloc(length + 11, 0xa5);
      assert.equal(emitDnsMessage(MESSAGE, buf, 7, ctx), length);
      assert.deepEqual(buf.subarray(0, 7), Buffer.alloc(7, 0xa5));
      assert.deepEqual(buf.subarray(7 + length), Buffer.alloc(4, 0xa5));
      const r = parseDnsMessage(buf, 7, 7 + length);
      assert.ok(r.ok);
      assert.equal(r.bytes, length);
      assert.deepEqual(reprOf(r.value), normalized(MESSAGE));
      assert.ok(encodeDnsMessage(r.value, ctx).equals(buf.subarray(7, 7 + length)));
    }
    assert.ok(dnsMessageEncodingLength(MESSAGE, { compress: true }) < dnsMessageEncodingLength(MESSAGE));
    assert.throws(() => emitDnsMessage(MESSAGE, Buffer.alloc(20)), RangeError);
  });

  test('dns-packet decodes what we encode', () => {
    const decoded = dnsPacket.decode(encodeDnsMessage({ ...MESSAGE, questions: [] }, { compress: true }));
    assert.equal(decoded.id, 0x1234);
    assert.equal(decoded.flag_aa, true);
    const answers = decoded.answers ?? [];
    assert.deepEqual(
      answers.map((a) => a.type),
      ['A', 'AAAA', 'PTR', 'SRV', 'TXT', 'TXT', 'NSEC', 'NULL', 'HINFO', 'CNAME'],
    );
    assert.deepEqual(
      answers.map((a) => ('flush' in a ? a.flush : undefined)),
      [true, true, false, true, true, false, true, true, false, false],
    );
    const data = answers.map((a) => (a as { data: unknown }).data);
    assert.equal(data[0], '10.77.0.10');
    assert.equal(data[1], 'fe80::53:50ff:fe00:a');
    assert.equal(data[2], 'Box._http._tcp.local');
    assert.deepEqual(data[3], { priority: 1, weight: 2, port: 8080, target: 'box.local' });
    assert.deepEqual(data[4], [Buffer.from('path=/'), Buffer.alloc(0)]);
    assert.deepEqual(data[5], [Buffer.alloc(0)], 'empty TXT = one empty string');
    assert.deepEqual(data[6], { nextDomain: 'box.local', rrtypes: ['A', 'AAAA', 'NSEC', 'UNKNOWN_300'] });
    assert.deepEqual(data[8], { cpu: 'ARM', os: 'Linux' });
    const opt = decoded.additionals?.[0] as dnsPacket.OptAnswer;
    assert.deepEqual([opt.type, opt.udpPayloadSize, opt.flags], ['OPT', 1440, 0x1194]);
  });

  test('empty TXT is a single zero byte', () => {
    assert.deepEqual(canonicalRdata({ kind: 'txt', strings: [] }), Buffer.from([0]));
    assert.deepEqual(canonicalRdata({ kind: 'txt', strings: [Buffer.alloc(0)] }), Buffer.from([0]));
    assert.throws(() => canonicalRdata({ kind: 'txt', strings: [Buffer.alloc(256)] }), RangeError);
  });

  test('QU bit and classes NONE / ANY round-trip exactly', () => {
    const m: DnsMessageRepr = {
      id: 1,
      flags: dnsFlags({ opcode: 5 }),
      questions: [
        { name: 'a.local', type: DnsType.A, class: DnsClass.IN, qu: true },
        { name: 'b.local', type: DnsType.ANY, class: DnsClass.ANY, qu: false },
      ],
      answers: [],
      authorities: [
        {
          name: 'a.local',
          type: DnsType.A,
          class: DnsClass.NONE,
          ttl: 0,
          data: { kind: 'a', address: '10.0.0.1' },
        },
        { name: 'a.local', type: DnsType.ANY, class: DnsClass.ANY, ttl: 0, data: { kind: 'empty' } },
        {
          name: 'a.local',
          type: DnsType.A,
          class: DnsClass.NONE,
          cacheFlush: true,
          ttl: 0,
          data: { kind: 'a', address: '10.0.0.2' },
        },
      ],
      additionals: [],
    };
    const bytes = encodeDnsMessage(m);
    assert.equal(bytes.readUInt16BE(12 + 9 + 2), 0x8001, 'QU bit on the wire');
    assert.equal(bytes.readUInt16BE(12 + 9 + 4 + 9 + 2), 0x00ff);
    const r = parsed(bytes);
    assert.deepEqual(
      r.questions.map((q) => [q.class, q.qu]),
      [
        [1, true],
        [255, false],
      ],
    );
    assert.deepEqual(
      r.authorities.map((a) => [a.class, a.cacheFlush, a.data.kind]),
      [
        [254, false, 'a'],
        [255, false, 'empty'],
        [254, true, 'a'],
      ],
    );
    assert.ok(encodeDnsMessage(r).equals(bytes));
  });

  test('OPT CLASS keeps its top bit (it is a payload size, not a cache-flush flag)', () => {
    const m: DnsMessageRepr = {
      id: 2,
      flags: 0,
      questions: [],
      answers: [],
      authorities: [],
      additionals: [optRecord({ udpPayloadSize: 0x9000, extendedRcode: 0, version: 0, flags: 0x8000 }, [])],
    };
    const r = parsed(encodeDnsMessage(m));
    assert.deepEqual(
      [r.additionals[0].class, r.additionals[0].cacheFlush, r.additionals[0].ttl],
      [0x9000, false, 0x8000],
    );
  });

  test('flags helpers', () => {
    const f = dnsFlags({ qr: true, opcode: 5, rcode: 5 });
    assert.equal(f, 0xa805);
    assert.deepEqual([isDnsResponse(f), dnsOpcode(f), dnsRcode(f)], [true, 5, 5]);
    assert.equal(dnsFlags({ qr: true, aa: true }), 0x8400);
    assert.equal(dnsFlags({ tc: true }), 0x0200);
  });
});

describe('DNS messages: bad records', () => {
  const header = (an: number, ns = 0, ar = 0): Buffer => {
    const h = Buffer.alloc(12);
    h.writeUInt16BE(0x2800, 2);
    h.writeUInt16BE(an, 6);
    h.writeUInt16BE(ns, 8);
    h.writeUInt16BE(ar, 10);
    return h;
  };
  const rr = (type: number, klass: number, rdata: string): Buffer => {
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(type, 0);
    fixed.writeUInt16BE(klass, 2);
    fixed.writeUInt32BE(120, 4);
    fixed.writeUInt16BE(rdata.length / 2, 8);
    return Buffer.concat([Buffer.from('016100', 'hex'), fixed, Buffer.from(rdata, 'hex')]);
  };

  test('an RDLENGTH-0 record followed by another record: both kept, in step', () => {
    const buf = Buffer.concat([
      header(0, 2),
      rr(DnsType.A, DnsClass.ANY, ''),
      rr(DnsType.A, DnsClass.IN, '0a000001'),
    ]);
    const m = parsed(buf);
    assert.deepEqual(
      m.authorities.map((r) => r.data),
      [{ kind: 'empty' }, { kind: 'a', address: '10.0.0.1' }],
    );
    for (const type of [DnsType.PTR, DnsType.SRV, DnsType.TXT, DnsType.NSEC, DnsType.AAAA]) {
      const n = parsed(
        Buffer.concat([header(0, 2), rr(type, DnsClass.ANY, ''), rr(DnsType.A, DnsClass.IN, '0a000001')]),
      );
      assert.deepEqual(
        n.authorities.map((r) => r.data.kind),
        ['empty', 'a'],
        dnsTypeName(type),
      );
    }
    const nul = parsed(Buffer.concat([header(1), rr(DnsType.NULL, 1, '')]));
    assert.deepEqual(nul.answers[0].data, { kind: 'empty' });
  });

  test('a record whose RDATA does not decode is skipped, the next one is kept', () => {
    const bad = [
      rr(DnsType.A, 1, '0a0000'),
      rr(DnsType.AAAA, 1, '00'.repeat(15)),
      rr(DnsType.PTR, 1, '01610000'),
      rr(DnsType.PTR, 1, 'c0ff'),
      rr(DnsType.SRV, 1, '0000000000'),
      rr(DnsType.SRV, 1, '000000000016' + '0561'),
      rr(DnsType.TXT, 1, '0561'),
      rr(DnsType.NSEC, 1, '00' + '0000'),
      rr(DnsType.NSEC, 1, '00' + '0021' + '00'.repeat(33)),
      rr(DnsType.NSEC, 1, '00' + '0004ff'),
      rr(DnsType.OPT, 1440, '00020004000000'),
    ];
    const buf = Buffer.concat([header(bad.length + 1), ...bad, rr(DnsType.A, 1, '0a000001')]);
    const m = parsed(buf);
    assert.equal(m.skipped.length, bad.length);
    assert.deepEqual(
      m.skipped.map((s) => s.index),
      bad.map((_, i) => i),
    );
    assert.ok(m.skipped.every((s) => s.section === 'answers' && s.error.name === 'WireError'));
    assert.deepEqual(
      m.answers.map((r) => [r.index, r.data]),
      [[bad.length, { kind: 'a', address: '10.0.0.1' }]],
    );
  });

  test('framing errors fail the whole message', () => {
    const overrun = Buffer.concat([header(1), rr(DnsType.A, 1, '0a000001')]);
    overrun.writeUInt16BE(5, overrun.length - 6);
    assert.ok(!parseDnsMessage(overrun).ok);
    assert.ok(!parseDnsMessage(header(1)).ok, 'count larger than the records present');
    const loop = Buffer.concat([header(1), Buffer.from('c00c', 'hex'), Buffer.alloc(10)]);
    const r = parseDnsMessage(loop);
    assert.ok(!r.ok && r.error.reason === 'malformed');
    assert.ok(!parseDnsMessage(Buffer.alloc(11)).ok);
    assert.ok(!parseDnsMessage(Buffer.alloc(12), 1).ok);
    assert.ok(!parseDnsMessage(Buffer.alloc(12), -1).ok);
    assert.ok(!parseDnsMessage(Buffer.alloc(12), 0, 13).ok);
  });

  test('trailing bytes after the counted sections are not part of the message', () => {
    const buf = Buffer.concat([header(1), rr(DnsType.A, 1, '0a000001'), Buffer.from('dead', 'hex')]);
    const r = parseDnsMessage(buf);
    assert.ok(r.ok && r.bytes === buf.length - 2);
  });
});
