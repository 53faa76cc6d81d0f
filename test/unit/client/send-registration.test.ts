// sendRegistration against stand-in proxies on loopback: retransmission per candidate, failover on
// silence and on an error RCODE, the ID match, the deadline.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { after, describe, test } from 'node:test';
import { sendRegistration, type ProxyTarget } from '../../../src/client/send-registration';
import { DnsRcode } from '../../../src/wire/dns';
import { encodeRegistrationReply } from '../../../src/wire/sps-registration';

type Answer = (request: Buffer, sends: number) => Buffer | undefined;

const sockets: dgram.Socket[] = [];
after(() => sockets.forEach((s) => s.close()));

/** A UDP "proxy" on 127.0.0.1 that counts requests and answers as told. */
async function standIn(label: string, answer: Answer): Promise<{ target: ProxyTarget; sends: () => number }> {
  const socket = dgram.createSocket('udp4');
  sockets.push(socket);
  let sends = 0;
  socket.on('message', (data, from) => {
    const reply = answer(data, ++sends);
    if (reply) socket.send(reply, from.port, from.address);
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return { target: { label, address: '127.0.0.1', port: socket.address().port }, sends: () => sends };
}

const ID = 0x4242;
const MESSAGE = Buffer.from([0x42, 0x42, 0x28, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
const FAST = { message: MESSAGE, id: ID, ifname: 'lo', intervalMs: 40, deadlineMs: 2000 };

describe('sending the registration', () => {
  test('three sends to a silent candidate, then the next one; its granted lease is reported', async () => {
    const silent = await standIn('silent', () => undefined);
    const good = await standIn('good', (_r, n) =>
      n === 2 ? encodeRegistrationReply({ id: ID, rcode: 0, lease: 3000 }) : undefined,
    );
    const outcome = await sendRegistration({ ...FAST, targets: [silent.target, good.target] });
    assert.deepEqual(outcome, { ok: true, target: good.target, lease: 3000, leaseInReply: true });
    assert.equal(silent.sends(), 3);
    assert.equal(good.sends(), 2);
  });

  test('a reply with another ID is ignored; an error RCODE moves on at once', async () => {
    const wrongId = await standIn('wrong id', () =>
      encodeRegistrationReply({ id: ID + 1, rcode: 0, lease: 1 }),
    );
    const refusing = await standIn('refusing', () =>
      encodeRegistrationReply({ id: ID, rcode: DnsRcode.REFUSED }),
    );
    const noLease = await standIn('no lease', () => encodeRegistrationReply({ id: ID, rcode: 0 }));
    const outcome = await sendRegistration({
      ...FAST,
      targets: [wrongId.target, refusing.target, noLease.target],
    });
    assert.deepEqual(outcome, { ok: true, target: noLease.target, lease: 3600, leaseInReply: false });
    assert.equal(wrongId.sends(), 3);
    assert.equal(refusing.sends(), 1);
  });

  test('no candidate, or none answering before the deadline, is a failure with the reasons', async () => {
    assert.deepEqual(await sendRegistration({ ...FAST, targets: [] }), {
      ok: false,
      reason: 'no sleep proxy to register with',
    });
    const refusing = await standIn('refusing', () =>
      encodeRegistrationReply({ id: ID, rcode: DnsRcode.FORMERR }),
    );
    const silent = await standIn('silent', () => undefined);
    const outcome = await sendRegistration({
      ...FAST,
      deadlineMs: 100,
      targets: [refusing.target, silent.target],
    });
    assert.equal(outcome.ok, false);
    assert.match(
      outcome.ok ? '' : outcome.reason,
      /refusing answered FORMERR; no successful reply within 100 ms/,
    );
  });
});
