// The native ARP/NDP answerer (src/io/link/answerer.ts + native/answerer.cc) on a real segment:
// arping and ndisc6 in another host as witnesses of its replies, the table deciding (owners and an
// emptied table get silence), and open/close churn under traffic leaving no thread or fd behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addonUnavailableReason } from '../support/addon';
import { join } from 'node:path';
import type { AnswerTableSpec } from '../../src/io/link';
import {
  lanUnavailableReason,
  TestLan,
  toolUnavailableReason,
  type LanHost,
  type NodeChild,
} from '../support/lan';
import type * as AnswererAgent from './answerer-agent';

const AGENT = join(__dirname, 'answerer-agent.js');
const PROXIED_V4 = '10.77.0.150';
const PROXIED_V6 = 'fd77::150';

const skip = lanUnavailableReason() ?? toolUnavailableReason('arping', 'ndisc6') ?? addonUnavailableReason();

describe('native answerer on the test LAN', { skip }, () => {
  let lan: TestLan;
  let proxy: LanHost;
  let waker: LanHost;
  let agent: NodeChild<typeof AnswererAgent>;
  let table: AnswerTableSpec;

  const arping = (address: string) => waker.exec('arping', ['-c', '1', '-w', '1', '-I', 'eth0', address]);
  const ndisc6 = (address: string) => waker.exec('ndisc6', ['-1', '-r', '1', '-w', '500', address, 'eth0']);

  before(async () => {
    lan = await TestLan.create();
    proxy = lan.host('proxy');
    waker = lan.host('waker');
    agent = await proxy.runNode<typeof AnswererAgent>(AGENT);
    table = { mac: proxy.mac, ipv4: [PROXIED_V4], ipv6: [PROXIED_V6], claimed: [PROXIED_V4], owners: [] };
  });

  after(async () => {
    await agent?.close();
    await lan?.destroy();
  });

  test('answers ARP and NS for the table with our MAC; owners and an emptied table get silence', async () => {
    assert.ok((await agent.call('open', 'eth0')) >= 1);
    const silent = await arping(PROXIED_V4);
    assert.notEqual(silent.code, 0, 'nothing is answered before a table is set');

    await agent.call('set', table);
    const arp = await arping(PROXIED_V4);
    assert.equal(arp.code, 0, arp.stdout + arp.stderr);
    assert.match(arp.stdout, new RegExp(proxy.mac, 'i'));
    const ns = await ndisc6(PROXIED_V6);
    assert.equal(ns.code, 0, ns.stdout + ns.stderr);
    assert.match(ns.stdout, new RegExp(proxy.mac, 'i'));

    await agent.call('set', { ...table, owners: [waker.mac] });
    assert.notEqual((await arping(PROXIED_V4)).code, 0, 'the owner asking is not answered');
    assert.notEqual((await ndisc6(PROXIED_V6)).code, 0);

    await agent.call('set', { ...table, ipv4: [], ipv6: [] });
    assert.notEqual((await arping(PROXIED_V4)).code, 0, 'a claim that stopped answering');

    const stats = await agent.call('stats');
    assert.equal(stats?.arpReplies, 1);
    assert.equal(stats?.ndpReplies, 1);
    assert.equal(stats?.sendErrors, 0);
    await agent.call('close');
    await agent.call('close'); // idempotent
  });

  test('open and close 200 times under traffic: no thread or fd left behind', async () => {
    const before = await agent.call('resources');
    assert.equal(before.answererThreads, 0);
    // requests keep arriving while sockets open and close
    const traffic = waker.exec('arping', ['-c', '40', '-i', '0.05', '-w', '4', '-I', 'eth0', PROXIED_V4]);
    await agent.call('churn', 'eth0', table, 200);
    await traffic;
    const afterChurn = await agent.call('resources');
    assert.equal(afterChurn.answererThreads, 0);
    assert.equal(afterChurn.fds, before.fds);
    assert.equal(afterChurn.threads, before.threads);
    // and a fresh one still answers
    await agent.call('open', 'eth0');
    await agent.call('set', table);
    assert.equal((await arping(PROXIED_V4)).code, 0);
    const open = await agent.call('resources');
    assert.ok(open.answererThreads >= 1);
    await agent.call('close');
    assert.equal((await agent.call('resources')).answererThreads, 0);
  });
});
