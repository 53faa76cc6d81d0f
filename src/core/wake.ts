// When to wake a sleeper and how (sps-protocol.md §5.1-§5.3).
//
// Policy (Apple's mDNSCoreReceiveRawTransportPacket), for traffic to a proxied address of a sleeper
// that is not already being woken:
// - TCP with RST, or FIN without payload, never wakes.
// - TCP SYN (without ACK: a connection attempt) wakes when the owner registered a `_tcp` SRV on the
//   destination port. Port 22 also wakes for plain data/ACK segments (Apple keeps SSH sessions alive
//   that way), again only with a registered port-22 `_tcp` SRV.
// - UDP wakes when the owner registered a `_udp` SRV on the destination port, except: port 4500
//   (IPsec NAT-T / BTMM) wakes without an SRV but not for the 1-byte 0xFF NAT keepalive nor for IKE
//   Informational (5) / IKE_SA_INIT (34) exchanges; port 3283 (Apple Remote Desktop) wakes only for
//   the ARD wake packet (payload >= 110 bytes starting 0x13 0x88).
// - ICMP never wakes (and is never answered).
//
// Schedule: round 1 at once, then one round every 2 s, 15 rounds. Rounds 1-2: magic frame (EtherType
// 0x0842, with the password field) to the wake MAC only; rounds 3-15 also to broadcast. Every round
// also a UDP magic packet to 255.255.255.255:9 (non-Apple NICs). Round 1 also the "release" NA for each
// proxied IPv6 address, from the wake MAC. 2 s after round 15 the sequence has failed.
import { BROADCAST_MAC } from '../wire/address';
import { encodeNdpFrame } from '../wire/frame';
import { ndpAnnouncement } from '../wire/ndp';
import type { TcpRepr } from '../wire/tcp';
import type { UdpRepr } from '../wire/udp';
import { encodeMagicFrame, encodeMagicPacket } from '../wire/wol';
import type { ProxyAction } from './actions';
import type { WakeReason } from './events';

export const WAKE_ROUNDS = 15;
export const WAKE_INTERVAL_MS = 2000;
/** Rounds before this one send the unicast copy only. */
export const FIRST_BROADCAST_ROUND = 3;
export const SSH_PORT = 22;
export const IPSEC_NAT_T_PORT = 4500;
export const ARD_PORT = 3283;
const ARD_WAKE_MIN_LEN = 110;
const IKE_EXCHANGE_TYPE_OFFSET = 18;
const IKE_IGNORED_EXCHANGES: readonly number[] = [5, 34];
const NON_ESP_MARKER_LEN = 4;
export const WOL_UDP_PORT = 9;
/** Reasons whose first round also sends the broadcast copy. */
const BROADCAST_FIRST: readonly WakeReason['kind'][] = ['name-conflict', 'shutdown'];
export const BROADCAST_IPV4 = '255.255.255.255';

export interface WakePorts {
  readonly tcpPorts: ReadonlySet<number>;
  readonly udpPorts: ReadonlySet<number>;
}

export interface WakePolicy {
  /** Wake on non-SYN data to a registered port 22 (Apple does). */
  readonly sshDataWakes: boolean;
}

export function tcpWakeReason(
  ports: WakePorts,
  tcp: TcpRepr,
  from: string,
  policy: WakePolicy,
): WakeReason | undefined {
  if (tcp.rst) return undefined;
  if (tcp.fin && tcp.payload.length === 0) return undefined;
  if (!ports.tcpPorts.has(tcp.dstPort)) return undefined;
  if (tcp.syn && !tcp.ack) return { kind: 'syn', port: tcp.dstPort, from };
  if (!tcp.syn && tcp.dstPort === SSH_PORT && policy.sshDataWakes)
    return { kind: 'tcp', port: tcp.dstPort, from };
  return undefined;
}

function ipsecWakes(payload: Buffer): boolean {
  if (payload.length === 1 && payload[0] === 0xff) return false;
  // IKE over NAT-T starts with a 4-byte zero non-ESP marker; ESP starts with a non-zero SPI.
  const marker = payload.length >= NON_ESP_MARKER_LEN && payload.readUInt32BE(0) === 0;
  const exchange = payload[(marker ? NON_ESP_MARKER_LEN : 0) + IKE_EXCHANGE_TYPE_OFFSET];
  return !(marker && exchange !== undefined && IKE_IGNORED_EXCHANGES.includes(exchange));
}

function ardWakes(payload: Buffer): boolean {
  return payload.length >= ARD_WAKE_MIN_LEN && payload[0] === 0x13 && payload[1] === 0x88;
}

export function udpWakeReason(ports: WakePorts, udp: UdpRepr, from: string): WakeReason | undefined {
  const port = udp.dstPort;
  let wakes: boolean;
  if (port === IPSEC_NAT_T_PORT) wakes = ipsecWakes(udp.payload);
  else if (port === ARD_PORT) wakes = ardWakes(udp.payload);
  else wakes = ports.udpPorts.has(port);
  return wakes ? { kind: 'udp', port, from } : undefined;
}

/** The rounds of one wake sequence, driven by the engine's clock. */
export class WakeSchedule {
  /** Rounds sent so far. */
  round = 0;
  nextAt: number;

  constructor(
    readonly reason: WakeReason,
    readonly startedAt: number,
  ) {
    this.nextAt = startedAt;
  }

  /** 'round' when a round is due (and counts it), 'failed' once 15 rounds went unanswered. */
  fire(now: number): 'round' | 'failed' | undefined {
    if (now < this.nextAt) return undefined;
    if (this.round >= WAKE_ROUNDS) return 'failed';
    this.round++;
    this.nextAt = this.startedAt + this.round * WAKE_INTERVAL_MS;
    return 'round';
  }
}

export interface WakeTarget {
  readonly ourMac: string;
  readonly wakeMac: string;
  /** 6 bytes, zeros meaning none. */
  readonly password?: Buffer;
  readonly ipv6: readonly string[];
}

/** The frames and datagrams of wake round `round` (1-based). */
export function wakeRoundActions(
  target: WakeTarget,
  round: number,
  reason: WakeReason,
  udpCopy: boolean,
): ProxyAction[] {
  const { ourMac, wakeMac, password } = target;
  const magic = (destination: string): ProxyAction => ({
    type: 'send-frame',
    frame: encodeMagicFrame({ destination, source: ourMac, target: wakeMac, password }),
  });
  const actions: ProxyAction[] = [magic(wakeMac)];
  // A name conflict gets Apple's one extra immediate packet; we make it the broadcast copy. A shutdown
  // has no later rounds, so its only round carries both copies.
  if (round >= FIRST_BROADCAST_ROUND || (round === 1 && BROADCAST_FIRST.includes(reason.kind))) {
    actions.push(magic(BROADCAST_MAC));
  }
  if (udpCopy) {
    actions.push({
      type: 'send-udp',
      to: BROADCAST_IPV4,
      port: WOL_UDP_PORT,
      payload: encodeMagicPacket({ target: wakeMac }),
    });
  }
  if (round === 1) {
    // Apple sends this NA from the wake MAC; we send it from ours, with the wake MAC only in the target
    // link-layer option (all that peers' caches use), so switches keep the sleeper's MAC on its own port
    // and the unicast magic packets of the next rounds still reach it.
    for (const address of target.ipv6) {
      const release = { ...ndpAnnouncement(wakeMac, address), srcMac: ourMac };
      actions.push({ type: 'send-frame', frame: encodeNdpFrame(release) });
    }
  }
  return actions;
}
