// The native answerer's decision (native/answer-frame.cc, through the addon's pure answerFrame) held
// to the engine's: two engines get the same inputs, one answering ARP/NDP itself, the other with
// nativeAnswers (queuing answer sets); every frame's native reply, computed from the latest answer
// set, must be byte for byte the reply the first engine sent, or absent when it sent none. Both
// engines must otherwise act and report alike. Frames: the usual LAN traffic of every claim state
// (probing, answering, owner back, waking), then mutants of it, which must never crash the addon.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnswerSet, ProxyAction } from '../../../src/core/actions';
import type { SleepProxy } from '../../../src/core/sleep-proxy';
import { nativeAnswerTable } from '../../../src/io/link/answerer';
import { loadLinkBinding } from '../../../src/io/link/native';
import { ARP_OP, ZERO_IPV4 } from '../../../src/wire/arp';
import { type Random, mulberry32, randomBytes, randomInt } from '../../support/prng';
import {
  arpRequest,
  makeProxy,
  neighborAdvertisement,
  neighborSolicitation,
  OTHER_MAC,
  PEER_MAC,
  PEER_V4,
  PEER_V6,
  PROXY_MAC,
  registration,
  FROM,
  runUntil,
  SLEEPER_MAC,
  SLEEPER_V4,
  SLEEPER_V6,
  T0,
} from '../core/harness';

const binding = loadLinkBinding();
const WAKE_MAC = '02:53:50:00:00:0b';
const OTHER_V4 = '10.77.0.11';

/** The JS-answering engine and its nativeAnswers twin, fed alike. */
class Twins {
  readonly js: SleepProxy = makeProxy({ policy: { wokeHeuristic: false } });
  readonly native: SleepProxy = makeProxy({ policy: { wokeHeuristic: false }, nativeAnswers: true });
  set: AnswerSet | undefined;
  compared = 0;
  answered = 0;

  both(step: (proxy: SleepProxy) => void): void {
    step(this.js);
    step(this.native);
    this.settle();
  }

  /** Compares a step's actions: the twin's are the JS engine's minus an ARP/NDP answer, plus answer sets. */
  private settle(
    js: ProxyAction[] = this.js.drainActions(),
    twin: ProxyAction[] = this.native.drainActions(),
    answer?: Buffer,
  ): void {
    const native = twin.filter((a) => {
      if (a.type !== 'answer') return true;
      this.set = a.set;
      return false;
    });
    const expected = answer ? js.filter((a) => !(a.type === 'send-frame' && a.frame.equals(answer))) : js;
    assert.deepEqual(native.map(comparable), expected.map(comparable));
    assert.deepEqual(this.native.drainEvents(), this.js.drainEvents());
  }

  run(until: number): void {
    const actions = (proxy: SleepProxy) => runUntil(proxy, until).map((s) => s.action);
    this.settle(actions(this.js), actions(this.native));
  }

  /** One received frame: the native reply from the current set equals what the JS engine sends. */
  frame(frame: Buffer, now: number, checksumPartial = false): void {
    const before = this.js.counters.arpReplies + this.js.counters.ndpReplies;
    const table = nativeAnswerTable({ mac: PROXY_MAC, ...(this.set ?? EMPTY_SET) });
    const reply = binding.answerFrame(...table, frame, checksumPartial);
    this.js.handleFrame(frame, now, { checksumPartial });
    this.native.handleFrame(frame, now, { checksumPartial });
    const answered = this.js.counters.arpReplies + this.js.counters.ndpReplies > before;
    const js = this.js.drainActions();
    const last = js.at(-1);
    const expected = answered && last?.type === 'send-frame' ? last.frame : null;
    if (capturedLayout(frame)) {
      this.compared++;
      assert.deepEqual(reply, expected, `frame ${frame.toString('hex')}`);
    }
    if (reply) this.answered++;
    this.settle(js, this.native.drainActions(), expected ?? undefined);
    assert.equal(this.native.counters.arpReplies + this.native.counters.ndpReplies, 0);
  }
}

const EMPTY_SET: AnswerSet = { ipv4: [], ipv6: [], claimed: [], owners: [] };

const comparable = (a: ProxyAction): unknown => (a.type === 'send-frame' ? a.frame.toString('hex') : a);

/**
 * Frames the capture filters can deliver: untagged (an in-frame VLAN tag is matched by neither the
 * link's nor the answerer's filter), and NDP with hop limit 255 (RFC 4861 §7.1; both filters).
 */
function capturedLayout(frame: Buffer): boolean {
  if (frame.length < 14) return true;
  const type = frame.readUInt16BE(12);
  if (type === 0x8100 || type === 0x88a8) return false;
  return !(type === 0x86dd && frame.length >= 22 && frame[21] !== 255);
}

/** Requests and solicitations from everyone who might ask, for every address around. */
function lanFrames(askers = [PEER_MAC, PROXY_MAC, OTHER_MAC, SLEEPER_MAC, WAKE_MAC]): Buffer[] {
  const frames: Buffer[] = [];
  for (const mac of askers) {
    for (const target of [SLEEPER_V4, OTHER_V4, PEER_V4]) {
      frames.push(arpRequest(mac, PEER_V4, target), arpRequest(mac, ZERO_IPV4, target));
      frames.push(arpRequest(mac, PEER_V4, target, ARP_OP.REPLY));
    }
    frames.push(neighborSolicitation(mac, PEER_V6, SLEEPER_V6), neighborSolicitation(mac, '::', SLEEPER_V6));
    frames.push(neighborSolicitation(mac, PEER_V6, PEER_V6));
  }
  frames.push(arpRequest(PEER_MAC, PEER_V4, PEER_V4)); // gratuitous
  return frames;
}

