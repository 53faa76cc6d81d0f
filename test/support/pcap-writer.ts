// Writes classic pcap files (LINKTYPE_ETHERNET, microsecond stamps) of UDP datagrams we built, so that
// an independent decoder (tshark) can judge our encoders. Test support only.
import { writeFileSync } from 'node:fs';
import { ipv4ToBytes, ipv6ToBytes } from '../../src/wire/address';

export interface UdpFrameSpec {
  readonly srcMac?: string;
  readonly dstMac?: string;
  /** IPv4 or IPv6 text; both ends the same family. */
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Buffer;
}

function onesComplement(parts: Buffer[]): number {
  let sum = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i += 2) sum += (part[i] << 8) | (part[i + 1] ?? 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function mac(text: string | undefined, fallback: string): Buffer {
  return Buffer.from((text ?? fallback).replace(/:/g, ''), 'hex');
}

/** Ethernet II + IPv4 (TTL 64, DF) or IPv6 (hop limit 255) + UDP, checksums filled. */
export function udpFrame(spec: UdpFrameSpec): Buffer {
  const v4 = ipv4ToBytes(spec.src) && ipv4ToBytes(spec.dst);
  const src = v4 ? ipv4ToBytes(spec.src) : ipv6ToBytes(spec.src);
  const dst = v4 ? ipv4ToBytes(spec.dst) : ipv6ToBytes(spec.dst);
  if (!src || !dst) throw new Error(`bad addresses ${spec.src} -> ${spec.dst}`);
  const udp = Buffer.alloc(8 + spec.payload.length);
  udp.writeUInt16BE(spec.srcPort, 0);
  udp.writeUInt16BE(spec.dstPort, 2);
  udp.writeUInt16BE(udp.length, 4);
  spec.payload.copy(udp, 8);
  const pseudoTail = Buffer.from([0, 17, udp.length >> 8, udp.length & 0xff]);
  udp.writeUInt16BE(onesComplement([src, dst, Buffer.from([0, 0]), pseudoTail, udp]) || 0xffff, 6);
  let ip: Buffer;
  if (v4) {
    ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + udp.length, 2);
    ip.writeUInt16BE(0x4000, 6);
    ip[8] = 64;
    ip[9] = 17;
    src.copy(ip, 12);
    dst.copy(ip, 16);
    ip.writeUInt16BE(onesComplement([ip]), 10);
  } else {
    ip = Buffer.alloc(40);
    ip[0] = 0x60;
    ip.writeUInt16BE(udp.length, 4);
    ip[6] = 17;
    ip[7] = 255;
    src.copy(ip, 8);
    dst.copy(ip, 24);
  }
  const eth = Buffer.concat([
    mac(spec.dstMac, '02:53:50:00:00:0a'),
    mac(spec.srcMac, '02:53:50:00:00:14'),
    Buffer.from(v4 ? [0x08, 0x00] : [0x86, 0xdd]),
  ]);
  return Buffer.concat([eth, ip, udp]);
}

export function pcapFile(frames: readonly Buffer[], startTime = 1_800_000_000): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  const records = frames.map((frame, i) => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(startTime + i, 0);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    return Buffer.concat([rec, frame]);
  });
  return Buffer.concat([header, ...records]);
}

export function writePcap(path: string, frames: readonly Buffer[]): void {
  writeFileSync(path, pcapFile(frames));
}
