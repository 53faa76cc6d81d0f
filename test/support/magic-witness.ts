// The magic packets a capture saw for one target: EtherType 0x0842 frames (Apple's, §5.2) and the UDP
// port-9 broadcast copy for non-Apple NICs, with the capture time in ms. Capture with MAGIC_FILTER.
import { parseFrame } from '../../src/wire/frame';
import { parsePcap } from './pcap';

export const MAGIC_FILTER = 'ether proto 0x0842 or udp dst port 9';

export interface MagicSeen {
  /** Capture time, ms. */
  readonly at: number;
  readonly dst: string;
  readonly via: 'ethertype' | 'udp';
}

export function magicPacketsFor(pcap: Buffer, target: string): MagicSeen[] {
  return parsePcap(pcap).records.flatMap((r): MagicSeen[] => {
    const f = parseFrame(r.data, { verifyTransportChecksums: false });
    if (!f.ok) return [];
    const at = r.time * 1000;
    const { dst } = f.value.eth;
    if (f.value.kind === 'wol') return f.value.wol.target === target ? [{ at, dst, via: 'ethertype' }] : [];
    if (f.value.kind !== 'udp') return [];
    return f.value.wol?.target === target ? [{ at, dst, via: 'udp' }] : [];
  });
}
