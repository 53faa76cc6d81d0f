// Row: mDNS answer latency for a proxied unique record (the sleeping sleeper's A and SRV) against
// avahi-daemon answering for its own A and SRV, both on the proxy host (avahi without D-Bus, as in
// test/support/lan/avahi.ts). The waker multicasts one-question queries from port 5353; one tcpdump
// on its bridge port times each query and the first response naming the record. A record is asked
// for at most every 1.2 s, so neither responder's once-per-second multicast limit holds an answer back.
import { join } from 'node:path';
import { DnsClass, encodeDnsMessage, parseDnsMessage } from '../src/wire/dns';
import { DnsType } from '../src/wire/dns-rdata';
import type * as Client from '../test/integration/agents/sps-client-agent';
import { capture } from '../test/support/lan';
import { AvahiDaemon, avahiUnavailableReason } from '../test/support/lan/avahi';
import { parsePcap } from '../test/support/pcap';
import type { SleepProxyProcess } from '../test/support/sleep-proxy-process';
import { AGENTS, cliProxy, proxyLan, type ProxyStarter } from './proxy-lan';
import { ratioRow, type BenchRow } from './row';
import { summarize } from './stats';
import { pairLatencies, type FrameClass } from './wire-pairs';

const AVAHI_HOST = 'benchbox';
const AVAHI_SERVICE = { name: 'Bench Web', type: '_http._tcp', port: 8080 };
const ROUND_MS = 600;

interface WithAvahi {
  readonly proxy: SleepProxyProcess;
  readonly avahi: AvahiDaemon;
}

// avahi first, as on a Raspberry Pi where it is already running when Node-RED starts
const withAvahi: ProxyStarter<WithAvahi> = {
  async start(host, stateDir) {
    const avahi = await AvahiDaemon.start(host, { hostName: AVAHI_HOST, services: [AVAHI_SERVICE] });
    try {
      return { avahi, proxy: await cliProxy.start(host, stateDir) };
    } catch (error) {
      await avahi.stop();
      throw error;
    }
  },
  takeover: (both, address, timeoutMs) => cliProxy.takeover(both.proxy, address, timeoutMs),
  stop: (both) => both.proxy.stop(),
};

const query = (name: string, type: number) =>
  encodeDnsMessage({
    id: 0,
    flags: 0,
    questions: [{ name, type, class: DnsClass.IN }],
    answers: [],
    authorities: [],
    additionals: [],
  });

/** Queries keyed by their question, responses by their first answer (both "name/type", lowercase). */
function mdnsClass(frame: Buffer): FrameClass | undefined {
  if (frame.length < 42 || frame.readUInt16BE(12) !== 0x0800 || frame[23] !== 17) return undefined;
  const udp = 14 + (frame[14] & 0x0f) * 4;
  const m = parseDnsMessage(frame, udp + 8);
  if (!m.ok) return undefined;
  const response = (m.value.flags & 0x8000) !== 0;
  const first = response ? m.value.answers[0] : m.value.questions[0];
  if (!first) return undefined;
  return { kind: response ? 'reply' : 'request', key: `${first.name.toLowerCase()}/${first.type}` };
}

export async function benchMdnsLatency(trials: number): Promise<BenchRow[]> {
  const unavailable = avahiUnavailableReason();
  if (unavailable) throw new Error(unavailable);
  const stage = await proxyLan(withAvahi);
  try {
    const { lan, waker } = stage;
    const client = await waker.runNode<typeof Client>(join(AGENTS, 'sps-client-agent.js'));
    const proxied = [query('sleeper.local', DnsType.A), query('sleeper ssh._ssh._tcp.local', DnsType.SRV)];
    const own = [
      query(`${AVAHI_HOST}.local`, DnsType.A),
      query(`${AVAHI_SERVICE.name}.${AVAHI_SERVICE.type}.local`, DnsType.SRV),
    ];
    const rounds = Math.min(40, Math.max(10, Math.ceil(trials / 5)));
    const cap = await capture(lan.bridge, 'udp port 5353', { iface: lan.bridge.portOf(waker) });
    for (let r = 0; r < rounds; r++) {
      // alternate which responder is asked first, so neither always gets the quieter moment
      const pair = r % 4 < 2 ? [proxied[r % 2], own[r % 2]] : [own[r % 2], proxied[r % 2]];
      for (const q of pair) {
        await client.call('sendMdns', q, waker.ipv4);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await new Promise((resolve) => setTimeout(resolve, ROUND_MS - 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    await client.close();
    const records = parsePcap(await cap.stop()).records;
    const isProxied = (key: string) => key.startsWith('sleeper');
    const wakerMac = Buffer.from(waker.mac.replace(/:/g, ''), 'hex');
    // queries only the waker's (not avahi's or the proxy's own probes); responses multicast, from anyone
    const split = (want: boolean) =>
      pairLatencies(records, (f) => {
        const c = mdnsClass(f);
        if (!c || isProxied(c.key) !== want) return undefined;
        return c.kind === 'reply' || f.subarray(6, 12).equals(wakerMac) ? c : undefined;
      });
    const ours = split(true);
    const avahi = split(false);
    if (ours.latenciesMs.length === 0 || avahi.latenciesMs.length === 0) {
      throw new Error(
        `mDNS: answers captured: proxy ${ours.latenciesMs.length}, avahi ${avahi.latenciesMs.length}`,
      );
    }
    const missing = [
      ours.unanswered && `proxy left ${ours.unanswered}`,
      avahi.unanswered && `avahi left ${avahi.unanswered}`,
    ];
    const note = missing.filter(Boolean).join(', ');
    return [
      ratioRow(
        {
          name: 'mDNS answer latency, proxied A/SRV',
          unit: 'ms',
          value: summarize(ours.latenciesMs),
          reference: { name: 'avahi-daemon, its own A/SRV', value: summarize(avahi.latenciesMs) },
          samples: ours.latenciesMs.length,
          target: 'p50 ratio <= 1.0',
          ...(note ? { note: `${note} queries unanswered` } : {}),
        },
        (ratio) => ratio.median <= 1,
      ),
    ];
  } finally {
    await stage.proxy.avahi.stop();
    await stage.close();
  }
}
