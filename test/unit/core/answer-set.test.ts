// The answer set of an engine with nativeAnswers (actions.ts AnswerSet, answer-set.ts): queued when
// a claim starts or stops answering, never for an unchanged set, never without nativeAnswers; and
// the engine itself then sends no ARP/NDP answer. Also the link capture that goes with it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnswerSet, ProxyAction } from '../../../src/core/actions';
import { captureMatchers } from '../../../src/service/capture-filter';
import { ARP_OP } from '../../../src/wire/arp';
import {
  arpRequest,
  neighborSolicitation,
  PEER_MAC,
  PEER_V4,
  PEER_V6,
  registered,
  runUntil,
  SLEEPER_MAC,
  SLEEPER_V4,
  SLEEPER_V6,
  T0,
} from './harness';

const NATIVE = { nativeAnswers: true, policy: { wokeHeuristic: false } };

const answerSets = (actions: readonly ProxyAction[]): AnswerSet[] =>
  actions.flatMap((a) => (a.type === 'answer' ? [a.set] : []));

const stamped = (proxy: ReturnType<typeof registered>, until: number) =>
  runUntil(proxy, until).map((s) => s.action);

describe('answer set (nativeAnswers)', () => {
  test('follows the claims: nothing while probing, both addresses from the first announcement', () => {
    const proxy = registered(NATIVE);
    const probing = answerSets(stamped(proxy, T0 + 3500));
    // the set queued at registration was drained by registered(); probing changes nothing
    assert.deepEqual(probing, []);
    const [set, ...more] = answerSets(stamped(proxy, T0 + 4000));
    assert.deepEqual(set, {
      ipv4: [SLEEPER_V4],
      ipv6: [SLEEPER_V6],
      claimed: [SLEEPER_V4, SLEEPER_V6].sort(),
      owners: [SLEEPER_MAC],
    });
    assert.deepEqual(more, []);
    assert.deepEqual(answerSets(stamped(proxy, T0 + 60_000)), [], 'later announcements change nothing');
  });

  test('the engine sends no answer itself, and counts none', () => {
    const proxy = registered(NATIVE);
    runUntil(proxy, T0 + 4000);
    proxy.handleFrame(arpRequest(PEER_MAC, PEER_V4, SLEEPER_V4), T0 + 5000);
    proxy.handleFrame(neighborSolicitation(PEER_MAC, PEER_V6, SLEEPER_V6), T0 + 5000);
    assert.deepEqual(proxy.drainActions(), []);
    assert.equal(proxy.counters.arpReplies + proxy.counters.ndpReplies, 0);
  });

  test('the owner back, a wake and a release take addresses out', () => {
    const proxy = registered(NATIVE);
    runUntil(proxy, T0 + 4000);
    proxy.handleFrame(arpRequest(SLEEPER_MAC, SLEEPER_V4, PEER_V4, ARP_OP.REPLY), T0 + 5000);
    assert.deepEqual(
      answerSets(proxy.drainActions()).map((s) => s.ipv4),
      [[]],
    );
    runUntil(proxy, T0 + 30_000);
    proxy.wake(SLEEPER_V4, { kind: 'command' }, T0 + 30_000);
    const [waking] = answerSets(proxy.drainActions());
    assert.deepEqual([waking.ipv4, waking.ipv6], [[], []]);
    assert.deepEqual(waking.owners, [SLEEPER_MAC], 'a waking owner is still not answered');
    proxy.release(SLEEPER_V4, T0 + 31_000);
    assert.deepEqual(answerSets(proxy.drainActions()), [{ ipv4: [], ipv6: [], claimed: [], owners: [] }]);
  });

  test('without nativeAnswers no answer set is ever queued', () => {
    const proxy = registered({ policy: { wokeHeuristic: false } });
    assert.deepEqual(answerSets(stamped(proxy, T0 + 60_000)), []);
  });

  test('with the answerer, the link captures ARP from, NA for and NS from proxied addresses', () => {
    const set = { ipv4: [SLEEPER_V4], ipv6: [SLEEPER_V6], tcpPorts: [22], udpPorts: [], macs: [SLEEPER_MAC] };
    const neighbours = (native: boolean) =>
      captureMatchers(set, [], native).filter((m) => m.kind === 'arp' || m.kind === 'ndp');
    assert.deepEqual(neighbours(false), [
      { kind: 'arp', addresses: [SLEEPER_V4], field: 'either' },
      { kind: 'ndp', targets: [SLEEPER_V6], field: 'either' },
    ]);
    assert.deepEqual(neighbours(true), [
      { kind: 'arp', addresses: [SLEEPER_V4], field: 'sender' },
      { kind: 'ndp', targets: [SLEEPER_V6], types: [136] },
      { kind: 'ndp', targets: [SLEEPER_V6], types: [135], field: 'source' },
    ]);
  });
});
