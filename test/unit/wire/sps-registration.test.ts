import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import dnsPacket from 'dns-packet';
import { DnsClass, DnsRecord, encodeDnsMessage, optRecord } from '../../../src/wire/dns';
import { DnsType, dnsTypeName } from '../../../src/wire/dns-rdata';
import { EdnsOption, leaseOption, LEASE_PARSE_CLAMP, ownerOption, OwnerRepr } from '../../../src/wire/edns';
import {
  emitRegistration,
  emitRegistrationReply,
  encodeRegistration,
  encodeRegistrationReply,
  grantedLease,
  parseRegistration,
  parseRegistrationReply,
  registrationEncodingLength,
  registrationReplyEncodingLength,
  SpsRegistrationRepr,
  SpsRegistrationResult,
} from '../../../src/wire/sps-registration';
import {
  captureDatagrams,
  FIXTURE_SPS_PORT,
  REGISTRATION_CAPTURES,
  SAMPLE_RECORDS,
  tsharkUpdate,
  updateDatagrams,
} from '../../support/sps-fixtures';

const SLEEPER_MAC = '02:53:50:00:00:0a';
const SLEEPER_OWNER: OwnerRepr = { version: 0, seq: 0, hostMac: SLEEPER_MAC, wakeMac: SLEEPER_MAC };

function accepted(result: SpsRegistrationResult): SpsRegistrationRepr {
  if (!result.ok) assert.fail(`registration rejected: ${result.error.message}`);
  return result.value;
}

function rejected(result: SpsRegistrationResult, reason: string): void {
  assert.equal(result.ok, false, 'expected a rejection');
  if (!result.ok) assert.equal(result.formErr?.reason, reason, result.error.message);
}

/** Our reading of a record's data in tshark's summary-line words. */
function summaryOf(r: DnsRecord): string {
  switch (r.data.kind) {
    case 'name':
      return r.data.target;
    case 'srv':
      return `priority ${r.data.priority}, weight ${r.data.weight}, port ${r.data.port}, target ${r.data.target}`;
    case 'a':
    case 'aaaa':
      return `addr ${r.data.address}`;
    default:
      return '';
  }
}

