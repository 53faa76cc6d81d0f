// 100 redeploys in a row (issue 10, faults): Node-RED (the node agent) in the proxy host of the test
// LAN runs a flow with the sleep proxy config node and a flow node on the real eth0; the flow is
// deployed again 100 times, each time until its status is green (link, registration and mDNS sockets
// open, the journal replayed). The process's open file descriptors, AF_PACKET sockets (matched in
// /proc/net/packet) and active handles and timers (process.getActiveResourcesInfo) are counted after
// the first deploy and after the last: each redeploy must release everything the previous one held.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { lanUnavailableReason, TestLan, type NodeChild } from '../support/lan';
import type * as NodeRed from './agents/sleep-proxy-node-agent';
import { nextStatus, proxyFlow } from './proxy-lan-fixture';

const AGENT = join(__dirname, 'agents', 'sleep-proxy-node-agent.js');
const REDEPLOYS = 100;

describe('100 redeploys of a sleep proxy flow', { skip: lanUnavailableReason() }, () => {
  let lan: TestLan;
  let red: NodeChild<typeof NodeRed>;
  const stateDir = mkdtempSync(join(tmpdir(), 'sps-redeploy-'));
  const flow = () => proxyFlow({ interface: 'eth0', stateDir });

  before(async () => {
    lan = await TestLan.create({ hosts: ['proxy:2', 'waker:20'] });
    red = await lan.host('proxy').runNode<typeof NodeRed>(AGENT);
  });
  after(async () => {
    await red?.call('unload').catch(() => undefined);
    await red?.close();
    await lan?.destroy();
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function deploy(): Promise<void> {
    await red.call('load', flow());
    await nextStatus(red, (s) => s.fill === 'green', 10_000);
  }

  /** The counts once the SPS's own announcements are over (they keep a timer for a few seconds). */
  async function settled(): Promise<Awaited<ReturnType<typeof NodeRed.resources>>> {
    await new Promise((r) => setTimeout(r, 4000));
    return red.call('resources');
  }

  test('no leaked fds, AF_PACKET sockets, handles or timers', async (t) => {
    await deploy();
    const first = await settled();
    // the link socket, and the native answerer's (one per CPU)
    assert.ok(first.packetSockets >= 1, 'the link socket');
    for (let i = 0; i < REDEPLOYS; i++) await deploy();
    const last = await settled();
    t.diagnostic(
      `after the first deploy ${JSON.stringify(first)}; after ${REDEPLOYS} more ${JSON.stringify(last)}`,
    );
    assert.equal(last.fds, first.fds, 'open file descriptors');
    assert.equal(last.packetSockets, first.packetSockets, 'AF_PACKET sockets');
    assert.deepEqual(last.active, first.active, 'active handles and timers by type');
  });
});
