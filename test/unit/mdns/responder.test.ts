// The mDNS responder core with a fake clock: probing, tie-break, announcing, answering (QM, QU, legacy
// unicast, known answers, additionals, rate limit), conflicts and renaming, goodbyes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DnsClass, DnsQuestion, DnsRecord, parseDnsMessage, ParsedDnsMessage } from '../../../src/wire/dns';
import { DnsType } from '../../../src/wire/dns-rdata';
import { MdnsResponder, MdnsOutgoing, ResponderEvent } from '../../../src/core/mdns/responder';
import { MdnsRecord } from '../../../src/core/mdns/records';
import { serviceRecords } from '../../../src/core/mdns/service-records';
import { KITCHEN, mdnsQuery, mdnsResponse } from './messages';

const PEER = { address: '10.0.0.9', port: 5353 };
const SERVICE = KITCHEN;
const INSTANCE = 'Kitchen._http._tcp.local';

function parse(out: MdnsOutgoing): ParsedDnsMessage {
  const m = parseDnsMessage(out.data);
  assert.ok(m.ok, 'we emit parseable messages');
  return m.value;
}

/** Another host claiming pi.local with another address. */
const OTHER_PI_A: DnsRecord = {
  name: 'pi.local',
  type: DnsType.A,
  class: DnsClass.IN,
  ttl: 120,
  data: { kind: 'a', address: '10.0.0.77' },
};

const query = mdnsQuery;
const response = mdnsResponse;

const q = (name: string, type: number, qu = false): DnsQuestion => ({ name, type, class: DnsClass.IN, qu });
const rr = (r: MdnsRecord, ttl = r.ttl): DnsRecord => ({
  name: r.name,
  type: r.type,
  class: DnsClass.IN,
  ttl,
  data: r.data,
});

/** Runs the timers up to `until`, collecting what went out. */
function run(responder: MdnsResponder, from: number, until: number): { at: number; out: MdnsOutgoing }[] {
  const sent: { at: number; out: MdnsOutgoing }[] = [];
  for (let t = responder.nextTimer(); t !== undefined && t <= until; t = responder.nextTimer()) {
    responder.handleTimer(Math.max(t, from));
    for (const out of responder.drainOutgoing()) sent.push({ at: t, out });
  }
  return sent;
}

function established(): MdnsResponder {
  const r = new MdnsResponder();
  r.publish('svc', SERVICE, { probe: true, announcements: 2 }, 0);
  run(r, 0, 10_000);
  r.drainEvents();
  assert.equal(r.phase('svc'), 'established');
  return r;
}