describe('SPS registration: every UPDATE in the real captures', () => {
  for (const capture of REGISTRATION_CAPTURES) {
    test(`${capture}: decodes like tshark and re-encodes byte-identically`, () => {
      const updates = updateDatagrams(capture);
      assert.ok(updates.length > 0);
      for (const d of updates) {
        const reg = accepted(parseRegistration(d.payload));
        const shark = tsharkUpdate(capture, d.frame);
        assert.equal(reg.id, shark.id);
        assert.equal(reg.zoneCount, shark.zones);
        assert.equal(reg.skippedRecords, 0);
        assert.equal(reg.optCount, 1);
        assert.deepEqual(
          reg.records.map((r) => [r.name, dnsTypeName(r.type), r.class | (r.cacheFlush ? 0x8000 : 0), r.ttl]),
          shark.updates.map((u) => [u.name, u.type, u.rawClass, u.ttl]),
        );
        reg.records.forEach((r, i) => {
          const u = shark.updates[i];
          if (r.data.kind === 'txt')
            assert.deepEqual(r.data.strings.length ? r.data.strings.map(String) : [''], u.txt);
          else assert.equal(summaryOf(r), u.summary, `record ${i} ${r.name}`);
        });
        assert.deepEqual(shark.optionCodes, [2, 4]);
        assert.equal(reg.lease, parseInt(shark.optionData[0], 16));
        assert.equal(ownerOption(reg.owner).data.toString('hex'), shark.optionData[1]);
        assert.equal(reg.lease, 7200);
        assert.deepEqual(reg.owner, { ...SLEEPER_OWNER, password: undefined, length: 8 });
        const again = encodeRegistration({
          id: reg.id,
          owner: reg.owner,
          lease: reg.lease,
          records: reg.records,
        });
        assert.ok(again.equals(d.payload), 'byte-identical re-encode');
      }
    });
  }

  test('single-packet registrations carry the sleeper, its addresses and its services', () => {
    for (const capture of ['mdnsresponder-registration.pcap', 'mdnsresponder-2600-registration.pcap']) {
      const [d] = updateDatagrams(capture);
      const reg = accepted(parseRegistration(d.payload));
      assert.deepEqual(reg.proxiedAddresses, [
        { family: 4, address: '10.77.0.10', from: '10.0.77.10.in-addr.arpa' },
        {
          family: 6,
          address: 'fe80::53:50ff:fe00:a',
          from: 'A.0.0.0.0.0.E.F.F.F.0.5.3.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.E.F.ip6.arpa',
        },
      ]);
      const names = new Set(reg.records.map((r) => r.name));
      for (const n of [
        'Sleeper SSH._ssh._tcp.local',
        'Sleeper SMB._smb._tcp.local',
        'Sleeper SSH._sftp-ssh._tcp.local',
      ]) {
        assert.ok(names.has(n), n);
      }
      const srvPorts = reg.records
        .flatMap((r) => (r.data.kind === 'srv' ? [r.data.port] : []))
        .sort((a, b) => a - b);
      assert.deepEqual(srvPorts, [22, 22, 445]);
      const smbTxt = reg.records.find(
        (r) => r.type === DnsType.TXT && r.name === 'Sleeper SMB._smb._tcp.local',
      );
      assert.ok(smbTxt?.data.kind === 'txt' && smbTxt.data.strings.map(String).join() === 'path=/share');
      const empty = reg.records.find(
        (r) => r.type === DnsType.TXT && r.name === 'Sleeper SSH._ssh._tcp.local',
      );
      assert.deepEqual(empty?.rdata, Buffer.from([0]), 'empty TXT is one zero byte');
      const a = reg.records.find((r) => r.type === DnsType.A);
      assert.deepEqual([a?.cacheFlush, a?.rdata.toString('hex')], [true, '0a4d000a']);
      const browse = reg.records.find((r) => r.name === '_ssh._tcp.local');
      assert.equal(browse?.cacheFlush, false, 'shared PTR has no cache-flush bit');
    }
  });

  test('both client generations: 2200 sends from 5353, 2600 from an ephemeral port, same content', () => {
    const [old] = updateDatagrams('mdnsresponder-registration.pcap');
    const [neu] = updateDatagrams('mdnsresponder-2600-registration.pcap');
    assert.equal(old.srcPort, 5353);
    assert.notEqual(neu.srcPort, 5353);
    assert.equal(neu.dstPort, FIXTURE_SPS_PORT);
    const key = (reg: SpsRegistrationRepr): string[] =>
      reg.records.map((r) => `${r.name}/${r.type}/${r.rdata.toString('hex')}`).sort();
    assert.deepEqual(
      key(accepted(parseRegistration(neu.payload))),
      key(accepted(parseRegistration(old.payload))),
    );
  });

  test('a split registration: four UPDATEs with the same ID, each with its own OPT', () => {
    const parts = updateDatagrams('mdnsresponder-registration-multipacket.pcap').map((d) =>
      accepted(parseRegistration(d.payload)),
    );
    assert.equal(parts.length, 4);
    assert.deepEqual(new Set(parts.map((p) => p.id)), new Set([0x9563]));
    assert.deepEqual(
      parts.map((p) => p.records.length),
      [37, 32, 25, 13],
    );
    assert.ok(parts.every((p) => p.optCount === 1 && p.lease === 7200 && p.owner.hostMac === SLEEPER_MAC));
    assert.equal(parts[0].proxiedAddresses.length, 2);
    assert.ok(parts.slice(1).every((p) => p.proxiedAddresses.length === 0));
    const ports = parts.flatMap((p) =>
      p.records.flatMap((r) => (r.data.kind === 'srv' ? [r.data.port] : [])),
    );
    for (let port = 8001; port <= 8030; port++) assert.ok(ports.includes(port), `SRV port ${port}`);
  });

  test('retransmissions (no reply) are the same message three times', () => {
    const sent = updateDatagrams('mdnsresponder-registration-noreply.pcap');
    assert.equal(sent.length, 3);
    assert.ok(sent.every((d) => d.payload.equals(sent[0].payload)));
  });
});

