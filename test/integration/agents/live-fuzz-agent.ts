// Agent for the live fuzz (test/integration/sleep-proxy-live-fuzz.test.ts). run(), in the waker: for a
// while it sends a running proxy mutants (test/fuzz/mutate.ts) of real inputs, paced so the proxy
// and the witnesses still get the CPU: registrations to its registration port, mDNS packets to
// 224.0.0.251:5353 and to its own address, and raw Ethernet frames through the link addon (ARP and
// NDP for the proxied addresses, TCP and UDP to them, and every frame of the captures).
//
// A mutant that speaks for a proxied sleeper is not sent, because the proxy would rightly let the
// sleeper go: a frame from its MAC or IP address, an ARP or NDP claim of its address, a SYN to its
// service port, a registration of its address, anything carrying its MAC or host name. Everything
// else goes out, well formed or not. queryA(), in a witness host: an mDNS query for a host's address.
import { openLink, dropAll } from '../../../src/io/link';
import { macToBytes } from '../../../src/wire/address';
import { DnsClass, parseDnsMessage } from '../../../src/wire/dns';
import { dnsNameEquals } from '../../../src/wire/dns-name';
import { DnsType } from '../../../src/wire/dns-rdata';
import { parseFrame } from '../../../src/wire/frame';
import { ICMPV6_TYPE } from '../../../src/wire/icmpv6';
import { parseRegistration } from '../../../src/wire/sps-registration';
import { TCP_FLAG } from '../../../src/wire/tcp';
import { mutate } from '../../fuzz/mutate';
import { seeds } from '../../fuzz/seeds';
import { dnsShape, frameShape } from '../../fuzz/shape';
import { mulberry32, type Random } from '../../support/prng';
import { arpRequest, neighborSolicitation, tcpSegment, udpDatagram } from '../../unit/core/harness';
import { mdnsQuery } from '../../unit/mdns/messages';
import { bound, MDNS_GROUP } from './sps-client-agent';

export interface Sleeper {
  readonly name: string;
  readonly mac: string;
  readonly ipv4: string;
  readonly ipv6: string;
  /** Its registered TCP service port: a SYN to it is a real wake. */
  readonly port: number;
}

export interface Plan {
  readonly seconds: number;
  readonly seed: number;
  readonly proxyMac: string;
  readonly proxyIpv4: string;
  readonly registrationPort: number;
  readonly ownMac: string;
  readonly ownIpv4: string;
  readonly ownLinkLocal: string;
  readonly sleepers: readonly Sleeper[];
}

export interface Sent {
  frames: number;
  registrations: number;
  mdns: number;
  /** Mutants not sent: they speak for a sleeper. */
  spared: number;
}

/** Inputs sent per 10 ms tick, by kind. */
const PER_TICK = { frames: 6, registrations: 1, mdns: 2 };

/** Frames a neighbour sends about the sleepers, from us, to the proxy (or the multicast they go to). */
function frameSeeds(plan: Plan): Buffer[] {
  const readdress = (frame: Buffer): Buffer => {
    const out = Buffer.from(frame);
    macToBytes(plan.proxyMac)?.copy(out, 0);
    macToBytes(plan.ownMac)?.copy(out, 6);
    return out;
  };
  const ours = plan.sleepers.flatMap((s) => [
    arpRequest(plan.ownMac, plan.ownIpv4, s.ipv4),
    neighborSolicitation(plan.ownMac, plan.ownLinkLocal, s.ipv6),
    readdress(tcpSegment(s.ipv4, s.port + 1, TCP_FLAG.SYN)),
    readdress(tcpSegment(s.ipv6, s.port + 1, TCP_FLAG.SYN)),
    readdress(tcpSegment(s.ipv4, s.port + 2, TCP_FLAG.ACK | TCP_FLAG.PSH, Buffer.from('data'))),
    readdress(udpDatagram(s.ipv4, 5000, Buffer.from('game'))),
    readdress(udpDatagram(s.ipv6, 5353, seeds().mdns[0] ?? Buffer.alloc(0))),
  ]);
  return [...ours, ...seeds().frames];
}