describe('mDNS responder: probing and announcing', () => {
  test('three probes 250 ms apart (first QU), then announcements 1 s apart, then established', () => {
    const r = new MdnsResponder();
    r.publish('svc', SERVICE, { probe: true, announcements: 3 }, 1000);
    const sent = run(r, 1000, 20_000);
    assert.deepEqual(
      sent.map((s) => s.at),
      [1000, 1250, 1500, 1750, 2750, 4750],
    );
    const probes = sent.slice(0, 3).map((s) => parse(s.out));
    for (const [i, p] of probes.entries()) {
      assert.deepEqual(
        p.questions.map((x) => [x.name, x.type, x.qu]),
        [
          [INSTANCE, DnsType.ANY, i === 0],
          ['pi.local', DnsType.ANY, i === 0],
        ],
      );
      assert.equal(p.authorities.length, 3, 'SRV, TXT and A proposed');
    }
    const announcement = parse(sent[3].out);
    assert.equal(announcement.answers.length, SERVICE.length);
    assert.ok(announcement.answers.filter((a) => a.type === DnsType.SRV).every((a) => a.cacheFlush));
    assert.ok(announcement.answers.filter((a) => a.type === DnsType.PTR).every((a) => !a.cacheFlush));
    assert.deepEqual(
      r.drainEvents().map((e) => e.kind),
      ['probed', 'announced'],
    );
    assert.equal(r.nextTimer(), undefined);
  });

  test('probe: false (records a sleeper owns) announces at once', () => {
    const r = new MdnsResponder();
    r.publish('host', SERVICE, { probe: false, announcements: 1 }, 0);
    const sent = run(r, 0, 5000);
    assert.equal(sent.length, 1);
    assert.equal(parse(sent[0].out).answers.length, SERVICE.length);
  });

  test('a probing group does not answer queries', () => {
    const r = new MdnsResponder();
    r.publish('svc', SERVICE, { probe: true, announcements: 2 }, 0);
    r.handleTimer(0);
    r.drainOutgoing();
    r.handlePacket(query([q('_http._tcp.local', DnsType.PTR)]), PEER, 10);
    assert.deepEqual(r.drainOutgoing(), []);
  });

  test('a simultaneous probe that wins the tie-break delays our probing by 1 s', () => {
    const r = new MdnsResponder();
    r.publish('svc', SERVICE, { probe: true, announcements: 2 }, 0);
    r.handleTimer(0);
    r.drainOutgoing();
    const srv = SERVICE.find((x) => x.type === DnsType.SRV);
    assert.ok(srv && srv.data.kind === 'srv');
    const txt = rr(SERVICE[3]);
    const theirs = { ...rr(srv), data: { ...srv.data, port: 9999 } };
    r.handlePacket(query([q(INSTANCE, DnsType.ANY)], { authorities: [txt, theirs] }), PEER, 100);
    assert.equal(r.nextTimer(), 1100);
    // A lower port loses against ours: no change.
    const r2 = new MdnsResponder();
    r2.publish('svc', SERVICE, { probe: true, announcements: 2 }, 0);
    r2.handleTimer(0);
    const loser = { ...rr(srv), data: { ...srv.data, port: 1 } };
    r2.handlePacket(query([q(INSTANCE, DnsType.ANY)], { authorities: [txt, loser] }), PEER, 100);
    assert.equal(r2.nextTimer(), 250);
  });
});

