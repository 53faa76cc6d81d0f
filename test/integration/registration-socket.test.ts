// The registration socket on the test LAN. The proxy host opens it on eth0 (IPv4 10.77.0.2 and its
// IPv6 link-local address); a client in the sleeper host sends the exact UPDATE bytes Apple's
// mDNSResponder sent in test/fixtures/mdnsresponder-*registration*.pcap (single and multi-packet,
// mDNSResponder 2200 and 2600), from an ephemeral port and from 5353, over both families. Witnesses: the reply parses as an SPS reply with the request's
// ID and granted lease, and its source address:port is exactly the destination the client used
// (what dnspython checks); the handler saw the client's real address and port.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RegistrationPeer } from '../../src/io/registration-socket';
import { DnsRcode } from '../../src/wire/dns';
import { grantedLease, parseRegistration, parseRegistrationReply } from '../../src/wire/sps-registration';
import { lanUnavailableReason, TestLan, type LanHost, type NodeChild } from '../support/lan';
import { REGISTRATION_CAPTURES, updateDatagrams } from '../support/sps-fixtures';
import type * as ClientAgent from './agents/registration-client-agent';
import type * as ProxyAgent from './agents/registration-proxy-agent';

const PROXY_AGENT = join(__dirname, 'agents', 'registration-proxy-agent.js');
const CLIENT_AGENT = join(__dirname, 'agents', 'registration-client-agent.js');
const PORT = 5354;

describe('registration socket on the test LAN', { skip: lanUnavailableReason() }, () => {
  let lan: TestLan;
  let proxyHost: LanHost;
  let sleeperHost: LanHost;
  let proxy: NodeChild<typeof ProxyAgent>;
  let client: NodeChild<typeof ClientAgent>;
  const updates = REGISTRATION_CAPTURES.flatMap((c) => updateDatagrams(c));

  before(async () => {
    lan = await TestLan.create({ hosts: ['proxy:2', 'sleeper:10'] });
    proxyHost = lan.host('proxy');
    sleeperHost = lan.host('sleeper');
    [proxy, client] = await Promise.all([
      proxyHost.runNode<typeof ProxyAgent>(PROXY_AGENT),
      sleeperHost.runNode<typeof ClientAgent>(CLIENT_AGENT),
    ]);
    const opened = await proxy.call('open', PORT);
    assert.deepEqual(opened.failures, []);
    assert.deepEqual(
      opened.local?.map((l) => [l.family, l.address, l.port]),
      [
        ['IPv4', proxyHost.ipv4, PORT],
        ['IPv6', proxyHost.linkLocal, PORT],
      ],
    );
  });
  after(() => lan?.destroy());

  const destinations = () => [
    { family: 'udp4' as const, address: proxyHost.ipv4, expectFrom: sleeperHost.ipv4 },
    { family: 'udp6' as const, address: `${proxyHost.linkLocal}%eth0`, expectFrom: sleeperHost.linkLocal },
  ];

  test('the fixture UPDATEs get a correct reply from the address:port they were sent to, over IPv4 and IPv6 link-local, from 5353 and ephemeral ports', async () => {
    assert.ok(updates.length > 0);
    for (const dst of destinations()) {
      for (const sourcePort of [5353, 0]) {
        for (const update of updates) {
          const request = parseRegistration(update.payload);
          assert.ok(request.ok);
          const reply = await client.call(
            'exchange',
            dst.family,
            dst.address,
            PORT,
            update.payload,
            sourcePort,
          );
          const parsed = parseRegistrationReply(reply.data);
          assert.ok(parsed.ok, 'reply parses');
          assert.deepEqual(parsed.value, {
            id: request.value.id,
            rcode: DnsRcode.NOERROR,
            lease: grantedLease(request.value.lease),
          });
          assert.equal(reply.data.length, 31, 'Apple-shaped success reply');
          assert.equal(reply.address, dst.address, 'reply source address = destination used');
          assert.equal(reply.port, PORT, 'reply source port = destination port');
          const [seen] = (await proxy.next('datagram')) as [{ length: number; from: RegistrationPeer }];
          assert.equal(seen.length, update.payload.length);
          assert.equal(seen.from.address, dst.expectFrom);
          if (sourcePort) assert.equal(seen.from.port, sourcePort);
          if (dst.family === 'udp6')
            assert.ok((seen.from.scopeId ?? 0) > 0, 'link-local peer has a scope id');
        }
      }
    }
  });

  test('a 9000-byte datagram arrives whole over both families (IP fragments reassembled)', async () => {
    const big = Buffer.alloc(9000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + 3) & 0xff;
    const { createHash } = await import('node:crypto');
    const expected = `len 9000 ${createHash('sha256').update(big).digest('hex')}`;
    for (const dst of destinations()) {
      const reply = await client.call('exchange', dst.family, dst.address, PORT, big);
      assert.equal(reply.data.toString(), expected);
      await proxy.next('datagram');
    }
  });

  test('close frees the port: reopening on it works and answers again', async () => {
    await proxy.call('close', PORT);
    await assert.rejects(
      client.call('exchange', 'udp4', proxyHost.ipv4, PORT, Buffer.from('anyone?'), 0, 300),
    );
    const again = await proxy.call('open', PORT);
    assert.deepEqual(again.failures, []);
    const reply = await client.call(
      'exchange',
      'udp4',
      proxyHost.ipv4,
      PORT,
      updates[0]?.payload ?? Buffer.alloc(0),
    );
    assert.ok(parseRegistrationReply(reply.data).ok);
    await proxy.next('datagram');
  });

  test('errors are typed, never thrown: port in use, missing address or interface, a throwing handler', async () => {
    assert.deepEqual(await proxy.call('open', PORT), { failures: ['address-in-use'] });
    assert.deepEqual(await proxy.call('open', PORT + 1, ['IPv6'], 'lo'), {
      failures: ['address-not-available'],
    });
    assert.deepEqual(await proxy.call('open', PORT + 1, undefined, 'nosuch0'), {
      failures: ['no-interface'],
    });

    const opened = await proxy.call('open', PORT + 2, ['IPv4'], 'eth0', 'boom');
    assert.deepEqual(opened.failures, []);
    await assert.rejects(
      client.call('exchange', 'udp4', proxyHost.ipv4, PORT + 2, Buffer.from('boom'), 0, 300),
    );
    const [code] = await proxy.next('socket-error');
    assert.equal(code, 'handler');
    const reply = await client.call(
      'exchange',
      'udp4',
      proxyHost.ipv4,
      PORT + 2,
      Buffer.from('still there?'),
    );
    assert.match(reply.data.toString(), /^len 12 /);
    await proxy.call('close', PORT + 2);
  });
});
