// UDP datagrams out of the Ethernet captures in test/fixtures, for the DNS/SPS codec tests, peeled
// with the project's own frame parser. The captures were taken on veth bridge ports, where the
// sender's checksums are still offloaded (unfinished), so transport checksums are not verified.
import { parseFrame } from '../../src/wire/frame';
import { readPcap } from './pcap';

export interface UdpDatagram {
  /** 1-based frame number, as in the tshark decode beside the capture. */
  readonly frame: number;
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Buffer;
}

/** Every UDP datagram of the capture; frames that are not UDP are left out, broken ones throw. */
export function udpDatagrams(pcapPath: string): UdpDatagram[] {
  return readPcap(pcapPath).records.flatMap((r) => {
    const frame = parseFrame(r.data, { verifyTransportChecksums: false });
    if (!frame.ok) throw new Error(`${pcapPath} frame ${r.frame}: ${frame.error.message}`);
    if (frame.value.kind !== 'udp') return [];
    const { ip, udp } = frame.value;
    return [
      {
        frame: r.frame,
        src: ip.src,
        dst: ip.dst,
        srcPort: udp.srcPort,
        dstPort: udp.dstPort,
        payload: udp.payload,
      },
    ];
  });
}
