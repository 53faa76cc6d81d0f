// One fuzz target per engine entry: a fresh SleepProxy (already proxying the harness's sleeper),
// MdnsResponder (two published groups) or RelayCore per case, fed a short timeline of mutated inputs
// on a fake clock with the due timers run between them. Invariants after every step: nothing throws;
// nextTimer() is a finite number or undefined and the timers make progress; every drained action or
// outgoing packet is well formed (frames parse, with their checksums; mDNS messages parse); memory
// stays bounded (sleepers, records and addresses under the caps, reassembly and dedupe under theirs).
import type { CaptureSet, ProxyAction } from '../../src/core/actions';
import { MdnsResponder } from '../../src/core/mdns/responder';
import type { SleepProxy } from '../../src/core/sleep-proxy';
import { encodeBroadcastFrames, rebroadcastDestination } from '../../src/relay/broadcast-datagram';
import { RelayCore, type Outcome } from '../../src/relay/relay-core';
import { isIpv4, isIpv6 } from '../../src/wire/address';
import { DnsClass, type DnsRecord, parseDnsMessage } from '../../src/wire/dns';
import { reverseNameFor } from '../../src/wire/dns-name';
import { DnsType } from '../../src/wire/dns-rdata';
import { parseFrame } from '../../src/wire/frame';
import { encodeAuthMesh, nextMeshCounter, parseMeshMessage } from '../../src/wire/relay-mesh';
import { encodeRegistration, parseRegistrationReply } from '../../src/wire/sps-registration';
import { FROM, makeProxy, registration, SLEEPER_V4, T0 } from '../unit/core/harness';
import { KITCHEN } from '../unit/mdns/messages';
import type { FuzzStep, FuzzTarget } from './fuzzer';
import { check, MESH_KEY } from './parser-targets';
import { seeds } from './seeds';
import { dnsShape, frameShape, meshShape, noShape } from './shape';

const TIMER_STEPS_MAX = 10_000;

/** The timers due by `now`, in order, as the service's loop runs them; a timer that never advances fails. */
export function runTimers(
  engine: { nextTimer(): number | undefined; handleTimer(t: number): void },
  now: number,
): void {
  for (let i = 0; ; i++) {
    const next = engine.nextTimer();
    check(next === undefined || Number.isFinite(next), `nextTimer() = ${next}`);
    if (next === undefined || next > now) return;
    check(i < TIMER_STEPS_MAX, `timers do not progress (stuck at ${next})`);
    engine.handleTimer(next);
  }
}

// --- SleepProxy

export const LIMITS = { maxRecords: 48, maxAddresses: 4, maxLeaseSeconds: 86_400, maxTtl: 4500 };
const SOURCES = [FROM.address, '10.77.0.99', 'fe80::1%eth0', '0.0.0.0', '2001:db8::7'];

function checkAction(a: ProxyAction): void {
  switch (a.type) {
    case 'send-frame': {
      const f = parseFrame(a.frame, { verifyTransportChecksums: true });
      check(f.ok, `sent frame does not parse (${f.ok ? '' : f.error.message}): ${a.frame.toString('hex')}`);
      return;
    }
    case 'send-udp':
      check(isIpv4(a.to) || isIpv6(a.to), `send-udp to ${a.to}`);
      check(Number.isInteger(a.port) && a.port > 0 && a.port < 65536, `send-udp port ${a.port}`);
      return;
    case 'capture':
      for (const list of [a.set.ipv4, a.set.ipv6, a.set.tcpPorts, a.set.udpPorts, a.set.macs])
        check(list.length <= 1000, 'capture set too large');
      return;
    case 'publish':
      check(a.records.length + a.addressRecords.length <= LIMITS.maxRecords, 'publish over the record cap');
      return;
    default:
      return;
  }
}

/** What the service would hold for the engine: joined groups, blackhole routes, the capture set. */
export interface Held {
  readonly groups: Set<string>;
  readonly blackholes: Set<string>;
  capture?: CaptureSet;
}

