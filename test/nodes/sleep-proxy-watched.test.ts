// Watched hosts of the sleep-proxy-config node (issue 7), on the test LAN with Node-RED running in the
// proxy host: a watched host that keeps answering the proxy's probes is never taken over (arping from
// the waker gets only the host's own MAC); once its interface goes silent it is reported `asleep` and
// taken over within the configured silence plus one probe interval plus the takeover's probe phase; a
// TCP connect to one of its ports sends magic packets (tcpdump in its namespace); when it comes back
// its address is handed back (`woke`, and arping gets its own MAC again).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { capture, lanUnavailableReason, toolUnavailableReason } from '../support/lan';
import { assertMagicPackets, NAS_MAC, ProxyLan } from './proxy-lan-fixture';

const INTERVAL_S = 1;
const SILENCE_S = 3;
/** The takeover's own probe phase before the first announcement (takeover.ts). */
const PROBE_PHASE_MS = 4000;

describe(
  'watched hosts on the test LAN',
  { skip: lanUnavailableReason() ?? toolUnavailableReason('tcpdump', 'arping') },
  () => {
    let net: ProxyLan;

    before(async () => {
      net = await ProxyLan.start((nas) => ({
        hosts: JSON.stringify([{ name: 'nas', mac: NAS_MAC, addresses: [nas.ipv4], ports: [22, 445] }]),
        watchInterval: String(INTERVAL_S),
        watchSilence: String(SILENCE_S),
      }));
    });
    after(() => net?.close());

    test('a watched host that keeps answering is never taken over', async () => {
      const seen = await net.messagesFor((SILENCE_S + 2 * INTERVAL_S) * 1000);
      assert.deepEqual(
        seen.map((m) => m.topic),
        [],
      );
      assert.ok(!(await net.arpingNas()).includes(net.proxyMac), 'no ARP reply from the proxy');
    });

    test('silent: asleep, then taken over within the silence + one interval + the probe phase', async () => {
      const start = Date.now();
      await net.nas.sleep();
      const asleep = await net.nextMessage('asleep', (SILENCE_S + 2 * INTERVAL_S) * 1000);
      assert.equal(asleep.payload.hostMac, NAS_MAC);
      const takeover = await net.nextMessage('takeover', PROBE_PHASE_MS + 2000);
      const took = Date.now() - start;
      assert.equal(takeover.payload.address, net.nas.ipv4);
      assert.ok(
        took <= (SILENCE_S + INTERVAL_S) * 1000 + PROBE_PHASE_MS + 1000,
        `taken over after ${took} ms`,
      );
      assert.match(await net.arpingNas(), new RegExp(net.proxyMac));
    });

    test('a connect to one of its ports sends magic packets; back awake, its address is handed back', async () => {
      const woken = await capture(net.nas, 'ether proto 0x0842');
      const wake = net.nextMessage('wake', 5000);
      await net.connect(22);
      assert.deepEqual((await wake).payload.reason, { kind: 'syn', port: 22, from: net.waker.ipv4 });
      await new Promise((r) => setTimeout(r, 2500)); // rounds 1 and 2
      assertMagicPackets(await woken.stop(), NAS_MAC);
      const woke = net.nextMessage('woke', 8000);
      await net.nas.wake();
      assert.equal((await woke).payload.hostMac, NAS_MAC);
      const macs = await net.arpingNas();
      assert.ok(macs.includes(NAS_MAC), macs);
      assert.ok(!macs.includes(net.proxyMac), 'the proxy no longer answers for it');
    });
  },
);
