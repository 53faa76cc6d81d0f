import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DnsClass, DnsRcode, encodeDnsMessage } from '../../../src/wire/dns';
import { DnsType } from '../../../src/wire/dns-rdata';
import { parseRegistrationReply } from '../../../src/wire/sps-registration';
import {
  captureDatagrams,
  FIXTURE_SPS_PORT,
  REGISTRATION_CAPTURES,
  updateDatagrams,
} from '../../support/sps-fixtures';
import { ANY_SOURCE, FROM, makeProxy, registration, sleeperRecords, SLEEPER_MAC, T0 } from './harness';

describe('SleepProxy registrations', () => {
  for (const capture of REGISTRATION_CAPTURES) {
    test(`${capture}: every UPDATE is accepted and answered with Apple's reply`, () => {
      const proxy = makeProxy();
      const all = captureDatagrams(capture);
      for (const update of updateDatagrams(capture)) {
        const out = proxy.handleRegistration(
          update.payload,
          { address: update.src, port: update.srcPort },
          T0,
        );
        assert.equal(out.accepted, true, out.reason);
        const reply = parseRegistrationReply(out.reply as Buffer);
        assert.ok(reply.ok);
        assert.equal(reply.value.id, update.payload.readUInt16BE(0));
        assert.equal(reply.value.rcode, DnsRcode.NOERROR);
        assert.equal(reply.value.lease, 7200);
        assert.equal(out.reply?.length, 31);
        assert.equal(out.reply?.readUInt16BE(2), 0xa800);
        // The fake SPS of the capture answered Apple's way: byte-identical.
        const captured = all.find(
          (d) => d.srcPort === FIXTURE_SPS_PORT && d.dstPort === update.srcPort && d.frame > update.frame,
        );
        if (captured) assert.deepEqual(out.reply, captured.payload);
      }
      const [sleeper] = proxy.list(T0);
      assert.equal(sleeper.hostMac, SLEEPER_MAC);
      assert.equal(sleeper.name, 'sleeper.local');
      assert.deepEqual([...sleeper.addresses].sort(), ['10.77.0.10', 'fe80::53:50ff:fe00:a']);
      assert.ok(sleeper.services.some((s) => s.type === '_ssh._tcp' && s.port === 22));
      assert.equal(sleeper.state, 'probing');
    });
  }

  test('a multi-packet registration is fully stored', () => {
    const proxy = makeProxy();
    const updates = updateDatagrams('mdnsresponder-registration-multipacket.pcap');
    assert.equal(updates.length, 4);
    let published = 0;
    for (const u of updates) {
      assert.ok(proxy.handleRegistration(u.payload, { address: u.src, port: u.srcPort }, T0).accepted);
      const publish = proxy.drainActions().filter((a) => a.type === 'publish');
      if (publish[0]?.type === 'publish')
        published = publish[0].records.length + publish[0].addressRecords.length;
    }
    const [sleeper] = proxy.list(T0);
    assert.equal(sleeper.services.length, 33);
    assert.equal(proxy.snapshot().sleepers[0].records.length, published);
    assert.ok(published > 90, `${published} records`);
    // One sleeper, 'registered' for each fragment that added records, never 'renewed'.
    const events = proxy.drainEvents();
    assert.ok(events.every((e) => e.type === 'registered'));
  });

  test('a retransmission is answered again and changes nothing', () => {
    const proxy = makeProxy();
    const first = proxy.handleRegistration(registration(), FROM, T0);
    const actions = proxy.drainActions();
    assert.deepEqual(
      actions.map((a) => a.type),
      ['join-multicast', 'persist', 'publish', 'capture'],
    );
    const snapshot = proxy.snapshot();
    const again = proxy.handleRegistration(registration(), FROM, T0 + 1000);
    assert.deepEqual(again.reply, first.reply);
    assert.deepEqual(proxy.drainActions(), []);
    assert.equal(proxy.drainEvents().length, 1);
    assert.deepEqual(proxy.snapshot().sleepers[0].leaseEnd, snapshot.sleepers[0].leaseEnd);
  });

  test('a new registration from the same owner renews and merges (identical records replaced)', () => {
    const proxy = makeProxy();
    proxy.handleRegistration(registration({ id: 1 }), FROM, T0);
    const extra = {
      name: 'Extra._http._tcp.local',
      type: DnsType.SRV,
      class: DnsClass.IN,
      cacheFlush: true,
      ttl: 120,
      data: { kind: 'srv' as const, priority: 0, weight: 0, port: 8080, target: 'sleeper.local' },
    };
    proxy.handleRegistration(registration({ id: 2, records: [extra, ...sleeperRecords()] }), FROM, T0 + 5000);
    const events = proxy.drainEvents();
    assert.deepEqual(
      events.map((e) => e.type),
      ['registered', 'renewed'],
    );
    assert.equal(proxy.snapshot().sleepers[0].records.length, sleeperRecords().length + 1);
    assert.equal(proxy.list(T0)[0].leaseEnd, T0 + 5000 + 7200_000);
  });

  test('keepalive records are flushed by a new registration, not by a fragment of the same one', () => {
    const keepalive = (n: string) => ({
      name: `${n}._keepalive._dns-sd._udp.local`,
      type: DnsType.NULL,
      class: DnsClass.IN,
      cacheFlush: true,
      ttl: 4500,
      data: { kind: 'raw' as const, data: Buffer.from('\x05t=20\x00', 'latin1') },
    });
    const proxy = makeProxy();
    proxy.handleRegistration(
      registration({ id: 1, records: [...sleeperRecords(), keepalive('1')] }),
      FROM,
      T0,
    );
    proxy.handleRegistration(registration({ id: 1, records: [keepalive('2')] }), FROM, T0);
    const names = () =>
      proxy
        .snapshot()
        .sleepers[0].records.filter((r) => r.name.includes('_keepalive'))
        .map((r) => r.name);
    assert.deepEqual(names(), ['1._keepalive._dns-sd._udp.local', '2._keepalive._dns-sd._udp.local']);
    proxy.handleRegistration(registration({ id: 2, records: [keepalive('3')] }), FROM, T0);
    assert.deepEqual(names(), ['3._keepalive._dns-sd._udp.local']);
  });

  test('persist is queued before the reply is handed back, and publish separates address records', () => {
    const proxy = makeProxy();
    proxy.handleRegistration(registration(), FROM, T0);
    const actions = proxy.drainActions();
    const persist = actions.find((a) => a.type === 'persist');
    assert.ok(persist?.type === 'persist' && persist.entry.op === 'put');
    assert.equal(persist.entry.sleeper.hostMac, SLEEPER_MAC);
    const publish = actions.find((a) => a.type === 'publish');
    assert.ok(publish?.type === 'publish');
    assert.equal(publish.sleeper, SLEEPER_MAC);
    assert.deepEqual(
      publish.addressRecords.map((r) => r.type),
      [DnsType.PTR, DnsType.PTR],
    );
    assert.equal(publish.records.length, sleeperRecords().length - 2);
    const capture = actions.find((a) => a.type === 'capture');
    assert.ok(capture?.type === 'capture');
    assert.deepEqual(capture.set, {
      ipv4: ['10.77.0.10'],
      ipv6: ['fe80::53:50ff:fe00:a'],
      tcpPorts: [22, 80],
      udpPorts: [3283, 4500, 5000],
      macs: [SLEEPER_MAC],
    });
  });

  test('caps: TTL capped at 4500, lease at 86400, and a lease of 24 h+ granted as 24 h', () => {
    const proxy = makeProxy();
    const records = sleeperRecords().map((r) => ({ ...r, ttl: 99999 }));
    const out = proxy.handleRegistration(registration({ records, lease: 200000 }), FROM, T0);
    const reply = parseRegistrationReply(out.reply as Buffer);
    assert.ok(reply.ok);
    assert.equal(reply.value.lease, 86400);
    assert.ok(proxy.snapshot().sleepers[0].records.every((r) => r.ttl === 4500));
    assert.equal(proxy.list(T0)[0].leaseEnd, T0 + 86400_000);
    const limited = makeProxy({ limits: { maxLeaseSeconds: 60, maxTtl: 100 } });
    const r2 = parseRegistrationReply(limited.handleRegistration(registration(), FROM, T0).reply as Buffer);
    assert.ok(r2.ok && r2.value.lease === 60);
  });

  test('record cap: 10,000 records in all, then silence (or Refused by policy)', () => {
    const txt = (i: number) => ({
      name: `r${i}.sleeper.local`,
      type: DnsType.TXT,
      class: DnsClass.IN,
      cacheFlush: true,
      ttl: 120,
      data: { kind: 'txt' as const, strings: [Buffer.from('x')] },
    });
    const many = (from: number, n: number) => Array.from({ length: n }, (_, i) => txt(from + i));
    // 1000 records in one datagram: 20 kB, over the 9000-byte default cap.
    const proxy = makeProxy({ ...ANY_SOURCE, limits: { maxDatagramBytes: 65_535 } });
    for (let i = 0; i < 10; i++) {
      const mac = `02:00:00:00:01:${i.toString(16).padStart(2, '0')}`;
      assert.ok(
        proxy.handleRegistration(registration({ hostMac: mac, records: many(i * 1000, 1000) }), FROM, T0)
          .accepted,
      );
    }
    const refused = proxy.handleRegistration(registration({ records: many(0, 1) }), FROM, T0);
    assert.deepEqual(refused, { reply: undefined, accepted: false, reason: 'records-cap' });
    // A retransmission of a held registration adds nothing and is still answered.
    const again = proxy.handleRegistration(
      registration({ hostMac: '02:00:00:00:01:00', records: many(0, 1000) }),
      FROM,
      T0,
    );
    assert.ok(again.accepted);
    const strict = makeProxy({ limits: { maxRecords: 3 }, policy: { refusedReply: 'refused' } });
    const out = strict.handleRegistration(registration(), FROM, T0);
    assert.equal(out.accepted, false);
    const reply = parseRegistrationReply(out.reply as Buffer);
    assert.ok(reply.ok && reply.value.rcode === DnsRcode.REFUSED && reply.value.lease === undefined);
  });

  test('address cap', () => {
    const proxy = makeProxy({ limits: { maxAddresses: 1 } });
    assert.equal(proxy.handleRegistration(registration(), FROM, T0).reason, 'addresses-cap');
  });

  test('FormErr for unusable UPDATEs (Apple), silence for what is not an UPDATE', () => {
    const proxy = makeProxy();
    const good = registration({ id: 0x4242 });
    // Lease 0, zero HMAC, no OPT at all.
    const cases: [Buffer, string][] = [
      [registration({ id: 0x4242, lease: 0 }), 'bad-lease'],
      [registration({ id: 0x4242, hostMac: '00:00:00:00:12:34' }), 'bad-owner'],
      [
        encodeDnsMessage({
          id: 0x4242,
          flags: 0x2800,
          questions: [],
          answers: [],
          authorities: [],
          additionals: [],
        }),
        'no-opt',
      ],
      [good.subarray(0, good.length - 3), 'malformed'],
    ];
    for (const [datagram, reason] of cases) {
      const out = proxy.handleRegistration(datagram, FROM, T0);
      assert.equal(out.accepted, false);
      assert.equal(out.reason, reason);
      assert.equal(out.reply?.toString('hex'), '4242a8010000000000000000');
    }
    const query = encodeDnsMessage({
      id: 1,
      flags: 0,
      questions: [],
      answers: [],
      authorities: [],
      additionals: [],
    });
    assert.deepEqual(proxy.handleRegistration(query, FROM, T0), { accepted: false, reason: 'not-update' });
    assert.deepEqual(proxy.handleRegistration(good, { address: '0.0.0.0', port: 5353 }, T0), {
      accepted: false,
      reason: 'bad-source',
    });
    assert.equal(proxy.counters.formErr, 4);
    assert.deepEqual(proxy.list(T0), []);
  });
});