describe('SPS registration reply', () => {
  test("success reply is exactly Apple's 31 bytes and equals the captured reply", () => {
    const reply = encodeRegistrationReply({ id: 0xc6e2, rcode: 0, lease: 7200 });
    assert.equal(
      reply.toString('hex'),
      'c6e2a800000000000000000100002905a000001194000800020004' + '00001c20',
    );
    const captured = captureDatagrams('mdnsresponder-registration.pcap').find(
      (d) => d.srcPort === FIXTURE_SPS_PORT,
    );
    assert.ok(captured && reply.equals(captured.payload));
  });

  test('error replies are the 12-byte header: FormErr A8 01, Refused A8 05', () => {
    assert.equal(
      encodeRegistrationReply({ id: 0x1234, rcode: 1 }).toString('hex'),
      '1234a801000000000000000' + '0',
    );
    assert.equal(
      encodeRegistrationReply({ id: 0x1234, rcode: 5 }).toString('hex'),
      '1234a805000000000000000' + '0',
    );
  });

  test('emit at an offset into garbage: length agrees, every byte written', () => {
    const repr = { id: 0xbeef, rcode: 0, lease: 86400 };
    const buf = Buffer.alloc(40, 0xa5);
    const n = emitRegistrationReply(repr, buf, 5);
    assert.equal(n, registrationReplyEncodingLength(repr));
    assert.ok(buf.subarray(5, 5 + n).equals(encodeRegistrationReply(repr)));
    assert.deepEqual(parseRegistrationReply(buf, 5, 5 + n), { ok: true, value: repr, bytes: n });
  });

  test('parse reads the captured replies as the client would', () => {
    for (const capture of REGISTRATION_CAPTURES) {
      for (const d of captureDatagrams(capture).filter(
        (x) => x.srcPort === FIXTURE_SPS_PORT && x.payload[2] === 0xa8,
      )) {
        const r = parseRegistrationReply(d.payload);
        assert.ok(r.ok && r.value.rcode === 0 && r.value.lease === 7200, capture);
      }
    }
    const noLease = parseRegistrationReply(encodeRegistrationReply({ id: 7, rcode: 1 }));
    assert.deepEqual(noLease.ok && noLease.value, { id: 7, rcode: 1, lease: undefined });
    assert.equal(
      parseRegistrationReply(encodeRegistration({ id: 7, owner: SLEEPER_OWNER, lease: 1, records: [] })).ok,
      false,
    );
  });

  test('dns-packet decodes our reply to every fixture registration', () => {
    for (const capture of REGISTRATION_CAPTURES) {
      for (const d of updateDatagrams(capture)) {
        const reg = accepted(parseRegistration(d.payload));
        const decoded = dnsPacket.decode(
          encodeRegistrationReply({ id: reg.id, rcode: 0, lease: grantedLease(reg.lease) }),
        );
        assert.equal(decoded.id, reg.id);
        assert.equal(decoded.flag_qr, true);
        assert.equal((decoded as unknown as { opcode: string }).opcode, 'UPDATE');
        assert.equal(decoded.additionals?.length, 1);
        const opt = decoded.additionals?.[0] as dnsPacket.OptAnswer;
        assert.equal(opt.type, 'OPT');
        assert.equal(opt.udpPayloadSize, 1440);
        assert.equal(opt.options.length, 1);
        const option = opt.options[0] as { code: number; data?: Buffer };
        assert.equal(option.code, 2);
        assert.equal(option.data?.readUInt32BE(0), 7200);
      }
    }
  });
});

// --- Hand-built registrations for the rules the captures do not exercise.

const RECORDS = SAMPLE_RECORDS;

/** An UPDATE with our records and the given OPT RRs: option lists, or raw OPT RDATA as hex. */
function updateWith(
  opts: (EdnsOption[] | string)[],
  records: readonly DnsRecord[] = RECORDS,
  flags = 0x2800,
): Buffer {
  const fields = { udpPayloadSize: 1440, extendedRcode: 0, version: 0, flags: 0x1194 };
  const additionals = opts.map((o): DnsRecord =>
    typeof o === 'string'
      ? { ...optRecord(fields, []), data: { kind: 'raw', data: Buffer.from(o, 'hex') } }
      : optRecord(fields, o),
  );
  return encodeDnsMessage(
    { id: 0x4242, flags, questions: [], answers: [], authorities: records, additionals },
    { compress: true },
  );
}

