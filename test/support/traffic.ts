// Traffic for the wake-trigger tests, sent from inside a LAN host by test/support/traffic-tool.py
// (Debian's /usr/bin/python3 with python3-scapy): kernel UDP datagrams, and the frames a socket cannot
// send (a TCP segment without SYN, a Neighbor Advertisement, an unsolicited mDNS response).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { LanHost } from './lan';
import { repoRoot } from './paths';
import { PYTHON } from './zeroconf';

const TOOL = join(repoRoot, 'test', 'support', 'traffic-tool.py');

/** Why the traffic tool cannot run here (Debian: apt-get install python3-scapy), or undefined. */
export function scapyUnavailableReason(): string | undefined {
  try {
    execFileSync(PYTHON, ['-c', 'import scapy.all'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'python3-scapy not installed (apt-get install python3-scapy)';
  }
}

async function run(host: LanHost, args: readonly string[]): Promise<void> {
  const r = await host.exec(PYTHON, [TOOL, ...args]);
  if (r.code !== 0) throw new Error(`traffic-tool ${args[0]} in ${host.name}: ${r.stderr.trim()}`);
}

/** One UDP datagram through the kernel of `from` (routing and ARP as any application). */
export const sendUdp = (from: LanHost, dst: string, port: number, payload: Buffer) =>
  run(from, ['udp', dst, String(port), payload.toString('hex')]);

/** One TCP segment with scapy flags (e.g. 'PA'), in an Ethernet frame to `dstMac`. */
export const sendTcp = (
  from: LanHost,
  dstMac: string,
  dst: string,
  port: number,
  flags: string,
  payload: Buffer,
) => run(from, ['tcp', from.ifname, dstMac, dst, String(port), flags, payload.toString('hex')]);

/** `from`'s MAC speaks with `address` as its own: an unsolicited NA for it, or an NS from it. */
export const claimIpv6 = (from: LanHost, address: string, how: 'na' | 'ns') =>
  run(from, ['claim', from.ifname, address, how]);

/** `count` unsolicited mDNS responses, 1 s apart, with one record (`type` as scapy names it: 'A'...). */
export const answerMdns = (from: LanHost, name: string, type: string, rdata: string, count: number) =>
  run(from, ['mdns', from.ifname, name, type, rdata, String(count)]);