describe('SleepProxy registrations: owners and addresses', () => {
  test('a registration from an owner being woken ends the wake (woke) and starts afresh', () => {
    const proxy = makeProxy();
    proxy.handleRegistration(registration({ id: 1 }), FROM, T0);
    proxy.wake(SLEEPER_MAC, { kind: 'command' }, T0 + 1000);
    proxy.handleRegistration(registration({ id: 2, seq: 1 }), FROM, T0 + 2000);
    const events = proxy.drainEvents();
    assert.deepEqual(
      events.map((e) => e.type),
      ['registered', 'wake', 'woke', 'registered'],
    );
    assert.equal(proxy.list(T0)[0].state, 'probing');
  });

  test('an address proxied for one owner is not moved to a second (address-held) until the first is gone', () => {
    const proxy = makeProxy();
    proxy.handleRegistration(registration(), FROM, T0);
    const second = registration({ hostMac: '02:00:00:00:00:42', records: sleeperRecords().slice(0, 1) });
    assert.deepEqual(proxy.handleRegistration(second, FROM, T0), {
      reply: undefined,
      accepted: false,
      reason: 'address-held',
    });
    assert.deepEqual(
      proxy.list(T0).map((s) => s.addresses),
      [['10.77.0.10', 'fe80::53:50ff:fe00:a']],
    );
    proxy.release(SLEEPER_MAC, T0 + 1000);
    assert.ok(proxy.handleRegistration(second, FROM, T0 + 2000).accepted);
    assert.deepEqual(
      proxy.list(T0).map((s) => [s.hostMac, s.addresses]),
      [['02:00:00:00:00:42', ['10.77.0.10']]],
    );
  });
});