const lease = leaseOption;
const owner = (o: Partial<OwnerRepr> = {}): EdnsOption => ownerOption({ ...SLEEPER_OWNER, ...o });
const rawOwner = (hex: string): EdnsOption => ({ code: 4, data: Buffer.from(hex, 'hex') });

describe('SPS registration rules', () => {
  test('encodeRegistration round-trips, also at an offset into garbage', () => {
    const request = {
      id: 0x0102,
      owner: { ...SLEEPER_OWNER, seq: 7, wakeMac: '02:00:00:00:00:99' },
      lease: 7200,
      records: RECORDS,
    };
    const buf = Buffer.alloc(registrationEncodingLength(request) + 9, 0xa5);
    const n = emitRegistration(request, buf, 9);
    assert.equal(n, registrationEncodingLength(request));
    const reg = accepted(parseRegistration(buf, 9));
    assert.equal(reg.id, 0x0102);
    assert.deepEqual(reg.owner, { ...request.owner, password: undefined, length: 14 });
    const withoutRdata = reg.records.map(({ rdata: _rdata, ...r }) => r);
    assert.deepEqual(
      withoutRdata,
      RECORDS.map((r) => ({ ...r, cacheFlush: r.cacheFlush ?? false })),
    );
    assert.deepEqual(reg.proxiedAddresses, [
      { family: 4, address: '10.77.0.10', from: '10.0.77.10.in-addr.arpa' },
    ]);
    assert.ok(
      encodeRegistration({ ...request, owner: reg.owner, records: reg.records }).equals(
        buf.subarray(9, 9 + n),
      ),
    );
  });

  test("SPC's zone entry (. SOA IN) is skipped; payload size 4096 is fine", () => {
    const reg = accepted(
      parseRegistration(
        encodeRegistration({
          id: 1,
          owner: SLEEPER_OWNER,
          lease: 7200,
          records: RECORDS,
          zone: true,
          udpPayloadSize: 4096,
        }),
      ),
    );
    assert.equal(reg.zoneCount, 1);
    assert.equal(reg.records.length, RECORDS.length);
  });

  test('owner option lengths 8, 14, 18, 20; password zero-padded to 6', () => {
    const hmac = '000002535000000a';
    const cases: [string, Partial<OwnerRepr>][] = [
      [hmac, { length: 8 }],
      [hmac + '020000000099', { wakeMac: '02:00:00:00:00:99', length: 14 }],
      [
        hmac + '020000000099' + 'a1b2c3d4',
        { wakeMac: '02:00:00:00:00:99', password: Buffer.from('a1b2c3d40000', 'hex'), length: 18 },
      ],
      [
        hmac + '020000000099' + 'a1b2c3d4e5f6',
        { wakeMac: '02:00:00:00:00:99', password: Buffer.from('a1b2c3d4e5f6', 'hex'), length: 20 },
      ],
    ];
    for (const [hex, expected] of cases) {
      const reg = accepted(parseRegistration(updateWith([[lease(7200), rawOwner(hex)]])));
      assert.deepEqual(reg.owner, { ...SLEEPER_OWNER, password: undefined, ...expected });
      assert.equal(ownerOption(reg.owner).data.toString('hex'), hex, 'owner re-emits as received');
    }
  });

  test('bad owners: lengths 9 and 0, version 1, zero HMAC, absent', () => {
    rejected(parseRegistration(updateWith([[lease(7200), rawOwner('000002535000000a00')]])), 'bad-owner');
    rejected(
      parseRegistration(updateWith([[lease(7200), rawOwner(''), lease(1), lease(2), lease(3)]])),
      'bad-owner',
    );
    rejected(parseRegistration(updateWith([[lease(7200), owner({ version: 1 })]])), 'bad-owner');
    rejected(
      parseRegistration(updateWith([[lease(7200), owner({ hostMac: '00:00:00:00:12:34' })]])),
      'bad-owner',
    );
    rejected(parseRegistration(updateWith([[lease(7200), { code: 9, data: Buffer.alloc(12) }]])), 'no-owner');
    // only the first 4 bytes count as "zero"
    accepted(parseRegistration(updateWith([[lease(7200), owner({ hostMac: '00:00:00:01:00:00' })]])));
  });

  test('leases: 0, missing, length 3 refused; huge clamped; last valid one wins', () => {
    rejected(
      parseRegistration(updateWith([[lease(0), owner(), { code: 5, data: Buffer.alloc(4) }]])),
      'bad-lease',
    );
    rejected(parseRegistration(updateWith([[owner(), { code: 5, data: Buffer.alloc(8) }]])), 'no-lease');
    rejected(
      parseRegistration(updateWith([[{ code: 2, data: Buffer.alloc(3, 1) }, owner(), owner()]])),
      'bad-lease',
    );
    assert.equal(
      accepted(parseRegistration(updateWith([[lease(0xffffffff), owner()]]))).lease,
      LEASE_PARSE_CLAMP,
    );
    assert.equal(LEASE_PARSE_CLAMP, 1879048);
    assert.equal(accepted(parseRegistration(updateWith([[lease(60), owner(), lease(90)]]))).lease, 90);
    assert.equal(
      accepted(parseRegistration(updateWith([[lease(60), owner(), { code: 2, data: Buffer.alloc(5) }]])))
        .lease,
      60,
    );
    assert.equal(grantedLease(7200), 7200);
    assert.equal(grantedLease(100000), 86400);
  });

  test('several OPT RRs: the first with RDLENGTH >= 20 is used', () => {
    const reg = accepted(
      parseRegistration(
        updateWith([[owner({ seq: 1 })], [lease(100), owner({ seq: 2 })], [lease(200), owner({ seq: 3 })]]),
      ),
    );
    assert.deepEqual([reg.lease, reg.owner.seq, reg.optCount], [100, 2, 3]);
    rejected(parseRegistration(updateWith([[owner({ seq: 1 })], [lease(100)]])), 'no-opt');
    rejected(parseRegistration(updateWith([])), 'no-opt');
  });

  test('a malformed OPT rejects the message: option overrun, trailing bytes', () => {
    const leaseHex = '0002000400001c20';
    const ownerHex = '00040008000002535000000a';
    accepted(parseRegistration(updateWith([leaseHex + ownerHex])));
    rejected(parseRegistration(updateWith([leaseHex + '00040009000002535000000a'])), 'bad-opt');
    rejected(parseRegistration(updateWith([leaseHex + ownerHex + 'ffff'])), 'bad-opt');
    // Apple takes the first OPT by RDLENGTH, then parses it: a good OPT after a bad one does not help ...
    rejected(parseRegistration(updateWith([leaseHex + ownerHex + 'ff', [lease(7200), owner()]])), 'bad-opt');
    // ... but a bad OPT too short to be chosen does not hurt.
    const reg = accepted(parseRegistration(updateWith(['ffff', [lease(7200), owner()]])));
    assert.equal(reg.optCount, 2);
  });

  test('records are skipped one by one: TTL 0, RDATA > 8192, RDLENGTH 0, bad RDATA, OPT', () => {
    const records: DnsRecord[] = [
      { ...RECORDS[1], ttl: 0 },
      {
        name: 'big.local',
        type: DnsType.NULL,
        class: 1,
        ttl: 120,
        data: { kind: 'raw', data: Buffer.alloc(8193) },
      },
      {
        name: 'ok-big.local',
        type: DnsType.NULL,
        class: 1,
        ttl: 120,
        data: { kind: 'raw', data: Buffer.alloc(8192) },
      },
      { name: 'box.local', type: DnsType.A, class: DnsClass.ANY, ttl: 120, data: { kind: 'empty' } },
      {
        name: 'bad.local',
        type: DnsType.A,
        class: 1,
        ttl: 120,
        data: { kind: 'raw', data: Buffer.from([1, 2, 3]) },
      },
      { name: '.', type: DnsType.OPT, class: 1440, ttl: 0x1194, data: { kind: 'opt', options: [] } },
      ...RECORDS,
    ];
    const reg = accepted(parseRegistration(updateWith([[lease(7200), owner()]], records)));
    assert.deepEqual(
      reg.skipped.map((s) => [s.name, s.reason]),
      [
        ['bad.local', 'malformed'],
        ['box.local', 'ttl-zero'],
        ['big.local', 'too-large'],
        ['box.local', 'no-data'],
        ['.', 'opt'],
      ],
    );
    assert.equal(reg.skippedRecords, 5);
    assert.deepEqual(
      reg.records.map((r) => r.name),
      ['ok-big.local', ...RECORDS.map((r) => r.name)],
    );
    assert.equal(reg.optCount, 1, 'OPT in the update section is not an OPT of the message');
  });

  test('reverse names: only well-formed in-addr.arpa / 32-nibble ip6.arpa PTRs yield addresses', () => {
    const ptr = (name: string): DnsRecord => ({
      name,
      type: DnsType.PTR,
      class: 1,
      ttl: 120,
      data: { kind: 'name', target: 'box.local' },
    });
    const nibbles = '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0';
    const records = [
      ptr('300.1.1.10.in-addr.arpa'),
      ptr('1.1.10.in-addr.arpa'),
      ptr('01.1.1.10.in-addr.arpa'),
      ptr(`${nibbles.slice(2)}.ip6.arpa`),
      ptr(`${nibbles.replace('b', 'g')}.ip6.arpa`),
      ptr('5.1.1.10.in-addr.arpa.example'),
      { ...ptr('9.9.9.9.in-addr.arpa'), type: DnsType.TXT, data: { kind: 'txt', strings: [] } } as DnsRecord,
      ptr('5.1.1.10.IN-ADDR.ARPA'),
      ptr(`${nibbles}.ip6.arpa`),
      ptr('5.1.1.10.in-addr.arpa'),
    ];
    const reg = accepted(parseRegistration(updateWith([[lease(7200), owner()]], records)));
    assert.equal(reg.records.length, records.length, 'malformed reverse names are still records');
    assert.deepEqual(reg.proxiedAddresses, [
      { family: 4, address: '10.1.1.5', from: '5.1.1.10.IN-ADDR.ARPA' },
      { family: 6, address: 'db8::1', from: `${nibbles}.ip6.arpa` },
    ]);
  });

  test('not an UPDATE request: no FormErr, the message is ignored', () => {
    for (const flags of [0xa800, 0x0000, 0x8400]) {
      const r = parseRegistration(updateWith([[lease(7200), owner()]], RECORDS, flags));
      assert.ok(!r.ok && r.formErr === undefined && r.error.reason === 'unsupported');
    }
    const short = parseRegistration(Buffer.from('4242280000', 'hex'));
    assert.ok(!short.ok && short.formErr === undefined && short.error.reason === 'truncated');
  });

  test('corrupted registrations: never throw; accepted ones re-encode', () => {
    const updates = REGISTRATION_CAPTURES.flatMap((c) => updateDatagrams(c));
    let seed = 0x5150;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return seed % n;
    };
    let accepted = 0;
    for (let i = 0; i < 500; i++) {
      const buf = Buffer.from(updates[rand(updates.length)].payload);
      for (let k = 1 + rand(3); k > 0; k--) buf[rand(buf.length)] = rand(256);
      const r = parseRegistration(buf);
      if (!r.ok) continue;
      accepted++;
      encodeRegistration({
        id: r.value.id,
        owner: r.value.owner,
        lease: r.value.lease,
        records: r.value.records,
      });
      parseRegistrationReply(buf);
    }
    assert.ok(accepted > 100, `${accepted} of 500 still accepted`);
  });

  test('a registration cut at every byte offset never throws and is refused with FormErr', () => {
    for (const capture of ['mdnsresponder-registration.pcap', 'mdnsresponder-2600-registration.pcap']) {
      const [d] = updateDatagrams(capture);
      for (let n = 0; n < d.payload.length; n++) {
        const r = parseRegistration(d.payload.subarray(0, n));
        assert.equal(r.ok, false, `${capture} cut at ${n}`);
        if (!r.ok && n >= 12)
          assert.ok(r.formErr?.reason === 'malformed' || r.formErr?.reason === 'no-opt', `${n}`);
      }
    }
  });
});
