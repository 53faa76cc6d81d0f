import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { DnsMessageRepr, DnsRecord, encodeDnsMessage, optRecord } from '../../../src/wire/dns';
import { DnsType } from '../../../src/wire/dns-rdata';
import { EdnsOption, ownerOption, OwnerRepr } from '../../../src/wire/edns';
import {
  emitOwnerAnnouncement,
  encodeOwnerAnnouncement,
  ownerAnnouncementEncodingLength,
  parseOwnerOptions,
} from '../../../src/wire/sps-owner';
import { fixturePath } from '../../support/paths';
import { parseRegistration } from '../../../src/wire/sps-registration';
import { ALL_CAPTURES, captureDatagrams, FIXTURE_SPS_PORT, WAKE_CAPTURES } from '../../support/sps-fixtures';

const SLEEPER: OwnerRepr = { version: 0, seq: 1, hostMac: '02:53:50:00:00:0a', wakeMac: '02:53:50:00:00:0a' };

describe('Owner options in mDNS traffic', () => {
  test('every Owner option tshark saw in the captures, with the seq of that phase', () => {
    let checked = 0;
    for (const capture of ALL_CAPTURES) {
      const txt = readFileSync(fixturePath(capture.replace('.pcap', '.txt')), 'utf8');
      const datagrams = new Map(captureDatagrams(capture).map((d) => [d.frame, d]));
      const seq = (WAKE_CAPTURES as readonly string[]).includes(capture) ? 1 : 0;
      // the .txt decodes some frames in full (-V): compare the Owner options frame by frame
      for (const section of txt.split(/\nFrame (?=\d+:)/).slice(1)) {
        const d = datagrams.get(parseInt(section, 10));
        if (!d) continue;
        const expected = [...section.matchAll(/Option Code: Owner.*\n.*\n\s+Option Data: ([0-9a-f]+)/g)].map(
          (m) => m[1],
        );
        let found: string[];
        if (d.dstPort === FIXTURE_SPS_PORT) {
          const reg = parseRegistration(d.payload);
          found = reg.ok ? [ownerOption(reg.value.owner).data.toString('hex')] : [];
        } else {
          const owners = parseOwnerOptions(d.payload);
          assert.ok(owners.ok, `${capture} frame ${d.frame}`);
          found = owners.value.map((o) => ownerOption(o).data.toString('hex'));
        }
        assert.deepEqual(found, expected, `${capture} frame ${d.frame}`);
        assert.ok(found.every((hex) => hex === `00${seq.toString(16).padStart(2, '0')}02535000000a`));
        checked += found.length;
      }
    }
    assert.ok(checked >= 100, `${checked} owner options checked`);
  });

  test('the SPS advertisement (no OPT) yields none', () => {
    const spsAnswers = captureDatagrams('mdnsresponder-registration.pcap').filter(
      (d) => d.src === '10.77.0.20' && d.dstPort === 5353,
    );
    assert.ok(spsAnswers.length > 0);
    for (const d of spsAnswers) {
      assert.deepEqual(parseOwnerOptions(d.payload), { ok: true, value: [], bytes: d.payload.length });
    }
  });

  const fields = { udpPayloadSize: 1440, extendedRcode: 0, version: 0, flags: 0x1194 };
  const message = (flags: number, opts: (EdnsOption[] | string)[]): Buffer => {
    const additionals = opts.map((o): DnsRecord =>
      typeof o === 'string'
        ? { ...optRecord(fields, []), data: { kind: 'raw', data: Buffer.from(o, 'hex') } }
        : optRecord(fields, o),
    );
    const m: DnsMessageRepr = {
      id: 0,
      flags,
      questions:
        flags & 0x8000 ? [] : [{ name: '_sleep-proxy._udp.local', type: DnsType.PTR, class: 1, qu: true }],
      answers: [],
      authorities: [],
      additionals,
    };
    return encodeDnsMessage(m);
  };
  const owner = (o: Partial<OwnerRepr> = {}): EdnsOption => ownerOption({ ...SLEEPER, ...o });
  const seqs = (buf: Buffer): number[] => {
    const r = parseOwnerOptions(buf);
    assert.ok(r.ok);
    return r.value.map((o) => o.seq);
  };

  test('queries: only the first OPT with RDLENGTH >= 12', () => {
    assert.deepEqual(
      seqs(message(0, [[{ code: 9, data: Buffer.alloc(0) }], [owner({ seq: 5 })], [owner({ seq: 6 })]])),
      [5],
    );
    assert.deepEqual(seqs(message(0, [[{ code: 9, data: Buffer.alloc(8) }], [owner({ seq: 6 })]])), []);
    assert.deepEqual(
      seqs(message(0, ['00040008000102535000000aff', [owner({ seq: 6 })]])),
      [],
      'malformed first OPT',
    );
  });

  test('responses: every OPT, every usable Owner in it', () => {
    assert.deepEqual(
      seqs(message(0x8400, [[owner({ seq: 5 }), owner({ seq: 7 })], [owner({ seq: 6 })]])),
      [5, 7, 6],
    );
    assert.deepEqual(
      seqs(
        message(0x8400, [
          [
            owner({ version: 1 }),
            owner({ hostMac: '00:00:00:00:00:01' }),
            { code: 4, data: Buffer.alloc(9, 1) },
          ],
        ]),
      ),
      [],
    );
    assert.deepEqual(seqs(message(0x8400, ['ffff', [owner({ seq: 2 })]])), [2]);
  });

  test('not a DNS message: an error, no throw', () => {
    assert.equal(parseOwnerOptions(Buffer.from('0000840000000000000000', 'hex')).ok, false);
  });
});

describe('"I am awake" announcement (IPConfiguration, §4.6)', () => {
  test('ID 0, flags 0x8400, one OPT with the Owner; round trip at an offset', () => {
    const bytes = encodeOwnerAnnouncement({ owner: SLEEPER });
    assert.equal(
      bytes.toString('hex'),
      '00008400000000000000000100002905a000001194000c00040008000102535000000a',
    );
    const buf = Buffer.alloc(bytes.length + 3, 0xa5);
    assert.equal(
      emitOwnerAnnouncement({ owner: SLEEPER }, buf, 3),
      ownerAnnouncementEncodingLength({ owner: SLEEPER }),
    );
    assert.deepEqual(buf.subarray(3), bytes);
    assert.deepEqual(parseOwnerOptions(buf, 3), {
      ok: true,
      value: [{ ...SLEEPER, password: undefined, length: 8 }],
      bytes: bytes.length,
    });
  });
});
