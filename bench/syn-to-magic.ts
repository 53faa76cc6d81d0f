// Row: first SYN -> first magic packet on the wire. Each trial (up to 150) wakes a different virtual sleeper
// (one registration each, taken over at once), so every SYN is a first SYN: the waker connects to
// its SSH port, and one tcpdump on the proxy's bridge port times the SYN going to the proxy and the
// magic packet coming from it. No reference: the target is absolute (p99 <= 2 ms).
import { capture } from '../test/support/lan';
import { parsePcap } from '../test/support/pcap';
import { cliProxy, proxyLan } from './proxy-lan';
import type { BenchRow } from './row';
import { summarize } from './stats';
import { ipv4At, pairLatencies, type FrameClass } from './wire-pairs';

export async function benchSynToMagic(trials: number): Promise<BenchRow[]> {
  // up to 150 (the virtual sleepers' addresses end at 10.77.0.250), so that p99 is not just the max
  const count = Math.min(150, Math.max(10, Math.ceil((trials * 3) / 4)));
  const stage = await proxyLan(cliProxy, count);
  try {
    const { lan, proxyHost, waker, virtual } = stage;
    const byMac = new Map(virtual.map((v) => [v.mac.replace(/:/g, ''), v.ipv4]));
    const classify = (frame: Buffer): FrameClass | undefined => {
      const type = frame.readUInt16BE(12);
      if (type === 0x0842) {
        const ip = byMac.get(frame.subarray(20, 26).toString('hex'));
        return ip ? { kind: 'reply', key: ip } : undefined;
      }
      if (type !== 0x0800 || frame[23] !== 6) return undefined;
      const tcp = 14 + (frame[14] & 0x0f) * 4;
      const syn = (frame[tcp + 13] & 0x12) === 0x02;
      return syn ? { kind: 'request', key: ipv4At(frame, 30) } : undefined;
    };
    const cap = await capture(lan.bridge, '(tcp[tcpflags] & tcp-syn != 0) or ether proto 0x0842', {
      iface: lan.bridge.portOf(proxyHost),
    });
    for (const v of virtual) {
      // the first SYN is all a trial needs; its retransmission would come after 1 s
      await waker.exec('timeout', ['0.15', 'bash', '-c', `exec 3<>/dev/tcp/${v.ipv4}/22`]);
    }
    await new Promise((r) => setTimeout(r, 200));
    const { latenciesMs, unanswered } = pairLatencies(parsePcap(await cap.stop()).records, classify);
    if (latenciesMs.length === 0) throw new Error('no magic packets captured');
    const value = summarize(latenciesMs);
    return [
      {
        name: 'first SYN -> first magic packet',
        unit: 'ms',
        value,
        samples: latenciesMs.length,
        target: 'p99 <= 2 ms',
        met: value.p99 <= 2 && unanswered === 0,
        ...(unanswered ? { note: `${unanswered} SYNs without a magic packet` } : {}),
      },
    ];
  } finally {
    await stage.close();
  }
}