/** Frames that wake a sleeper: someone else speaking from a proxied address. */
function conflictFrames(): Buffer[] {
  return [
    arpRequest(OTHER_MAC, SLEEPER_V4, PEER_V4),
    arpRequest(OTHER_MAC, OTHER_V4, OTHER_V4),
    neighborAdvertisement(OTHER_MAC, SLEEPER_V6),
    neighborSolicitation(OTHER_MAC, SLEEPER_V6, PEER_V6),
  ];
}

function mutant(random: Random, input: Buffer): Buffer {
  const b = Buffer.from(input);
  switch (randomInt(random, 5)) {
    case 0:
      b[randomInt(random, b.length)] ^= 1 << randomInt(random, 8);
      return b;
    case 1:
      b[randomInt(random, b.length)] = randomInt(random, 256);
      return b;
    case 2:
      return b.subarray(0, randomInt(random, b.length));
    case 3:
      return Buffer.concat([b, randomBytes(random, 1 + randomInt(random, 40))]);
    default:
      randomBytes(random, 4).copy(b, randomInt(random, b.length - 4));
      return b;
  }
}

function twinsWithSleepers(): Twins {
  const twins = new Twins();
  twins.both((p) => p.handleRegistration(registration(), FROM, T0));
  // a second sleeper that wakes by another MAC, holding one IPv4 (a reverse PTR without cache-flush: no probing)
  const other = registration({
    id: 0x4321,
    hostMac: '02:53:50:00:00:0c',
    wakeMac: WAKE_MAC,
    records: [
      {
        name: '11.0.77.10.in-addr.arpa',
        type: 12,
        class: 1,
        cacheFlush: false,
        ttl: 120,
        data: { kind: 'name', target: 'other.local' },
      },
    ],
  });
  twins.both((p) => p.handleRegistration(other, FROM, T0));
  return twins;
}

describe('native answerer decision', () => {
  test('answers exactly when and what the engine does, through every claim state', () => {
    const twins = twinsWithSleepers();
    const ask = (now: number, askers?: string[]) => lanFrames(askers).forEach((f) => twins.frame(f, now));
    const notOwners = [PEER_MAC, PROXY_MAC, OTHER_MAC];
    ask(T0 + 500, notOwners); // probing: silence
    twins.run(T0 + 4000);
    ask(T0 + 4000, notOwners); // answering, except for our own MAC
    const answered = twins.answered;
    assert.ok(answered >= 8, `answered ${answered}`);
    ask(T0 + 4000); // the owners ask too: probing restarts, answering stops
    // The owner speaks again: probing restarts, answering stops.
    twins.frame(arpRequest(SLEEPER_MAC, SLEEPER_V4, PEER_V4, ARP_OP.REPLY), T0 + 5000);
    ask(T0 + 5000);
    twins.run(T0 + 40_000);
    ask(T0 + 40_000);
    // A wake: not answered while the owner is being woken.
    twins.both((p) => p.wake(SLEEPER_V4, { kind: 'command' }, T0 + 41_000));
    ask(T0 + 41_000);
    // Conflicts wake the rest; then nothing is answered.
    twins.run(T0 + 80_000);
    for (const f of conflictFrames()) {
      twins.frame(f, T0 + 80_000);
      ask(T0 + 80_000);
    }
    assert.ok(twins.compared > 200);
    assert.ok(twins.answered > answered, `answered ${twins.answered}`);
  });

  test('a checksum the kernel left unfinished is not verified, as in the engine', () => {
    const twins = twinsWithSleepers();
    twins.run(T0 + 4000);
    const ns = neighborSolicitation(PEER_MAC, PEER_V6, SLEEPER_V6);
    ns[14 + 40 + 2] ^= 0xff;
    const before = twins.answered;
    twins.frame(ns, T0 + 4000, false);
    twins.frame(ns, T0 + 4000, true);
    assert.equal(twins.answered, before + 1);
  });

  test('mutated frames: same decision as the engine, never a crash', () => {
    const random = mulberry32(0x5e1f);
    const twins = twinsWithSleepers();
    twins.run(T0 + 4000);
    // Mutants of requests from peers (owners and conflicts would soon stop all answering).
    const seeds = lanFrames([PEER_MAC, OTHER_MAC]);
    for (let i = 0; i < 3000; i++) {
      twins.frame(mutant(random, seeds[randomInt(random, seeds.length)]), T0 + 4000 + i);
    }
    assert.ok(twins.compared > 2500);
    assert.ok(twins.answered > 300, `answered ${twins.answered}`);
  });

  test('rejects malformed tables', () => {
    const table = nativeAnswerTable({
      mac: PROXY_MAC,
      ipv4: [SLEEPER_V4],
      ipv6: [],
      claimed: [],
      owners: [],
    });
    const frame = arpRequest(PEER_MAC, PEER_V4, SLEEPER_V4);
    assert.ok(binding.answerFrame(...table, frame, false));
    const [, answer4, answer6, claimed4, claimed6, owners] = table;
    assert.throws(
      () => binding.answerFrame(Buffer.alloc(5), answer4, answer6, claimed4, claimed6, owners, frame, false),
      /6 bytes/,
    );
    assert.throws(
      () => binding.answerFrame(table[0], Buffer.alloc(3), answer6, claimed4, claimed6, owners, frame, false),
      /whole entries/,
    );
    assert.equal(binding.answerFrame(...table, Buffer.alloc(0), false), null);
  });
});
