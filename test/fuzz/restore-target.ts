// The fuzz target of a restart: the state directory's files (a snapshot record and journal entries,
// framed as src/io/store writes them) decoded, folded (replayRegistry) and loaded into a fresh engine
// (SleepProxy.restore), from mutated real state. Seeds are the snapshots and journal entries an engine
// wrote after taking the captured registrations and flow-described hosts. A case is a few steps:
// 'snapshot' and 'entry' give JSON texts (byte-mutated), 'tamper' replaces one value of the decoded
// snapshot with a hostile one (wrong type, out of range, huge), 'tail' appends raw bytes to the
// journal image (a torn or corrupt record). Invariants: decoding and restore never throw; the engine
// they give keeps every cap; then each restored sleeper is asked for (ARP, NDP, a SYN to each port),
// woken, and the clock run past every lease with the engine invariants of engine-targets.ts, so a
// restored value that only fails later (a bad wake MAC in a magic packet) is caught too.
import type { ProxyAction } from '../../src/core/actions';
import { replayRegistry } from '../../src/core/journal-replay';
import { MdnsResponder } from '../../src/core/mdns/responder';
import type { SleepProxy } from '../../src/core/sleep-proxy';
import { sleeperMdnsRecords } from '../../src/service/mdns-records';
import { parseDnsMessage } from '../../src/wire/dns';
import { encodeRecord, scanRecords } from '../../src/io/store/framing';
import { isIpv4 } from '../../src/wire/address';
import {
  arpRequest,
  makeProxy,
  neighborSolicitation,
  PEER_MAC,
  PEER_V4,
  PEER_V6,
  syn,
  T0,
} from '../unit/core/harness';
import type { FuzzStep, FuzzTarget } from './fuzzer';
import { check } from './parser-targets';
import { restoreSeeds } from './restore-seeds';
import { checkProxy, type Held, LIMITS, runTimers } from './engine-targets';
import { noShape } from './shape';

/** What a tamper step puts in place of a value. */
const HOSTILE: readonly unknown[] = [
  null,
  -1,
  0,
  1.5,
  2 ** 53,
  1e308,
  -1e308,
  '',
  'zz',
  '02:00:00:00:00:01', // the proxy's own MAC
  'ff:ff:ff:ff:ff:ff',
  '00:00:00:00:00:00',
  'not-a-mac',
  '0123456789abcdef0123', // a password of the wrong length
  'AAAA', // base64 of 3 zero bytes
  'x'.repeat(300),
  '10.77.0.10',
  true,
  [],
  [null],
  [1e9, -5, 0, 65536, 22],
  {},
  { __proto__: null },
  Array.from({ length: 300 }, (_, i) => i),
];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every container slot of a JSON value, depth first: [container, key]. */
function slots(value: Json, out: [Json[] | Record<string, Json>, string | number][] = []) {
  if (!value || typeof value !== 'object') return out;
  for (const [k, v] of Object.entries(value)) {
    out.push([value, Array.isArray(value) ? Number(k) : k]);
    slots(v, out);
  }
  return out;
}

function tamper(value: Json, step: FuzzStep): void {
  const all = slots(value);
  if (all.length === 0) return;
  const [container, key] = all[(step.variant + step.dt * 31) % all.length];
  const hostile = HOSTILE[(step.variant * 7 + step.data.length) % HOSTILE.length] as Json;
  (container as Record<string | number, Json>)[key] = structuredClone(hostile);
  // Sometimes duplicate a whole sleeper: two sleepers with the same MAC or address.
  if (step.variant % 11 === 0 && Array.isArray(container)) container.push(structuredClone(container[0]));
}

const parseJson = (data: Buffer): Json | undefined => {
  try {
    return JSON.parse(data.toString('utf8')) as Json;
  } catch {
    return undefined;
  }
};

/** The two files as Journal.open reads them, out of the steps; then their scan. */
function decode(steps: readonly FuzzStep[]): { snapshot: unknown; entries: unknown[]; problems: number } {
  const seeds = restoreSeeds();
  let snapshot: Json | undefined;
  const entries: Buffer[] = [];
  const tails: Buffer[] = [];
  for (const step of steps) {
    if (step.op === 'snapshot') snapshot = parseJson(step.data) ?? snapshot;
    else if (step.op === 'entry')
      entries.push(encodeRecord(2 + entries.length, parseJson(step.data) ?? null));
    else if (step.op === 'tail') tails.push(step.data);
    else {
      snapshot ??= parseJson(seeds.snapshots[step.variant % seeds.snapshots.length]);
      if (snapshot !== undefined) tamper(snapshot, step);
    }
  }
  const snapshotScan = scanRecords(encodeRecord(1, snapshot ?? null));
  const journalScan = scanRecords(Buffer.concat([...entries, ...tails]));
  check(journalScan.goodEnd <= Buffer.concat([...entries, ...tails]).length, 'scan ends past the image');
  return {
    snapshot: snapshotScan.records[0]?.body,
    entries: journalScan.records.filter((r) => r.seq > 1).map((r) => r.body),
    problems: journalScan.problem ? 1 : 0,
  };
}