describe('mDNS responder: conflicts', () => {
  test('a response for a name being probed renames the instance and probes again', () => {
    const r = new MdnsResponder();
    r.publish('svc', SERVICE, { probe: true, announcements: 2 }, 0);
    r.handleTimer(0);
    r.drainOutgoing();
    const other: DnsRecord = {
      name: INSTANCE,
      type: DnsType.TXT,
      class: DnsClass.IN,
      cacheFlush: true,
      ttl: 4500,
      data: { kind: 'txt', strings: [Buffer.from('x=1')] },
    };
    r.handlePacket(response([other]), PEER, 100);
    const events = r.drainEvents();
    assert.deepEqual(events, [
      { kind: 'conflict', group: 'svc', name: INSTANCE, phase: 'probing' },
      { kind: 'renamed', group: 'svc', from: INSTANCE, to: 'Kitchen (2)._http._tcp.local' },
    ] satisfies ResponderEvent[]);
    const records = r.records('svc') ?? [];
    assert.ok(records.some((x) => x.type === DnsType.SRV && x.name === 'Kitchen (2)._http._tcp.local'));
    assert.ok(
      records.some((x) => x.data.kind === 'name' && x.data.target === 'Kitchen (2)._http._tcp.local'),
    );
    const sent = run(r, 100, 200);
    assert.equal(parse(sent[0].out).questions[0].name, 'Kitchen (2)._http._tcp.local');
  });

  test('a host name conflict renames the host and the SRV target', () => {
    const r = new MdnsResponder();
    r.publish('svc', SERVICE, { probe: true, announcements: 2 }, 0);
    r.handleTimer(0);
    r.handlePacket(response([OTHER_PI_A]), PEER, 100);
    const srv = r.records('svc')?.find((x) => x.type === DnsType.SRV);
    assert.ok(srv?.data.kind === 'srv');
    assert.equal(srv.data.target, 'pi-2.local');
  });

  test('a responder sharing our host record (same A, plus an AAAA) is no rival', () => {
    const r = new MdnsResponder();
    r.publish('svc', SERVICE, { probe: true, announcements: 2 }, 0);
    r.handleTimer(0);
    const a = SERVICE.find((x) => x.type === DnsType.A);
    assert.ok(a);
    const aaaa: DnsRecord = {
      name: 'pi.local',
      type: DnsType.AAAA,
      class: DnsClass.IN,
      ttl: 120,
      data: { kind: 'aaaa', address: 'fd00::5' },
    };
    r.handlePacket(response([rr(a), aaaa]), PEER, 100);
    assert.deepEqual(r.drainEvents(), []);
    // The same AAAA alone, from a host that does not share our A, is a rival.
    r.handlePacket(response([aaaa]), PEER, 150);
    assert.equal(r.drainEvents()[0]?.kind, 'conflict');
  });

  test('our own records echoed back are no conflict', () => {
    const r = new MdnsResponder();
    r.publish('svc', SERVICE, { probe: true, announcements: 2 }, 0);
    r.handleTimer(0);
    r.handlePacket(response(SERVICE.map((x) => rr(x))), PEER, 100);
    assert.deepEqual(r.drainEvents(), []);
  });

  test('after probing, a different record of the same name and type sends the group back to probing', () => {
    const r = established();
    r.handlePacket(response([OTHER_PI_A]), PEER, 20_000);
    assert.deepEqual(r.drainEvents(), [
      { kind: 'conflict', group: 'svc', name: 'pi.local', phase: 'established' },
    ]);
    assert.equal(r.phase('svc'), 'probing');
    // A record of another type under the name is fine after probing (e.g. the host's HINFO).
    const r2 = established();
    const hinfo: DnsRecord = {
      name: 'pi.local',
      type: DnsType.HINFO,
      class: DnsClass.IN,
      ttl: 120,
      data: { kind: 'raw', data: Buffer.from([1, 0x41, 1, 0x42]) },
    };
    r2.handlePacket(response([hinfo]), PEER, 20_000);
    assert.deepEqual(r2.drainEvents(), []);
  });
});