/** Whether `data` (a frame, registration or mDNS packet) speaks for a sleeper. */
function speaksFor(plan: Plan, data: Buffer, kind: 'frame' | 'registration' | 'mdns'): boolean {
  const text = data.toString('latin1').toLowerCase();
  for (const s of plan.sleepers) {
    const mac = macToBytes(s.mac);
    if ((mac && data.includes(mac)) || text.includes(s.name.toLowerCase())) return true;
  }
  const v4 = new Set(plan.sleepers.map((s) => s.ipv4));
  const v6 = new Set(plan.sleepers.map((s) => s.ipv6));
  const ours = (a: string) => v4.has(a) || v6.has(a);
  if (kind === 'registration') {
    const reg = parseRegistration(data);
    return reg.ok && reg.value.proxiedAddresses.some((a) => ours(a.address));
  }
  if (kind !== 'frame') return false;
  const parsed = parseFrame(data, { verifyTransportChecksums: false });
  if (!parsed.ok) return false;
  const f = parsed.value;
  if (f.kind === 'arp') return ours(f.arp.senderIp);
  if (!('ip' in f) || !f.ip) return false;
  if (ours(f.ip.src)) return true;
  if (f.kind === 'icmpv6' && f.ndp) {
    const claims = f.ndp.type === ICMPV6_TYPE.NEIGHBOR_ADVERTISEMENT || f.ip.src === '::';
    if (claims && ours(f.ndp.target)) return true;
  }
  const port = f.kind === 'tcp' ? f.tcp.dstPort : f.kind === 'udp' ? f.udp.dstPort : undefined;
  return port !== undefined && ours(f.ip.dst) && plan.sleepers.some((s) => s.port === port);
}

/** Sends mutants for plan.seconds; resolves with what was sent. */
export async function run(plan: Plan): Promise<Sent> {
  const random: Random = mulberry32(plan.seed);
  const s = seeds();
  const corpora = {
    frame: { seeds: frameSeeds(plan), shapeOf: frameShape },
    registration: { seeds: s.registrations, shapeOf: dnsShape },
    mdns: { seeds: s.mdns, shapeOf: dnsShape },
  };
  const mutant = (kind: keyof typeof corpora): Buffer | undefined => {
    const { seeds: list, shapeOf } = corpora[kind];
    const base = list[Math.floor(random() * list.length)];
    const data = random() < 0.8 ? mutate({ random, shapeOf, corpus: list }, base) : Buffer.from(base);
    if (speaksFor(plan, data, kind)) {
      sent.spared++;
      return undefined;
    }
    return data;
  };
  const sent: Sent = { frames: 0, registrations: 0, mdns: 0, spared: 0 };
  // a link socket that receives nothing: we only send
  const link = openLink('eth0', { filter: dropAll() });
  const registrar = await bound(0);
  registrar.on('error', () => undefined); // ICMP errors of earlier sends: noise here
  const mdns = await bound(5353);
  mdns.on('error', () => undefined);
  mdns.setMulticastInterface(plan.ownIpv4);
  const end = Date.now() + plan.seconds * 1000;
  try {
    while (Date.now() < end) {
      for (let i = 0; i < PER_TICK.frames; i++) {
        const frame = mutant('frame');
        if (frame && frame.length >= 14) {
          try {
            link.send(frame);
            sent.frames++;
          } catch {
            // a mutant the kernel refuses (too long for the MTU): not sent
          }
        }
      }
      for (let i = 0; i < PER_TICK.registrations; i++) {
        const reg = mutant('registration');
        if (!reg) continue;
        registrar.send(reg, plan.registrationPort, plan.proxyIpv4);
        sent.registrations++;
      }
      for (let i = 0; i < PER_TICK.mdns; i++) {
        const packet = mutant('mdns');
        if (!packet) continue;
        mdns.send(packet, 5353, i % 2 ? plan.proxyIpv4 : MDNS_GROUP);
        sent.mdns++;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    link.close();
    registrar.close();
    mdns.close();
  }
  return sent;
}

/** The addresses of `name`'s A records in the answer to a one-shot mDNS query (RFC 6762 §5.1). */
export async function queryA(name: string, ownIpv4: string, timeoutMs = 2000): Promise<string[]> {
  const socket = await bound(0);
  socket.setMulticastInterface(ownIpv4);
  try {
    return await new Promise<string[]>((resolve) => {
      const timer = setTimeout(() => resolve([]), timeoutMs);
      socket.on('message', (data) => {
        const msg = parseDnsMessage(data);
        if (!msg.ok) return;
        const found = [...msg.value.answers, ...msg.value.additionals].flatMap((r) =>
          r.data.kind === 'a' && dnsNameEquals(r.name, name) ? [r.data.address] : [],
        );
        if (found.length === 0) return;
        clearTimeout(timer);
        resolve(found);
      });
      socket.send(mdnsQuery([{ name, type: DnsType.A, class: DnsClass.IN, qu: false }]), 5353, MDNS_GROUP);
    });
  } finally {
    socket.close();
  }
}
