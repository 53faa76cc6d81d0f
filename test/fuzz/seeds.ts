// The fuzz seeds, out of the real captures in test/fixtures (every frame; the UDP payloads peeled
// into registrations, registration replies, mDNS packets and relay mesh messages; their OPT RDATA and
// owner/lease option data), plus a few built with the encoders where the captures have none (ARP/NDP
// for the proxy, IPv4 fragments for the relay, SPS names). Loaded once, lazily.
import { parseDnsMessage, additionalOpts } from '../../src/wire/dns';
import {
  EDNS_OPTION_OWNER,
  EDNS_OPTION_UPDATE_LEASE,
  ednsOptionsEncodingLength,
  emitEdnsOptions,
} from '../../src/wire/edns';
import { encodeUdpFrame } from '../../src/wire/frame';
import { fragmentIpv4 } from '../../src/wire/ipv4-reassembly';
import { encodePlainMesh } from '../../src/wire/relay-mesh';
import { encodeIpv4Frame, parseIpv4Frame } from '../../src/relay/broadcast-datagram';
import { encodeKeepaliveRdata } from '../../src/wire/sps-keepalive';
import { formatSpsName } from '../../src/wire/sps-name';
import { ALL_CAPTURES, captureDatagrams, FIXTURE_SPS_PORT } from '../support/sps-fixtures';
import { udpDatagrams } from '../support/udp-payloads';
import { fixturePath } from '../support/paths';
import { loadFixtureFrames } from '../unit/wire/fixture-frames';
import { DEFAULT_MESH_PORT } from '../../src/wire/relay-mesh';
import {
  arpRequest,
  KEEPALIVE,
  keepaliveRecord,
  neighborAdvertisement,
  neighborSolicitation,
  OTHER_MAC,
  PEER_MAC,
  PEER_V4,
  PEER_V6,
  peerSegment,
  registration,
  SLEEPER_V4,
  SLEEPER_V6,
  sleeperRecords,
  syn,
  tcpSegment,
  udpDatagram,
} from '../unit/core/harness';
import { KITCHEN, mdnsQuery, mdnsResponse } from '../unit/mdns/messages';
import { DnsClass } from '../../src/wire/dns';
import { toDnsRecord } from '../../src/core/mdns/records';
import { DnsType } from '../../src/wire/dns-rdata';
import { TCP_FLAG } from '../../src/wire/tcp';

export interface Seeds {
  readonly frames: Buffer[];
  /** Frames a proxied sleeper's neighbours send: ARP/NDP for it, SYNs and datagrams to it. */
  readonly proxyFrames: Buffer[];
  readonly registrations: Buffer[];
  readonly replies: Buffer[];
  readonly mdns: Buffer[];
  /** mDNS packets about the test responder's service (queries, probes, conflicting answers). */
  readonly responderPackets: Buffer[];
  readonly optRdata: Buffer[];
  readonly ownerOptions: Buffer[];
  readonly leaseOptions: Buffer[];
  readonly meshMessages: Buffer[];
  readonly broadcastFrames: Buffer[];
  readonly spsNames: Buffer[];
  readonly keepaliveRdata: Buffer[];
}

let cached: Seeds | undefined;

export function seeds(): Seeds {
  cached ??= load();
  return cached;
}

