// Goodbyes for records the responder holds without announcing them: the sleep proxy publishes a
// sleeper's records with `announcements: 0` (their owner announced them) and, when a wake sequence
// fails or a lease ends, hands them back to the responder only to withdraw them with goodbyes in the
// same instant (src/service/sleep-proxy-service.ts, 'withdraw' with goodbye). Those goodbyes must go out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MdnsResponder } from '../../../src/core/mdns/responder';
import { parseDnsMessage } from '../../../src/wire/dns';
import { KITCHEN } from './messages';

function sentTtls(r: MdnsResponder): number[] {
  return r.drainOutgoing().flatMap((o) => {
    const m = parseDnsMessage(o.data);
    assert.ok(m.ok);
    return m.value.answers.map((a) => a.ttl);
  });
}

test('a group with nothing to announce, withdrawn at once, says goodbye for every record', () => {
  const r = new MdnsResponder();
  r.publish('sleeper', KITCHEN, { probe: false, announcements: 0 }, 1000);
  r.withdraw('sleeper', { goodbye: true }, 1000);
  const ttls = sentTtls(r);
  assert.equal(ttls.length, KITCHEN.length);
  assert.ok(ttls.every((t) => t === 0));
});

test('a group that has announced nothing yet of its announcements still withdraws silently', () => {
  const r = new MdnsResponder();
  r.publish('svc', KITCHEN, { probe: false, announcements: 2 }, 1000);
  r.withdraw('svc', { goodbye: true }, 1000);
  assert.deepEqual(sentTtls(r), []);
});
