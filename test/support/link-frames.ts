// Hand-built Ethernet frames for the link tests (filters and sockets): just the header fields the
// BPF filters look at, written independently of src/wire so the two can check each other.
// Checksums are left zero: neither BPF nor a packet socket looks at them.
import { ipv4ToBytes, ipv6ToBytes, macToBytes } from '../../src/wire/address';

const mac = (text: string): Buffer => must(macToBytes(text), text);
const ip4 = (text: string): Buffer => must(ipv4ToBytes(text), text);
const ip6 = (text: string): Buffer => must(ipv6ToBytes(text), text);

function must(value: Buffer | undefined, text: string): Buffer {
  if (!value) throw new Error(`link-frames: bad address ${text}`);
  return value;
}

export function ethernetFrame(dst: string, src: string, etherType: number, payload: Uint8Array): Buffer {
  const header = Buffer.alloc(14);
  mac(dst).copy(header, 0);
  mac(src).copy(header, 6);
  header.writeUInt16BE(etherType, 12);
  return Buffer.concat([header, payload]);
}

export interface ArpFields {
  readonly op?: number;
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac?: string;
  readonly targetIp: string;
  /** Ethernet destination, default broadcast. */
  readonly dst?: string;
}

export function arpFrame(f: ArpFields): Buffer {
  const body = Buffer.alloc(28);
  body.writeUInt16BE(1, 0); // Ethernet
  body.writeUInt16BE(0x0800, 2);
  body[4] = 6;
  body[5] = 4;
  body.writeUInt16BE(f.op ?? 1, 6);
  mac(f.senderMac).copy(body, 8);
  ip4(f.senderIp).copy(body, 14);
  mac(f.targetMac ?? '00:00:00:00:00:00').copy(body, 18);
  ip4(f.targetIp).copy(body, 24);
  return ethernetFrame(f.dst ?? 'ff:ff:ff:ff:ff:ff', f.senderMac, 0x0806, body);
}

export interface Ipv4Fields {
  readonly src: string;
  readonly dst: string;
  readonly protocol: number;
  /** Extra header bytes (options), a multiple of 4. */
  readonly options?: number;
  readonly fragmentOffset?: number;
}

export function ipv4Packet(f: Ipv4Fields, payload: Uint8Array): Buffer {
  const headerLength = 20 + (f.options ?? 0);
  const header = Buffer.alloc(headerLength);
  header[0] = 0x40 | (headerLength / 4);
  header.writeUInt16BE(headerLength + payload.length, 2);
  header.writeUInt16BE(f.fragmentOffset ?? 0, 6);
  header[8] = 64;
  header[9] = f.protocol;
  ip4(f.src).copy(header, 12);
  ip4(f.dst).copy(header, 16);
  return Buffer.concat([header, payload]);
}

export interface Ipv6Fields {
  readonly src: string;
  readonly dst: string;
  readonly nextHeader: number;
  readonly hopLimit?: number;
}

export function ipv6Packet(f: Ipv6Fields, payload: Uint8Array): Buffer {
  const header = Buffer.alloc(40);
  header[0] = 0x60;
  header.writeUInt16BE(payload.length, 4);
  header[6] = f.nextHeader;
  header[7] = f.hopLimit ?? 64;
  ip6(f.src).copy(header, 8);
  ip6(f.dst).copy(header, 24);
  return Buffer.concat([header, payload]);
}

export const TCP_SYN = 0x02;
export const TCP_ACK = 0x10;

export function tcpSegment(srcPort: number, dstPort: number, flags: number): Buffer {
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(srcPort, 0);
  tcp.writeUInt16BE(dstPort, 2);
  tcp[12] = 5 << 4;
  tcp[13] = flags;
  tcp.writeUInt16BE(65535, 14);
  return tcp;
}

export function udpDatagram(srcPort: number, dstPort: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(srcPort, 0);
  udp.writeUInt16BE(dstPort, 2);
  udp.writeUInt16BE(8 + payload.length, 4);
  return Buffer.concat([udp, payload]);
}

/** ICMPv6 Neighbor Solicitation (135) or Advertisement (136) for `target`, no options. */
export function ndpMessage(type: number, target: string): Buffer {
  const icmp = Buffer.alloc(24);
  icmp[0] = type;
  ip6(target).copy(icmp, 8);
  return icmp;
}

/** 33:33:ff + the last three bytes of `address` (RFC 4291 §2.7.1, RFC 2464 §7). */
export function solicitedNodeMac(address: string): string {
  const tail = ip6(address).subarray(13);
  return `33:33:ff:${[...tail].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
}

/** ff02::1:ffXX:XXXX for `address`. */
export function solicitedNodeAddress(address: string): string {
  const tail = ip6(address).subarray(13);
  return `ff02::1:ff${tail[0].toString(16).padStart(2, '0')}:${tail.readUInt16BE(1).toString(16)}`;
}