function track(held: Held, a: ProxyAction): void {
  if (a.type === 'join-multicast') {
    check(!held.groups.has(a.mac), `joined ${a.mac} twice`);
    held.groups.add(a.mac);
  } else if (a.type === 'leave-multicast') {
    check(held.groups.delete(a.mac), `left ${a.mac} without joining`);
  } else if (a.type === 'blackhole') {
    if (a.add) held.blackholes.add(a.address);
    else held.blackholes.delete(a.address);
  } else if (a.type === 'capture') held.capture = a.set;
}

export function checkProxy(
  proxy: SleepProxy,
  held: Held,
  onAction: (a: ProxyAction) => void = () => undefined,
): string {
  for (const action of proxy.drainActions()) {
    checkAction(action);
    track(held, action);
    onAction(action);
  }
  check(held.groups.size <= LIMITS.maxAddresses, `${held.groups.size} multicast groups joined`);
  const events = proxy.drainEvents().map((e) => e.type);
  const views = proxy.list();
  const addresses = views.reduce((n, v) => n + v.addresses.length, 0);
  check(addresses <= LIMITS.maxAddresses, `${addresses} proxied addresses over the cap`);
  const records = proxy.snapshot().sleepers.reduce((n, s) => n + s.records.length, 0);
  check(records <= LIMITS.maxRecords, `${records} records over the cap`);
  return `${views.length}:${[...new Set(events)].sort().join('+')}`;
}

const sleepProxyTarget: FuzzTarget = {
  name: 'sleep-proxy',
  maxSteps: 8,
  get ops() {
    const s = seeds();
    return {
      frame: { seeds: s.proxyFrames, shapeOf: frameShape },
      registration: { seeds: s.registrations, shapeOf: dnsShape },
      sleeper: {
        seeds: [Buffer.from('000016030102', 'hex'), Buffer.from('0a0050000000', 'hex')],
        shapeOf: noShape,
      },
      mdns: { seeds: s.mdns, shapeOf: dnsShape },
      timer: { seeds: [], shapeOf: dnsShape },
      command: { seeds: [], shapeOf: dnsShape },
    };
  },
  execute(steps) {
    const proxy = makeProxy({ limits: LIMITS });
    const held: Held = { groups: new Set(), blackholes: new Set() };
    proxy.handleRegistration(registration(), FROM, T0);
    runTimers(proxy, T0 + 4000);
    checkProxy(proxy, held);
    let now = T0 + 5000;
    const outcomes: string[] = [];
    for (const step of steps) {
      now += step.dt;
      runTimers(proxy, now);
      outcomes.push(proxyStep(proxy, step, now));
      outcomes.push(checkProxy(proxy, held));
    }
    // Then let every lease run out: whatever was accepted must wake, expire and go, leaving nothing held.
    runTimers(proxy, now + 3 * 86_400_000);
    outcomes.push(checkProxy(proxy, held));
    check(proxy.list().length === 0 && proxy.nextTimer() === undefined, 'sleepers outlive their leases');
    check(held.groups.size === 0, `multicast groups still joined: ${[...held.groups].join(' ')}`);
    check(held.blackholes.size === 0, `blackhole routes left: ${[...held.blackholes].join(' ')}`);
    const capture = held.capture;
    check(
      !capture || capture.ipv4.length + capture.ipv6.length + capture.macs.length === 0,
      'capture set left',
    );
    return [...new Set(outcomes)].sort().join(',');
  },
};

/** The RDATA of a TCP keepalive record (mDNSResponder's text form; stored and flushed, never parsed). */
const KEEPALIVE = Buffer.from(
  't=2 h=10.77.0.10 d=10.77.0.30 l=22 r=50000 m=02:00:00:00:00:99 p=1 s=1 a=1 w=65535',
);

/**
 * A well-formed registration drawn from a few bytes: one of 12 host MACs (one is the harness
 * sleeper's), an IPv4 address among 8 (one is the sleeper's), a service port, a message ID, a seq
 * and a lease: sleepers that renew, replace, overlap and contend for caps and addresses.
 */
