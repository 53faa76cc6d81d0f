// How the sleep-proxy-config node ends (issue 8), on the test LAN with Node-RED in the proxy host and
// tcpdump in the sleeper's namespace: a redeploy that changes the config node closes it with
// removed = false, and the sleeper survives without being woken (an accepted registration survives
// redeploys and restarts); a deploy without the config node closes it with removed = true, and the proxy
// hands over: one immediate magic packet (0x0842 unicast and broadcast, the UDP port-9 copy) and the
// sleeper is forgotten, so the next proxy on the same state directory holds nobody.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { capture, lanUnavailableReason, toolUnavailableReason } from '../support/lan';
import { MAGIC_FILTER, magicPacketsFor } from '../support/magic-witness';
import { NAS_MAC, ProxyLan, proxyFlow } from './proxy-lan-fixture';

const SETTLE_MS = 500;

describe(
  'sleep-proxy-config: a redeploy keeps the sleepers, removing the node hands them over (test LAN)',
  { skip: lanUnavailableReason() ?? toolUnavailableReason('tcpdump') },
  () => {
    let net: ProxyLan;
    const flow = (proxyName: string) => proxyFlow({ interface: 'eth0', stateDir: net.stateDir, proxyName });

    /** Forgets queued statuses, then waits for the flow node's status with this text. */
    async function statusAfter(deployed: Promise<void>, text: string): Promise<void> {
      for (;;) if (!(await net.red.next('status', 1).catch(() => undefined))) break;
      await deployed;
      for (;;) {
        const [from, status] = (await net.red.next('status', 10_000)) as [
          string,
          { fill?: string; text?: string },
        ];
        if (from === 'sp' && status.fill === 'green' && status.text === text) return;
      }
    }

    before(async () => {
      net = await ProxyLan.start(() => ({ proxyName: 'First' }));
      await net.nas.sleep();
      await net.red.call('inject', 'sp', {
        topic: 'sleep',
        payload: { name: 'nas', mac: NAS_MAC, addresses: [net.nas.ipv4], ports: [22] },
      });
      await net.nextMessage('takeover', 10_000);
    });
    after(() => net?.close());

    test('a redeploy (changed config node) keeps the sleeper and wakes nobody', async () => {
      const witness = await capture(net.nas, MAGIC_FILTER);
      await statusAfter(net.red.call('deploy', flow('Second')), '1 sleeping');
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      assert.deepEqual(magicPacketsFor(await witness.stop(), NAS_MAC), [], 'no magic packet');
      await net.nextMessage('takeover', 10_000); // the new proxy claims the address again
    });

    test('removing the config node wakes the sleeper at once and forgets it', async () => {
      const witness = await capture(net.nas, MAGIC_FILTER);
      await net.red.call('deploy', [{ id: 'f1', type: 'tab' }]);
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const magic = magicPacketsFor(await witness.stop(), NAS_MAC);
      assert.deepEqual(
        magic.filter((m) => m.via === 'ethertype').map((m) => m.dst),
        [NAS_MAC, 'ff:ff:ff:ff:ff:ff'],
      );
      assert.equal(magic.filter((m) => m.via === 'udp').length, 1);
      // A proxy on the same state directory holds nobody.
      await statusAfter(net.red.call('deploy', flow('Third')), '0 sleeping');
    });
  },
);
