// Row: connect() to a sleeping host that wakes W ms after the magic packet. The real sleeper runs
// the waking-sleeper agent (asleep until a magic packet for it, then awake after W ms: NIC back, new
// epoch announced); the waker connects to its SSH port. The proxy keeps that first SYN and replays
// it once the owner is back, so the connect completes soon after the wake instead of at the
// kernel's first retransmission (1 s after the SYN, then 3 s). Reference: the wake itself (magic
// packet to awake, measured by the sleeper, W plus its own nft and announcement). Target: every
// connect within W + 100 ms.
import { join } from 'node:path';
import type * as Kernel from '../test/integration/agents/kernel-agent';
import type * as WakingSleeper from '../test/integration/agents/waking-sleeper-agent';
import type { Line } from '../test/support/sleep-proxy-process';
import { cliProxy, proxyLan, registerAndSleep } from './proxy-lan';
import { ratioRow, type BenchRow } from './row';
import { summarize } from './stats';

const W = 300;
const SLACK_MS = 100;
const SSH = 22;
const WAKING_SLEEPER = join(__dirname, '..', 'test', 'integration', 'agents', 'waking-sleeper-agent.js');
const KERNEL = join(__dirname, '..', 'test', 'integration', 'agents', 'kernel-agent.js');

export async function benchWakeConnect(trials: number): Promise<BenchRow[]> {
  const rounds = Math.min(8, Math.max(3, Math.ceil(trials / 40)));
  const stage = await proxyLan(cliProxy);
  try {
    const { proxy, proxyHost, sleeper, waker } = stage;
    const host = await sleeper.runNode<typeof WakingSleeper>(WAKING_SLEEPER);
    const tcp = await waker.runNode<typeof Kernel>(KERNEL);
    await host.call('listen', SSH);
    const connects: number[] = [];
    const wakes: number[] = [];
    const excess: number[] = [];
    // the proxy's lines from `from` on (each round's events, not an earlier round's)
    const after = (from: number, event: string, extra: (l: Line) => boolean = () => true) =>
      proxy.next((l) => l.event === event && proxy.lines.indexOf(l) >= from && extra(l), 20_000, event);
    for (let round = 1; round <= rounds; round++) {
      if (round > 1) {
        // awake again: a new registration (next epoch), asleep, held by the proxy once more
        const from = proxy.lines.length;
        await registerAndSleep(sleeper, proxyHost, [], round);
        await after(from, 'takeover', (l) => l.address === sleeper.ipv4);
      }
      const from = proxy.lines.length;
      const woke = host.next('woke', 10_000);
      const owner = { hostMac: sleeper.mac, wakeMac: sleeper.mac, seq: round + 1, afterMs: W };
      await host.call('sleepUntilMagicPacket', owner);
      const result = await tcp.call('connect', sleeper.ipv4, SSH, 5000);
      const [magicAt, awakeAt] = (await woke) as [number, number];
      if (result.outcome !== 'connected') throw new Error(`connect: ${result.outcome} after ${result.ms} ms`);
      connects.push(result.ms);
      wakes.push(awakeAt - magicAt);
      excess.push(result.ms - (awakeAt - magicAt));
      await after(from, 'woke');
    }
    await Promise.all([host.close(), tcp.close()]);
    const late = summarize(excess);
    return [
      ratioRow(
        {
          name: `connect() to a sleeper that wakes ${W} ms after the magic packet`,
          unit: 'ms',
          value: summarize(connects),
          reference: { name: 'its wake (magic packet to awake)', value: summarize(wakes) },
          samples: connects.length,
          target: `each within W + ${SLACK_MS} ms`,
          note: `connect minus wake: min ${late.min} ms, median ${late.median} ms, max ${Math.max(...excess)} ms`,
        },
        () => Math.max(...excess) <= SLACK_MS,
      ),
    ];
  } finally {
    await stage.close();
  }
}
