// Row: 1,000 sleepers with 10 records each (an IPv4, a ULA, two services: reverse PTRs, A, AAAA, SRV,
// TXT and PTR per service). The proxy runs as a bench agent (to read its RSS), with its caps raised
// from Apple's 250 addresses; the waker registers the sleepers, 32 outstanding, and the proxy takes
// every address over. Reference: the service's RSS before (idle, holding the real sleeper). Then
// every proxied IPv4 is asked for once by ARP (from the waker's link socket, 1,000/s, one tcpdump on
// its bridge port counting the replies) and a sample of the IPv6 addresses by ndisc6. Targets: RSS
// growth <= 50 MB and every address answered.
import { join } from 'node:path';
import { capture } from '../test/support/lan';
import { parsePcap } from '../test/support/pcap';
import { agentProxy } from './agent-proxy';
import type * as Flooder from './agents/arp-flood-agent';
import type * as Load from './agents/registration-load-agent';
import { PORT, proxyLan, registrationWithIpv6 } from './proxy-lan';
import { ratioRow, single, type BenchRow } from './row';

const COUNT = 1000;
const LIMITS = { maxAddresses: 4 * COUNT, maxRecords: 20 * COUNT, maxHosts: 2 * COUNT };
const GROWTH_TARGET_MB = 50;
const NDP_SAMPLE = 20;
const LOAD = join(__dirname, 'agents', 'registration-load-agent.js');
const FLOODER = join(__dirname, 'agents', 'arp-flood-agent.js');
const MB = 1024 * 1024;

const mb = (bytes: number) => (bytes / MB).toFixed(1);
const hex2 = (n: number) => n.toString(16).padStart(2, '0');

function sleeper(i: number) {
  return {
    host: `many${i}`,
    ipv4: `10.77.${1 + (i >> 8)}.${i & 255}`,
    ipv6: `fd77::1:${i.toString(16)}`,
    mac: `02:77:01:00:${hex2(i >> 8)}:${hex2(i & 255)}`,
    id: 0x1000 + i,
    services: [
      { instance: `many${i} ssh`, type: '_ssh._tcp', port: 22 },
      { instance: `many${i} files`, type: '_smb._tcp', port: 445 },
    ],
  };
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function benchManySleepers(): Promise<BenchRow[]> {
  const stage = await proxyLan(agentProxy(LIMITS));
  try {
    const { lan, proxy, proxyHost, waker } = stage;
    await settle(1000);
    const idle = await proxy.call('sample');
    const sleepers = Array.from({ length: COUNT }, (_, i) => sleeper(i));
    const load = await waker.runNode<typeof Load>(LOAD);
    const payloads = sleepers.map(({ ipv6, ...spec }) => registrationWithIpv6(spec, ipv6));
    const registered = await load.call('each', proxyHost.ipv4, PORT, payloads, 32, 120_000);
    await load.close();
    if (registered.answered !== COUNT)
      throw new Error(`${registered.answered}/${COUNT} registrations answered`);
    const heldFrom = Date.now();
    await proxy.call(
      'takeovers',
      sleepers.flatMap((s) => [s.ipv4, s.ipv6]),
      120_000,
    );
    const heldMs = Date.now() - heldFrom;
    await settle(2000);
    const busy = await proxy.call('sample');
    const growth = (busy.rss - idle.rss) / MB;

    // every IPv4 asked for once; a reply is one from the proxy's MAC naming the address as sender
    const cap = await capture(lan.bridge, 'arp', { iface: lan.bridge.portOf(waker) });
    const flooder = await waker.runNode<typeof Flooder>(FLOODER);
    const ipv4 = sleepers.map((s) => s.ipv4);
    await flooder.call('flood', 'eth0', waker.mac, waker.ipv4, ipv4, 1000, 1000);
    await flooder.close();
    await settle(500);
    const proxyMac = Buffer.from(proxyHost.mac.replace(/:/g, ''), 'hex');
    const answered = new Set<string>();
    for (const { data } of parsePcap(await cap.stop()).records) {
      if (data.length < 42 || data.readUInt16BE(12) !== 0x0806 || data.readUInt16BE(20) !== 2) continue;
      if (data.subarray(22, 28).equals(proxyMac)) answered.add([...data.subarray(28, 32)].join('.'));
    }
    const unanswered4: string[] = [];
    for (const address of ipv4.filter((a) => !answered.has(a))) {
      // asked again by arping: one request of the 1,000 may be lost on the way
      const r = await waker.exec('arping', ['-c', '2', '-w', '2', '-I', 'eth0', address]);
      if (!r.stdout.toLowerCase().includes(proxyHost.mac)) unanswered4.push(address);
    }
    const retried = ipv4.length - answered.size;
    const sample = sleepers.filter((_, i) => i % (COUNT / NDP_SAMPLE) === 7).map((s) => s.ipv6);
    const unanswered6: string[] = [];
    for (const address of sample) {
      const r = await waker.exec('ndisc6', ['-1', '-r', '3', '-w', '500', address, 'eth0']);
      if (!r.stdout.toLowerCase().includes(proxyHost.mac)) unanswered6.push(address);
    }
    const setup =
      `${retried ? `${retried} ARP requests of the flood unanswered, asked again by arping; ` : ''}` +
      `${COUNT} registrations answered in ${(registered.elapsedMs / 1000).toFixed(1)} s, ` +
      `all ${2 * COUNT} addresses held ${(heldMs / 1000).toFixed(1)} s later; ` +
      `after a full GC: RSS ${mb(idle.rss)} -> ${mb(busy.rss)} MB, ` +
      `V8 heap in use ${mb(idle.heapUsed)} -> ${mb(busy.heapUsed)} MB (reserved ${mb(idle.heapTotal)} -> ` +
      `${mb(busy.heapTotal)} MB), outside it ${mb(idle.external)} -> ${mb(busy.external)} MB`;
    const missing = [...unanswered4, ...unanswered6];
    return [
      ratioRow(
        {
          name: `${COUNT} sleepers with 10 records each: RSS growth`,
          unit: 'MB',
          value: single(growth),
          reference: { name: 'the service idle (RSS)', value: single(idle.rss / MB) },
          samples: 1,
          target: `growth <= ${GROWTH_TARGET_MB} MB`,
          note: setup,
        },
        () => growth <= GROWTH_TARGET_MB,
      ),
      {
        name: `${COUNT} sleepers: proxied addresses answered`,
        unit: 'addresses',
        value: single(COUNT - unanswered4.length + sample.length - unanswered6.length),
        samples: COUNT + sample.length,
        target: `all (${COUNT} IPv4 by ARP, ${sample.length} IPv6 by NDP)`,
        met: missing.length === 0,
        ...(missing.length ? { note: `unanswered: ${missing.slice(0, 10).join(', ')}` } : {}),
      },
    ];
  } finally {
    await stage.close();
  }
}