describe('mDNS responder: answering', () => {
  test('a PTR query is answered by multicast with SRV, TXT and A as additionals', () => {
    const r = established();
    r.handlePacket(query([q('_http._tcp.local', DnsType.PTR)]), PEER, 20_000);
    const out = r.drainOutgoing();
    assert.equal(out.length, 1);
    assert.equal(out[0].to, 'multicast');
    const m = parse(out[0]);
    assert.deepEqual(
      m.answers.map((a) => a.type),
      [DnsType.PTR],
    );
    assert.deepEqual(m.additionals.map((a) => a.type).sort(), [DnsType.A, DnsType.TXT, DnsType.SRV].sort());
  });

  test('multicast answers are rate limited to one per second per record', () => {
    const r = established();
    r.handlePacket(query([q(INSTANCE, DnsType.SRV)]), PEER, 20_000);
    assert.equal(r.drainOutgoing().length, 1);
    r.handlePacket(query([q(INSTANCE, DnsType.SRV)]), PEER, 20_500);
    assert.equal(r.drainOutgoing().length, 0);
    r.handlePacket(query([q(INSTANCE, DnsType.SRV)]), PEER, 21_000);
    assert.equal(r.drainOutgoing().length, 1);
  });

  test('known answers with at least half our TTL are suppressed', () => {
    const r = established();
    const ptr = SERVICE[1];
    r.handlePacket(query([q('_http._tcp.local', DnsType.PTR)], { answers: [rr(ptr, 3000)] }), PEER, 20_000);
    assert.deepEqual(r.drainOutgoing(), []);
    r.handlePacket(query([q('_http._tcp.local', DnsType.PTR)], { answers: [rr(ptr, 100)] }), PEER, 20_000);
    assert.equal(r.drainOutgoing().length, 1);
  });

  test('QU questions: multicast when the record has not gone out within TTL/4', () => {
    const r = established();
    r.handlePacket(query([q(INSTANCE, DnsType.SRV, true)]), PEER, 200_000);
    assert.equal(r.drainOutgoing()[0].to, 'multicast');
    r.handlePacket(query([q(INSTANCE, DnsType.SRV, true)]), PEER, 201_000);
    assert.deepEqual(r.drainOutgoing()[0].to, PEER);
  });

  test('QU questions are answered by unicast to the querier', () => {
    const r = established();
    r.handlePacket(query([q(INSTANCE, DnsType.SRV, true)]), PEER, 20_000);
    const out = r.drainOutgoing();
    assert.deepEqual(out[0].to, PEER);
    const m = parse(out[0]);
    assert.equal(m.answers[0].type, DnsType.SRV);
    assert.equal(m.additionals[0].type, DnsType.A);
  });

  test('legacy unicast: ID and question echoed, TTL capped at 10 s, no cache-flush bit', () => {
    const r = established();
    const from = { address: '10.0.0.9', port: 40000 };
    r.handlePacket(query([q('pi.local', DnsType.A)], { id: 0x1234 }), from, 20_000);
    const out = r.drainOutgoing();
    assert.deepEqual(out[0].to, from);
    const m = parse(out[0]);
    assert.equal(m.id, 0x1234);
    assert.deepEqual(
      m.questions.map((x) => x.name),
      ['pi.local'],
    );
    assert.equal(m.answers[0].ttl, 10);
    assert.equal(m.answers[0].cacheFlush, false);
  });

  test('ANY questions and other names; malformed packets are counted', () => {
    const r = established();
    r.handlePacket(query([q(INSTANCE, DnsType.ANY)]), PEER, 20_000);
    assert.deepEqual(
      parse(r.drainOutgoing()[0])
        .answers.map((a) => a.type)
        .sort(),
      [DnsType.TXT, DnsType.SRV].sort(),
    );
    r.handlePacket(query([q('other.local', DnsType.A)]), PEER, 30_000);
    assert.deepEqual(r.drainOutgoing(), []);
    r.handlePacket(Buffer.from([1, 2, 3]), PEER, 30_000);
    assert.equal(r.stats.malformed, 1);
  });
});

describe('mDNS responder: withdrawing', () => {
  test('goodbyes carry TTL 0 and skip shared records another group still owns', () => {
    const r = established();
    const other = serviceRecords({
      name: 'Den',
      type: '_http._tcp',
      port: 81,
      host: 'pi',
      addresses: ['10.0.0.5'],
    });
    r.publish('den', other, { probe: false, announcements: 1 }, 20_000);
    run(r, 20_000, 25_000);
    r.drainEvents();
    r.withdraw('svc', { goodbye: true }, 30_000);
    const m = parse(r.drainOutgoing()[0]);
    assert.ok(m.answers.every((a) => a.ttl === 0));
    const names = m.answers.map((a) => `${a.name}/${a.type}`);
    assert.ok(names.includes(`${INSTANCE}/${DnsType.SRV}`));
    assert.ok(!names.includes(`_services._dns-sd._udp.local/${DnsType.PTR}`), 'Den still has _http._tcp');
    assert.ok(!names.includes(`pi.local/${DnsType.A}`), 'Den still has the host');
    assert.deepEqual(r.drainEvents(), [{ kind: 'withdrawn', group: 'svc' }]);
  });

  test('a group withdrawn while probing says no goodbye', () => {
    const r = new MdnsResponder();
    r.publish('svc', SERVICE, { probe: true, announcements: 2 }, 0);
    r.handleTimer(0);
    r.drainOutgoing();
    r.withdraw('svc', { goodbye: true }, 100);
    assert.deepEqual(r.drainOutgoing(), []);
    assert.equal(r.nextTimer(), undefined);
  });
});