function load(): Seeds {
  const frames = loadFixtureFrames().map((f) => f.data);
  const datagrams = ALL_CAPTURES.flatMap((c) => captureDatagrams(c));
  const toSps = datagrams.filter((d) => d.dstPort === FIXTURE_SPS_PORT).map((d) => d.payload);
  const fromSps = datagrams.filter((d) => d.srcPort === FIXTURE_SPS_PORT).map((d) => d.payload);
  const mdns = datagrams.filter((d) => d.dstPort === 5353 || d.srcPort === 5353).map((d) => d.payload);
  const relayDatagrams = [
    'snowsignal-mesh.pcap',
    'snowsignal-relay-segA.pcap',
    'snowsignal-relay-segB.pcap',
  ].flatMap((c) => udpDatagrams(fixturePath(c)));
  const meshMessages = relayDatagrams.filter((d) => d.dstPort === DEFAULT_MESH_PORT).map((d) => d.payload);
  const relayFrames = frames.filter((f) => f[0] === 0xff || (f[0] & 1) === 1);
  const broadcastFrames = [...relayFrames, ...fragments()];
  meshMessages.push(...broadcastFrames.slice(0, 8).map((f) => encodePlainMesh(f)));

  const optRdata: Buffer[] = [];
  const ownerOptions: Buffer[] = [];
  const leaseOptions: Buffer[] = [];
  for (const payload of [...toSps, ...fromSps, ...mdns]) {
    const msg = parseDnsMessage(payload);
    if (!msg.ok) continue;
    for (const opt of additionalOpts(msg.value)) {
      if (!opt.options) continue;
      const rdata = Buffer.alloc(ednsOptionsEncodingLength(opt.options));
      emitEdnsOptions(opt.options, rdata, 0);
      optRdata.push(rdata);
      for (const o of opt.options) {
        if (o.code === EDNS_OPTION_OWNER) ownerOptions.push(o.data);
        if (o.code === EDNS_OPTION_UPDATE_LEASE) leaseOptions.push(o.data);
      }
    }
  }

  return {
    frames,
    proxyFrames: [
      ...frames,
      arpRequest(PEER_MAC, PEER_V4, SLEEPER_V4),
      arpRequest(OTHER_MAC, SLEEPER_V4, SLEEPER_V4),
      neighborSolicitation(PEER_MAC, PEER_V6, SLEEPER_V6),
      neighborSolicitation(PEER_MAC, '::', SLEEPER_V6),
      neighborAdvertisement(OTHER_MAC, SLEEPER_V6),
      syn(SLEEPER_V4, 22),
      syn(SLEEPER_V6, 80),
      tcpSegment(SLEEPER_V4, 22, TCP_FLAG.ACK | TCP_FLAG.PSH, Buffer.from('data')),
      udpDatagram(SLEEPER_V4, 5000, Buffer.from('game')),
      peerSegment(TCP_FLAG.ACK, KEEPALIVE.ack - 1, KEEPALIVE.seq + 1),
      peerSegment(TCP_FLAG.ACK | TCP_FLAG.PSH, KEEPALIVE.ack, KEEPALIVE.seq + 1, Buffer.from('news')),
    ],
    registrations: [
      ...toSps,
      registration(),
      registration({ lease: 0 }),
      registration({ seq: 9 }),
      registration({ id: 0x4b41, records: [...sleeperRecords(), keepaliveRecord(KEEPALIVE)] }),
    ],
    replies: fromSps,
    mdns,
    responderPackets: [
      ...mdns,
      mdnsQuery([{ name: '_http._tcp.local', type: DnsType.PTR, class: DnsClass.IN, qu: false }]),
      mdnsQuery([{ name: 'pi.local', type: DnsType.A, class: DnsClass.IN, qu: true }]),
      mdnsQuery([{ name: 'Kitchen._http._tcp.local', type: DnsType.ANY, class: DnsClass.IN, qu: false }], {
        authorities: [toDnsRecord(KITCHEN[2])],
      }),
      mdnsQuery(
        [{ name: '_services._dns-sd._udp.local', type: DnsType.PTR, class: DnsClass.IN, qu: false }],
        {
          answers: [toDnsRecord(KITCHEN[1])],
        },
      ),
      mdnsResponse([{ ...toDnsRecord(KITCHEN[4]), data: { kind: 'a', address: '10.0.0.77' } }]),
    ],
    optRdata,
    ownerOptions,
    leaseOptions,
    meshMessages,
    broadcastFrames,
    keepaliveRdata: [
      encodeKeepaliveRdata(KEEPALIVE),
      encodeKeepaliveRdata({ ...KEEPALIVE, local: SLEEPER_V6, remote: PEER_V6 }),
    ],
    spsNames: [
      '10-34-10-70 SleepProxyServer',
      formatSpsName({
        intent: 70,
        portability: 35,
        marginalPower: 32,
        totalPower: 32,
        features: 2,
        prettyName: 'pi',
      }),
      '50-99-99-99.1 Café ☕ (2)',
    ].map((s) => Buffer.from(s)),
  };
}

/** A broadcast datagram split into IPv4 fragments, each a frame. */
function fragments(): Buffer[] {
  const whole = encodeUdpFrame({
    srcMac: '02:78:00:01:00:0a',
    dstMac: 'ff:ff:ff:ff:ff:ff',
    src: '10.78.1.10',
    dst: '255.255.255.255',
    srcPort: 40000,
    dstPort: 5076,
    payload: Buffer.alloc(3000, 0x61),
  });
  const packet = parseIpv4Frame(whole);
  if (!packet.ok) throw new Error('fuzz seeds: cannot parse our own broadcast');
  return [whole, ...fragmentIpv4(packet.value, 1500).map((p) => encodeIpv4Frame(p, '02:78:00:01:00:0a'))];
}