function sleeperRegistration(data: Buffer, variant: number): Buffer {
  const at = (i: number): number => data[i % Math.max(1, data.length)] ?? 0;
  const mac = `02:53:50:00:00:${(at(0) % 12).toString(16).padStart(2, '0')}`;
  const address = [10, 77, 0, 10 + (at(1) & 7)];
  const host = `h${at(0) % 12}.local`;
  const record = (name: string, type: number, data: DnsRecord['data'], ttl = 120): DnsRecord => ({
    name,
    type,
    class: DnsClass.IN,
    cacheFlush: type !== DnsType.PTR || name.endsWith('.arpa'),
    ttl,
    data,
  });
  const service = `S${at(2)}._ssh._tcp.local`;
  const records = [
    record(reverseNameFor(Buffer.from(address)), DnsType.PTR, { kind: 'name', target: host }),
    record(host, DnsType.A, { kind: 'a', address: address.join('.') }),
    record(service, DnsType.SRV, { kind: 'srv', priority: 0, weight: 0, port: at(2) * 4, target: host }),
    record('_ssh._tcp.local', DnsType.PTR, { kind: 'name', target: service }, 4500),
    // Apple's TCP keepalive record (flushed by the owner's next registration, see registration.ts)
    record(`${at(7)}._keepalive._dns-sd._udp.local`, DnsType.NULL, { kind: 'raw', data: KEEPALIVE }),
  ].slice(0, 1 + (at(3) % 5));
  return encodeRegistration({
    id: (at(4) << 8) | at(5),
    owner: { version: 0, seq: at(6), hostMac: mac, wakeMac: mac },
    lease: [0, 1, 30, 7200, 100_000][variant % 5],
    records,
  });
}

function proxyStep(proxy: SleepProxy, step: FuzzStep, now: number): string {
  const { data, variant } = step;
  switch (step.op) {
    case 'frame':
      proxy.handleFrame(data, now, { checksumPartial: (variant & 1) === 1 });
      return 'f';
    case 'sleeper':
    case 'registration': {
      const datagram = step.op === 'sleeper' ? sleeperRegistration(data, variant) : data;
      const source = step.op === 'sleeper' ? FROM.address : SOURCES[variant % SOURCES.length];
      const out = proxy.handleRegistration(datagram, { address: source, port: 5353 }, now);
      if (out.reply) check(parseRegistrationReply(out.reply).ok, 'registration reply does not parse');
      return `r:${out.accepted}:${out.reason ?? ''}`;
    }
    case 'mdns':
      proxy.handleMdns(data, { address: variant & 1 ? SLEEPER_V4 : '10.77.0.99', port: 5353 }, now);
      return 'm';
    case 'command':
      if (variant & 1) proxy.wake(SLEEPER_V4, { kind: 'command' }, now);
      else proxy.release('sleeper.local', now);
      return `c${variant & 1}`;
    default:
      proxy.handleTimer(now); // a spurious or late timer is harmless
      return 't';
  }
}

// --- MdnsResponder

const MAX_MDNS_MESSAGE = 9000;

const responderTarget: FuzzTarget = {
  name: 'mdns-responder',
  maxSteps: 6,
  get ops() {
    return {
      packet: { seeds: seeds().responderPackets, shapeOf: dnsShape },
      timer: { seeds: [], shapeOf: dnsShape },
    };
  },
  execute(steps) {
    let tick = 0;
    const responder = new MdnsResponder({ random: () => (tick = (tick + 0.37) % 1) });
    let now = T0;
    responder.publish('kitchen', KITCHEN, { probe: true, announcements: 2 }, now);
    responder.publish('sleeper', KITCHEN, { probe: false, announcements: 2 }, now);
    const counts = new Map(responder.groupNames().map((g) => [g, responder.records(g)?.length]));
    const outcomes: string[] = [];
    for (const step of steps) {
      now += step.dt;
      runTimers(responder, now);
      if (step.op === 'packet') {
        const legacy = step.variant & 1 ? 40000 : 5353;
        responder.handlePacket(
          step.data,
          { address: step.variant & 2 ? 'fe80::9' : '10.0.0.9', port: legacy },
          now,
        );
      }
      for (const out of responder.drainOutgoing()) {
        check(out.data.length <= MAX_MDNS_MESSAGE, `outgoing message of ${out.data.length} bytes`);
        check(parseDnsMessage(out.data).ok, `outgoing message does not parse: ${out.data.toString('hex')}`);
      }
      outcomes.push(
        responder
          .drainEvents()
          .map((e) => e.kind)
          .join('+'),
      );
      for (const [group, count] of counts)
        check(responder.records(group)?.length === count, `group ${group} changed size`);
    }
    const { malformed, answered, conflicts } = responder.stats;
    return `${[...new Set(outcomes)].sort().join(',')}:${malformed > 0}:${answered > 0}:${conflicts > 0}`;
  },
};

