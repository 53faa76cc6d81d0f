// Shared test harness for the SleepProxy engine: a proxy with a fake clock, registrations built with
// the wire encoder, frames built with the wire frame builders, and a timeline runner that advances
// time with handleTimer(nextTimer()) and stamps every action with the time it was produced.
import type { ProxyAction } from '../../../src/core/actions';
export { keepaliveRecord } from '../../../src/core/registration-request';
import { SleepProxy, type SleepProxyOptions } from '../../../src/core/sleep-proxy';
import { ARP_OP, ZERO_MAC } from '../../../src/wire/arp';
import { DnsClass, DnsRecord } from '../../../src/wire/dns';
import { DnsType } from '../../../src/wire/dns-rdata';
import type { OwnerRepr } from '../../../src/wire/edns';
import {
  encodeArpFrame,
  encodeNdpFrame,
  encodeTcpFrame,
  encodeUdpFrame,
  type Frame,
  parseFrame,
} from '../../../src/wire/frame';
import { ICMPV6_TYPE } from '../../../src/wire/icmpv6';
import { solicitedNodeAddress, solicitedNodeMac } from '../../../src/wire/ndp';
import type { KeepaliveRepr } from '../../../src/wire/sps-keepalive';
import { encodeRegistration } from '../../../src/wire/sps-registration';
import { TCP_FLAG } from '../../../src/wire/tcp';

export const PROXY_MAC = '02:00:00:00:00:01';
export const SLEEPER_MAC = '02:53:50:00:00:0a';
export const PEER_MAC = '02:00:00:00:00:99';
export const OTHER_MAC = '02:00:00:00:00:77';
export const SLEEPER_V4 = '10.77.0.10';
export const SLEEPER_V6 = 'fe80::53:50ff:fe00:a';
export const PEER_V4 = '10.77.0.30';
export const PEER_V6 = 'fe80::99';
export const FROM = { address: SLEEPER_V4, port: 5353 };
export const T0 = 1_000_000;

const rec = (
  name: string,
  type: number,
  data: DnsRecord['data'],
  cacheFlush = true,
  ttl = 120,
): DnsRecord => ({
  name,
  type,
  class: DnsClass.IN,
  cacheFlush,
  ttl,
  data,
});

/** A macOS-like registration: reverse PTRs for one IPv4 and one IPv6, A/AAAA, ssh/http over TCP, a UDP service. */
export function sleeperRecords(unique = true): DnsRecord[] {
  return [
    rec('10.0.77.10.in-addr.arpa', DnsType.PTR, { kind: 'name', target: 'sleeper.local' }, unique),
    rec(
      'a.0.0.0.0.0.e.f.f.f.0.5.3.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa',
      DnsType.PTR,
      { kind: 'name', target: 'sleeper.local' },
      unique,
    ),
    rec('sleeper.local', DnsType.A, { kind: 'a', address: SLEEPER_V4 }, unique),
    rec('sleeper.local', DnsType.AAAA, { kind: 'aaaa', address: SLEEPER_V6 }, unique),
    rec(
      'Sleeper SSH._ssh._tcp.local',
      DnsType.SRV,
      { kind: 'srv', priority: 0, weight: 0, port: 22, target: 'sleeper.local' },
      unique,
    ),
    rec(
      'Sleeper Web._http._tcp.local',
      DnsType.SRV,
      { kind: 'srv', priority: 0, weight: 0, port: 80, target: 'sleeper.local' },
      unique,
    ),
    rec(
      'Sleeper Game._game._udp.local',
      DnsType.SRV,
      { kind: 'srv', priority: 0, weight: 0, port: 5000, target: 'sleeper.local' },
      unique,
    ),
    rec('Sleeper SSH._ssh._tcp.local', DnsType.TXT, { kind: 'txt', strings: [] }, unique, 4500),
    rec('_ssh._tcp.local', DnsType.PTR, { kind: 'name', target: 'Sleeper SSH._ssh._tcp.local' }, false, 4500),
  ];
}

export interface RegistrationSpec {
  readonly id?: number;
  readonly seq?: number;
  readonly lease?: number;
  readonly hostMac?: string;
  readonly wakeMac?: string;
  readonly password?: Buffer;
  readonly records?: readonly DnsRecord[];
}

export function owner(spec: RegistrationSpec = {}): OwnerRepr {
  const hostMac = spec.hostMac ?? SLEEPER_MAC;
  return {
    version: 0,
    seq: spec.seq ?? 0,
    hostMac,
    wakeMac: spec.wakeMac ?? hostMac,
    ...(spec.password ? { password: spec.password } : {}),
  };
}

export function registration(spec: RegistrationSpec = {}): Buffer {
  return encodeRegistration({
    id: spec.id ?? 0x1234,
    owner: owner(spec),
    lease: spec.lease ?? 7200,
    records: spec.records ?? sleeperRecords(),
  });
}

/** Policy for tests of other things that register record-only or foreign hosts from FROM. */
export const ANY_SOURCE = { policy: { sourceMustBeProxied: false } } as const;

export function makeProxy(options: Partial<SleepProxyOptions> = {}): SleepProxy {
  return new SleepProxy({
    ifname: 'eth0',
    mac: PROXY_MAC,
    ipv4: '10.77.0.20',
    subnets: ['10.77.0.20/24'],
    ...options,
  });
}

