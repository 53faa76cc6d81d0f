// The DNS-SD browser core with a fake clock: query schedule, resolution, up/update/down, goodbyes,
// TTL expiry, browsing all types.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DnsClass, DnsRecord, parseDnsMessage } from '../../../src/wire/dns';
import { DnsType } from '../../../src/wire/dns-rdata';
import { BrowseCache } from '../../../src/discovery/browse-cache';
import { toDnsRecord } from '../../../src/core/mdns/records';
import { KITCHEN, mdnsResponse } from './messages';

const RECORDS = KITCHEN.map((r) => toDnsRecord(r));

const response = mdnsResponse;

function questionsOf(queries: Buffer[]): string[] {
  return queries.flatMap((b) => {
    const m = parseDnsMessage(b);
    assert.ok(m.ok);
    return m.value.questions.map((q) => `${q.name}/${q.type}`);
  });
}

describe('DNS-SD browse cache', () => {
  test('queries at once, then 1 s, 2 s, 4 s apart', () => {
    const b = new BrowseCache(['_http._tcp'], 0);
    const times: number[] = [];
    for (let t = b.nextTimer(); t !== undefined && t < 10_000; t = b.nextTimer()) {
      b.handleTimer(t);
      if (b.drainQueries().length > 0) times.push(t);
    }
    assert.deepEqual(times, [0, 1000, 3000, 7000]);
  });

  test('a full answer brings the instance up; a changed TXT is an update; a goodbye takes it down 1 s later', () => {
    const b = new BrowseCache(['_http._tcp'], 0);
    b.handleTimer(0);
    b.handlePacket(response(RECORDS), 100);
    const [up] = b.drainEvents();
    assert.equal(up.kind, 'up');
    assert.deepEqual(up.kind === 'up' && { ...up.instance }, {
      name: 'Kitchen',
      fqdn: 'Kitchen._http._tcp.local',
      type: '_http._tcp.local',
      host: 'pi.local',
      port: 80,
      addresses: ['10.0.0.5'],
      txt: { path: '/' },
    });
    const txt: DnsRecord = { ...RECORDS[3], data: { kind: 'txt', strings: [Buffer.from('path=/new')] } };
    b.handlePacket(response([txt]), 2000);
    b.handleTimer(3000); // the old TXT is flushed one second after the new one arrived
    const events = b.drainEvents();
    assert.deepEqual(
      events.map((e) => e.kind),
      ['update'],
    );
    b.handlePacket(response([{ ...RECORDS[1], ttl: 0 }]), 4000);
    assert.deepEqual(b.drainEvents(), []);
    assert.equal(b.list().length, 1);
    b.handleTimer(5000);
    assert.deepEqual(
      b.drainEvents().map((e) => e.kind),
      ['down'],
    );
    assert.equal(b.list().length, 0);
  });

  test('a PTR alone makes it ask for SRV and TXT, then for the host address', () => {
    const b = new BrowseCache(['_http._tcp'], 0);
    b.handleTimer(0);
    b.drainQueries();
    b.handlePacket(response([RECORDS[1]]), 100);
    assert.deepEqual(questionsOf(b.drainQueries()), [
      `Kitchen._http._tcp.local/${DnsType.SRV}`,
      `Kitchen._http._tcp.local/${DnsType.TXT}`,
    ]);
    b.handlePacket(response([RECORDS[2], RECORDS[3]]), 200);
    assert.deepEqual(questionsOf(b.drainQueries()), [`pi.local/${DnsType.A}`, `pi.local/${DnsType.AAAA}`]);
    assert.deepEqual(b.drainEvents(), []);
    b.handlePacket(response([RECORDS[4]]), 300);
    assert.deepEqual(
      b.drainEvents().map((e) => e.kind),
      ['up'],
    );
  });

  test('records expire with their TTL after a refresh query at 80%', () => {
    const b = new BrowseCache(['_http._tcp'], 0);
    b.handleTimer(0);
    b.handlePacket(response(RECORDS), 0);
    b.drainEvents();
    b.drainQueries();
    b.handleTimer(96_000); // 80% of the 120 s host records
    assert.ok(questionsOf(b.drainQueries()).includes(`pi.local/${DnsType.A}`));
    b.handleTimer(120_000);
    assert.deepEqual(
      b.drainEvents().map((e) => e.kind),
      ['down'],
    );
  });

  test('browsing all types learns them from _services._dns-sd._udp', () => {
    const b = new BrowseCache([], 0);
    b.handleTimer(0);
    assert.deepEqual(questionsOf(b.drainQueries()), [`_services._dns-sd._udp.local/${DnsType.PTR}`]);
    b.handlePacket(response([RECORDS[0]]), 10);
    assert.deepEqual(b.drainEvents(), [{ kind: 'type', type: '_http._tcp.local' }]);
    assert.ok(questionsOf(b.drainQueries()).includes(`_http._tcp.local/${DnsType.PTR}`));
    b.handlePacket(response(RECORDS.slice(1)), 20);
    assert.deepEqual(
      b.drainEvents().map((e) => e.kind),
      ['up'],
    );
  });

  test('queries are ignored, malformed packets counted, other classes skipped', () => {
    const b = new BrowseCache(['_http._tcp'], 0);
    b.handlePacket(Buffer.from([0, 1]), 0);
    assert.equal(b.stats.malformed, 1);
    b.handlePacket(response(RECORDS.map((r) => ({ ...r, class: DnsClass.CH }))), 0);
    assert.deepEqual(b.drainEvents(), []);
  });
});
