// The editor's view of the running sleep proxies: admin endpoints under /sleep-proxy/ behind the
// editor's own permission checks (RED.auth.needsPermission: 'sleep-proxy.read' to look,
// 'sleep-proxy.write' to wake), and a comms topic that pushes the whole picture on every change.
//   GET  /sleep-proxy/interfaces  -> [{ name, mac, addresses, internal }]  (the config node's picker)
//   GET  /sleep-proxy/sleepers    -> SleepersSnapshot (one entry per config node and interface)
//   POST /sleep-proxy/wake {target, proxy?, interface?} -> { proxy, sleeper } | 404 { error }
//   comms 'sleep-proxy/sleepers' (retained) -> SleepersSnapshot; 'sleep-proxy/event' -> ProxyEventMessage
import { networkInterfaces } from 'node:os';
import type { NodeAPI } from 'node-red';
import { type ProxyGroup, runningProxies } from './sleep-proxy-group';
import type { SharedState, SleeperRow } from './sleep-proxy-shared';

export const SLEEPERS_TOPIC = 'sleep-proxy/sleepers';
export const EVENT_TOPIC = 'sleep-proxy/event';

/** One interface of one config node. */
export interface ProxySnapshot {
  /** The config node. */
  readonly id: string;
  readonly label: string;
  readonly interface: string;
  readonly state: SharedState['kind'];
  readonly reason?: string;
  readonly sleepers: readonly SleeperRow[];
}

export interface SleepersSnapshot {
  /** The server's clock when taken (ms): lease ends are on this clock. */
  readonly now: number;
  readonly proxies: readonly ProxySnapshot[];
}

export interface InterfaceChoice {
  readonly name: string;
  readonly mac: string;
  readonly addresses: readonly string[];
  readonly internal: boolean;
}

export function sleepersSnapshot(): SleepersSnapshot {
  const proxies = [...runningProxies.values()].flatMap((group) =>
    group.members.map((p) => {
      const state = p.state;
      return {
        id: group.id,
        label: group.label,
        interface: p.ifname,
        state: state.kind,
        ...(state.kind === 'failed' ? { reason: state.reason } : {}),
        sleepers: p.list(),
      };
    }),
  );
  return { now: Date.now(), proxies };
}

export function interfaceChoices(): InterfaceChoice[] {
  return Object.entries(networkInterfaces()).map(([name, addrs = []]) => ({
    name,
    mac: addrs[0]?.mac ?? '',
    addresses: addrs.map((a) => a.address),
    internal: addrs.every((a) => a.internal),
  }));
}

interface Request {
  body?: { target?: unknown; proxy?: unknown; interface?: unknown };
}
interface Response {
  json(body: unknown): void;
  status(code: number): Response;
}

function wakeHandler(req: Request, res: Response): void {
  const target = typeof req.body?.target === 'string' ? req.body.target.trim() : '';
  const wanted = typeof req.body?.proxy === 'string' ? req.body.proxy : undefined;
  const ifname = typeof req.body?.interface === 'string' ? req.body.interface : undefined;
  if (!target) {
    res.status(400).json({ error: 'target (a sleeper name, MAC or address) is required' });
    return;
  }
  for (const group of runningProxies.values()) {
    if (wanted && group.id !== wanted) continue;
    for (const member of group.members) {
      if ((ifname && member.ifname !== ifname) || member.state.kind !== 'running') continue;
      const sleeper = member.wake(target);
      if (sleeper) {
        res.json({ proxy: group.id, sleeper });
        return;
      }
    }
  }
  res.status(404).json({ error: `no sleeper ${target}` });
}

const routed = new WeakSet<object>();

/** Adds the routes to this runtime's admin app (once per app: the test helper makes a new one per load). */
export function registerAdminRoutes(RED: NodeAPI): void {
  if (routed.has(RED.httpAdmin)) return;
  routed.add(RED.httpAdmin);
  const read = RED.auth.needsPermission('sleep-proxy.read');
  const write = RED.auth.needsPermission('sleep-proxy.write');
  RED.httpAdmin.get('/sleep-proxy/interfaces', read, (_req, res) => {
    res.json(interfaceChoices());
  });
  RED.httpAdmin.get('/sleep-proxy/sleepers', read, (_req, res) => {
    res.json(sleepersSnapshot());
  });
  RED.httpAdmin.post('/sleep-proxy/wake', write, (req, res) => wakeHandler(req, res));
}

/** Pushes the snapshot (retained, so an editor opened later gets it) and each event to the editor. */
export function publishChanges(RED: NodeAPI, proxy: ProxyGroup): void {
  const publish = () => RED.comms.publish(SLEEPERS_TOPIC, sleepersSnapshot(), true);
  proxy.on('state', publish);
  proxy.on('event', (event) => {
    RED.comms.publish(EVENT_TOPIC, event, false);
    publish();
  });
  publish();
}