/** A proxy with the standard sleeper registered at T0 (actions and events drained). */
export function registered(
  options: Partial<SleepProxyOptions> = {},
  spec: RegistrationSpec = {},
): SleepProxy {
  const proxy = makeProxy(options);
  const out = proxy.handleRegistration(registration(spec), FROM, T0);
  if (!out.accepted) throw new Error(`not accepted: ${out.reason}`);
  proxy.drainActions();
  proxy.drainEvents();
  return proxy;
}

export interface Stamped {
  readonly at: number;
  readonly action: ProxyAction;
}

/** Runs the timers up to `until` (inclusive); returns the actions with the time they were produced. */
export function runUntil(proxy: SleepProxy, until: number): Stamped[] {
  const out: Stamped[] = [];
  for (let next = proxy.nextTimer(); next !== undefined && next <= until; next = proxy.nextTimer()) {
    proxy.handleTimer(next);
    for (const action of proxy.drainActions()) out.push({ at: next, action });
  }
  return out;
}

export function framesOf(actions: readonly ProxyAction[]): Frame[] {
  return actions.flatMap((a) => {
    if (a.type !== 'send-frame') return [];
    const f = parseFrame(a.frame);
    if (!f.ok) throw new Error(`unparsable frame: ${f.error.message}`);
    return [f.value];
  });
}

export function stampedFrames(stamped: readonly Stamped[]): { at: number; frame: Frame }[] {
  return stamped.flatMap((s) => framesOf([s.action]).map((frame) => ({ at: s.at, frame })));
}

// --- Frames a LAN would send.

export function arpRequest(
  senderMac: string,
  senderIp: string,
  targetIp: string,
  op: number = ARP_OP.REQUEST,
): Buffer {
  return encodeArpFrame({ op, senderMac, senderIp, targetMac: ZERO_MAC, targetIp }, 'ff:ff:ff:ff:ff:ff');
}

export function neighborSolicitation(srcMac: string, src: string, target: string): Buffer {
  return encodeNdpFrame({
    srcMac,
    dstMac: solicitedNodeMac(target),
    src,
    dst: solicitedNodeAddress(target),
    ndp: {
      type: ICMPV6_TYPE.NEIGHBOR_SOLICITATION,
      target,
      ...(src === '::' ? {} : { sourceLinkLayer: srcMac }),
      otherOptions: [],
    },
  });
}

export function neighborAdvertisement(srcMac: string, target: string): Buffer {
  return encodeNdpFrame({
    srcMac,
    dstMac: '33:33:00:00:00:01',
    src: target,
    dst: 'ff02::1',
    ndp: {
      type: ICMPV6_TYPE.NEIGHBOR_ADVERTISEMENT,
      router: false,
      solicited: false,
      override: true,
      target,
      targetLinkLayer: srcMac,
      otherOptions: [],
    },
  });
}

export function tcpSegment(
  dst: string,
  dstPort: number,
  flags: number,
  payload: Buffer = Buffer.alloc(0),
  src = dst.includes(':') ? PEER_V6 : PEER_V4,
): Buffer {
  return encodeTcpFrame({
    srcMac: PEER_MAC,
    dstMac: PROXY_MAC,
    src,
    dst,
    tcp: {
      srcPort: 50000,
      dstPort,
      seqNumber: 1000,
      ackNumber: flags & TCP_FLAG.ACK ? 1 : 0,
      flags,
      window: 65535,
      urgentPointer: 0,
      options: Buffer.alloc(0),
      payload,
    },
  });
}

export const syn = (dst: string, port: number): Buffer => tcpSegment(dst, port, TCP_FLAG.SYN);

export function udpDatagram(dst: string, dstPort: number, payload: Buffer): Buffer {
  return encodeUdpFrame({
    srcMac: PEER_MAC,
    dstMac: PROXY_MAC,
    src: dst.includes(':') ? PEER_V6 : PEER_V4,
    dst,
    srcPort: 40000,
    dstPort,
    payload,
  });
}

/** Registers, then runs the takeover until every address is announced (T0 + 4 s). */
export function proxying(options: Partial<SleepProxyOptions> = {}, spec: RegistrationSpec = {}): SleepProxy {
  const proxy = registered(options, spec);
  runUntil(proxy, T0 + 4000);
  proxy.drainEvents();
  return proxy;
}

// --- A TCP connection of the sleeper, kept alive by the proxy (§5.4).

export const KEEPALIVE: KeepaliveRepr = {
  interval: 20,
  local: SLEEPER_V4,
  remote: PEER_V4,
  localPort: 8022,
  remotePort: 51000,
  peerMac: PEER_MAC,
  seq: 5000,
  ack: 9000,
  window: 502,
};

/** A segment from the connection's peer: `seq`/`ack` are the peer's numbers. */
export function peerSegment(
  flags: number,
  seq: number,
  ack: number,
  payload = Buffer.alloc(0),
  k = KEEPALIVE,
): Buffer {
  return encodeTcpFrame({
    srcMac: k.peerMac,
    dstMac: PROXY_MAC,
    src: k.remote,
    dst: k.local,
    tcp: {
      srcPort: k.remotePort,
      dstPort: k.localPort,
      seqNumber: seq,
      ackNumber: ack,
      flags,
      window: 1000,
      urgentPointer: 0,
      options: Buffer.alloc(0),
      payload,
    },
  });
}