/**
 * The service's side of the engine: the actions checked (engine-targets.ts) and the sleepers' records
 * published on an mDNS responder, whose announcements must encode (a restored name or TTL the
 * encoder refuses would throw from the service's timer).
 */
class Service {
  readonly held: Held = { groups: new Set(), blackholes: new Set() };
  private readonly responder = new MdnsResponder({ random: () => 0.5 });
  now = T0;

  constructor(readonly proxy: SleepProxy) {}

  pump(): string {
    const outcome = checkProxy(this.proxy, this.held, (a) => this.carryOut(a));
    runTimers(this.responder, this.now);
    for (const out of this.responder.drainOutgoing())
      check(parseDnsMessage(out.data).ok, `outgoing mDNS does not parse: ${out.data.toString('hex')}`);
    return outcome;
  }

  /** Runs both engines' timers up to `until`, pumping after each step. */
  runUntil(until: number): void {
    for (let i = 0; i < 10_000; i++) {
      const next = [this.proxy.nextTimer(), this.responder.nextTimer()].filter((t) => t !== undefined);
      const at = Math.min(...next);
      if (!next.length || at > until) break;
      this.now = Math.max(this.now, at);
      runTimers(this.proxy, this.now);
      this.pump();
    }
    this.now = until;
  }

  private carryOut(a: ProxyAction): void {
    if (a.type === 'publish') {
      this.responder.publish(
        a.sleeper,
        sleeperMdnsRecords(a.records),
        { probe: false, announcements: 2 },
        this.now,
      );
      this.responder.publish(
        `${a.sleeper}#a`,
        sleeperMdnsRecords(a.addressRecords),
        { probe: false, announcements: 0 },
        this.now,
      );
    } else if (a.type === 'withdraw') {
      this.responder.withdraw(a.sleeper, { goodbye: a.goodbye }, this.now);
      this.responder.withdraw(`${a.sleeper}#a`, { goodbye: false }, this.now);
    }
  }
}

/** Asks for every restored sleeper the way its neighbours would, then wakes it. */
function exercise(service: Service): void {
  const { proxy, now } = service;
  for (const view of proxy.list()) {
    for (const address of view.addresses) {
      const ask = isIpv4(address)
        ? arpRequest(PEER_MAC, PEER_V4, address)
        : neighborSolicitation(PEER_MAC, PEER_V6, address);
      proxy.handleFrame(ask, now);
      for (const s of view.services) proxy.handleFrame(syn(address, s.port), now);
    }
    service.pump();
    proxy.wake(view.key, { kind: 'command' }, now);
    service.pump();
  }
}

export const restoreTarget: FuzzTarget = {
  name: 'restore',
  maxSteps: 6,
  get ops() {
    const s = restoreSeeds();
    return {
      snapshot: { seeds: s.snapshots, shapeOf: noShape },
      entry: { seeds: s.entries, shapeOf: noShape },
      tamper: { seeds: [], shapeOf: noShape },
      tail: {
        seeds: s.entries.slice(0, 4).map((e, i) => encodeRecord(9 + i, JSON.parse(e.toString()))),
        shapeOf: noShape,
      },
    };
  },
  execute(steps) {
    const { snapshot, entries, problems } = decode(steps);
    const replay = replayRegistry(snapshot, entries);
    const proxy = makeProxy({ limits: LIMITS });
    const service = new Service(proxy);
    // restored some time after the seeds were written: some leases still run, some have ended
    service.now = T0 + steps.reduce((t, s) => t + s.dt, 0);
    const report = proxy.restore(replay.snapshot, service.now);
    const outcome = service.pump();
    service.runUntil(service.now + 5000);
    exercise(service);
    service.runUntil(service.now + 3 * 86_400_000);
    check(
      proxy.list().length === 0 && proxy.nextTimer() === undefined,
      'restored sleepers outlive their leases',
    );
    const { held } = service;
    check(held.groups.size === 0, `multicast groups still joined: ${[...held.groups].join(' ')}`);
    const dropped = replay.dropped + report.droppedSleepers + report.droppedRecords > 0;
    return `${outcome}:${report.restored}:${report.expired}:${dropped}:${problems}`;
  },
};
