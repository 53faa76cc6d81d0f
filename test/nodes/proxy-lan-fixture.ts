// The test LAN the issue-7 node tests share: proxy (.2, running Node-RED with the sleep proxy nodes via
// the node agent), nas (.10, the host to proxy) and waker (.20); a flow with one config node (given
// settings), one `sleep proxy` node wired to a helper `out`, and a Catch node wired to `caught`. Plus the
// waker's witnesses: arping's answering MACs, a TCP connect, and the magic packets a capture saw.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFrame } from '../../src/wire/frame';
import { parseMagicPacket } from '../../src/wire/wol';
import { TestLan, type LanHost, type NodeChild } from '../support/lan';
import { parsePcap } from '../support/pcap';
import type * as NodeRed from './agents/sleep-proxy-node-agent';

const AGENT = join(__dirname, 'agents', 'sleep-proxy-node-agent.js');
export const NAS_MAC = '02:53:50:00:00:0a';
export const REGISTRATION_PORT = 5354;

export interface Msg {
  topic: string;
  payload: Record<string, unknown>;
  error?: { message: string };
}

export interface Status {
  fill?: string;
  shape?: string;
  text?: string;
}

/** The next status of node `id` (default the flow's `sp`) that `pred` accepts. */
export async function nextStatus(
  red: NodeChild<typeof NodeRed>,
  pred: (s: Status) => boolean,
  timeoutMs = 8000,
  id = 'sp',
): Promise<Status> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [from, status] = (await red.next('status', Math.max(1, deadline - Date.now()))) as [string, Status];
    if (from === id && pred(status)) return status;
  }
}

export function proxyFlow(config: Record<string, unknown>): Record<string, unknown>[] {
  return [
    { id: 'f1', type: 'tab' },
    { id: 'cfg', type: 'sleep-proxy-config', port: String(REGISTRATION_PORT), ...config },
    { id: 'sp', z: 'f1', type: 'sleep proxy', proxy: 'cfg', wires: [['out']] },
    { id: 'out', z: 'f1', type: 'helper' },
    { id: 'catcher', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'helper' },
  ];
}

export class ProxyLan {
  private constructor(
    readonly lan: TestLan,
    readonly red: NodeChild<typeof NodeRed>,
    readonly stateDir: string,
  ) {}

  /** The LAN with the flow loaded (`config(nas, stateDir)` gives the config node's settings) and green. */
  static async start(config: (nas: LanHost, stateDir: string) => Record<string, unknown>): Promise<ProxyLan> {
    const stateDir = mkdtempSync(join(tmpdir(), 'sps-proxy-lan-'));
    const lan = await TestLan.create({
      hosts: ['proxy:2', { name: 'nas', n: 10, mac: NAS_MAC }, 'waker:20'],
    });
    try {
      const red = await lan.host('proxy').runNode<typeof NodeRed>(AGENT);
      const it = new ProxyLan(lan, red, stateDir);
      await red.call('load', proxyFlow({ interface: 'eth0', stateDir, ...config(it.nas, stateDir) }));
      for (;;) {
        const [from, status] = (await red.next('status', 8000)) as [string, { fill?: string }];
        if (from === 'sp' && status.fill === 'green') return it;
      }
    } catch (error) {
      await lan.destroy();
      rmSync(stateDir, { recursive: true, force: true });
      throw error;
    }
  }

  get nas(): LanHost {
    return this.lan.host('nas');
  }

  get waker(): LanHost {
    return this.lan.host('waker');
  }

  get proxyMac(): string {
    return this.lan.host('proxy').mac;
  }

  nextMessage(topic: string, timeoutMs = 8000, id = 'out'): Promise<Msg> {
    return nextFromNode<Msg>(this.red, 'message', id, (m) => m.topic === topic, timeoutMs);
  }

  /** Every message of `out` within `ms`. */
  async messagesFor(ms: number): Promise<Msg[]> {
    const out: Msg[] = [];
    const deadline = Date.now() + ms;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return out;
      const next = await this.red.next('message', left).catch(() => undefined);
      if (!next) return out;
      const [from, msg] = next as [string, Msg];
      if (from === 'out') out.push(msg);
    }
  }

  /** arping's output (lower case) for the nas's IPv4 from the waker: which MACs answer for it. */
  async arpingNas(): Promise<string> {
    const r = await this.waker.exec('arping', ['-c', '2', '-w', '3', '-I', 'eth0', this.nas.ipv4]);
    return r.stdout.toLowerCase();
  }

  /** A TCP connect from the waker to the nas (given up after 1.5 s). */
  async connect(port: number): Promise<void> {
    await this.waker.exec('timeout', ['1.5', 'bash', '-c', `exec 3<>/dev/tcp/${this.nas.ipv4}/${port}`]);
  }

  async close(): Promise<void> {
    await this.red.call('unload').catch(() => undefined);
    await this.red.close();
    await this.lan.destroy();
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}

/** The agent's next `event` ('message' or 'status') from node `id` that passes `pred`. */
export async function nextFromNode<T>(
  red: NodeChild<object>,
  event: 'message' | 'status',
  id: string,
  pred: (value: T) => boolean,
  timeoutMs = 8000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [from, value] = (await red.next(event, Math.max(1, deadline - Date.now()))) as [string, T];
    if (from === id && pred(value)) return value;
  }
}

/** Forgets the agent's queued events of these names, so that a wait sees only what happens next. */
export async function drainEvents(red: NodeChild<object>, names: readonly string[]): Promise<void> {
  for (const name of names)
    await (async () => {
      for (;;) await red.next(name, 1);
    })().catch(() => undefined);
}

/** Every frame of the capture is a magic packet for `target`; at least `min` of them. */
export function assertMagicPackets(pcap: Buffer, target: string, min = 2): void {
  const records = parsePcap(pcap).records;
  assert.ok(records.length >= min, `${records.length} magic packets`);
  for (const r of records) {
    const f = parseFrame(r.data);
    assert.ok(f.ok && f.value.kind === 'wol', 'a magic packet frame');
    const magic = parseMagicPacket(f.value.eth.payload);
    assert.ok(magic.ok);
    assert.equal(magic.value.target, target);
  }
}