// --- RelayCore

const ME = Buffer.from('0000000000000001', 'hex');
const PEER = Buffer.from('00000000000000fe', 'hex');
const DEDUPE_CAP = 10_000;
const REASSEMBLY_CAP = 64;

interface RelayInternals {
  readonly seen: { readonly size: number };
  readonly sent: { readonly size: number };
  readonly captureFragments: { readonly pending: number };
  readonly meshFragments: { readonly pending: number };
}

function checkOutcome(core: RelayCore, o: Outcome, now: number): string {
  if (o.kind === 'drop' || o.kind === 'pending') return o.kind === 'drop' ? o.reason : 'pending';
  const f = parseFrame(o.frame, { verifyTransportChecksums: false });
  check(f.ok, `${o.kind} frame does not parse: ${o.frame.toString('hex')}`);
  if (o.kind === 'rebroadcast') {
    const destination = rebroadcastDestination(o.datagram.destination, '10.78.2.255');
    let frames: Buffer[] = [];
    try {
      frames = encodeBroadcastFrames(o.datagram, { sourceMac: '02:78:00:02:00:01', destination, mtu: 1500 });
    } catch (err) {
      // documented: a payload IPv4 cannot carry, an IPv6 datagram over the MTU (the service logs it)
      check(err instanceof RangeError, `encodeBroadcastFrames threw ${String(err)}`);
    }
    for (const frame of frames)
      check(
        parseFrame(frame, { verifyTransportChecksums: true }).ok,
        `rebroadcast frame ${frame.toString('hex')}`,
      );
  }
  if (o.kind === 'relay') {
    const message = parseMeshMessage(core.meshMessage(o.frame, now), MESH_KEY);
    check(message.ok && message.value.frame.equals(o.frame), 'mesh message does not carry the frame');
  }
  return o.kind;
}

const relayTarget: FuzzTarget = {
  name: 'relay-core',
  maxSteps: 8,
  get ops() {
    const s = seeds();
    return {
      captured: { seeds: s.broadcastFrames, shapeOf: frameShape },
      mesh: { seeds: s.meshMessages, shapeOf: meshShape },
      /** A frame sent over the mesh with a valid HMAC: the checks past authentication. */
      signed: { seeds: s.broadcastFrames, shapeOf: frameShape },
    };
  },
  execute(steps) {
    const keyed = (steps[0].variant & 1) === 1;
    const core = new RelayCore({
      ports: steps[0].variant & 2 ? [] : [5076, 5353, 1900],
      ipv6Groups: ['ff02::fb', 'ff15::4b50'],
      senderId: ME,
      ...(keyed ? { key: MESH_KEY } : {}),
    });
    let now = 1_800_000_000_000;
    let counter = 0;
    const outcomes: string[] = [];
    for (const step of steps) {
      now += step.dt;
      let o: Outcome;
      if (step.op === 'captured') o = core.captured(step.data, now);
      else if (step.op === 'mesh') o = core.meshReceived(step.data, now);
      else {
        counter = nextMeshCounter(counter, now - (step.variant & 4 ? 120_000 : 0));
        o = core.meshReceived(encodeAuthMesh({ senderId: PEER, counter, frame: step.data }, MESH_KEY), now);
      }
      outcomes.push(checkOutcome(core, o, now));
      const inside = core as unknown as RelayInternals;
      check(inside.seen.size <= DEDUPE_CAP && inside.sent.size <= DEDUPE_CAP, 'dedupe sets over their cap');
      const pending = inside.captureFragments.pending + inside.meshFragments.pending;
      check(pending <= 2 * REASSEMBLY_CAP, `${pending} datagrams in reassembly`);
    }
    return [...new Set(outcomes)].sort().join(',');
  },
};

export const ENGINE_TARGETS: readonly FuzzTarget[] = [sleepProxyTarget, responderTarget, relayTarget];
