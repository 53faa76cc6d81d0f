// The "sleep proxy" flow node: the shared proxy of its config node (one engine per interface) seen from
// a flow. Output: one message per engine event (msg.topic = event type, msg.payload = the sleeper with
// its interface, plus reason / via / address where the event has one), optionally only some event
// types. Input: commands in msg.topic or msg.payload.command: wake / release (msg.payload.target or a
// string payload; on every interface holding it, or msg.payload.interface), list (every interface), and
// sleep (a host without a Bonjour client described in msg.payload, proxied like a registration: issue 7,
// on msg.payload.interface or the interface whose subnet holds it). A command that cannot be carried out
// ends in done(err), so a Catch node sees it. Status: green "n sleeping" (summed over interfaces, with
// their count when several), yellow while a sleeper is being woken or while one interface failed (which,
// and why), red with the reason when the proxy cannot run on any or cannot store registrations (it
// then leaves them unanswered).
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import type { ProxyEventType } from '../src/core/events';
import { describeHost } from '../src/core/manual-registration';
import type { ProxyGroup, SleepProxyConfigNode } from './sleep-proxy-group';
import { eventMessage, type ProxyEventMessage, type SharedState } from './sleep-proxy-shared';

interface SleepProxyDef extends NodeDef {
  proxy: string;
  /** Event types to pass on; empty or missing passes all. */
  events?: ProxyEventType[] | string;
}

type CommandMessage = NodeMessageInFlow & { target?: unknown };

const COMMANDS = ['wake', 'release', 'list', 'sleep'] as const;
type Command = (typeof COMMANDS)[number];

function commandOf(msg: CommandMessage): { command?: string; target?: string; ifname?: string } {
  const payload = msg.payload as
    { command?: unknown; target?: unknown; interface?: unknown } | string | undefined;
  const fromPayload = typeof payload === 'object' && payload !== null ? payload : {};
  const command =
    typeof fromPayload.command === 'string'
      ? fromPayload.command
      : typeof msg.topic === 'string'
        ? msg.topic
        : undefined;
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  const target = text(fromPayload.target) ?? text(msg.target) ?? text(payload);
  return { command: command?.trim().toLowerCase(), target, ifname: text(fromPayload.interface) };
}

export = function register(RED: NodeAPI): void {
  function SleepProxyNode(this: Node, def: SleepProxyDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = RED.nodes.getNode(def.proxy) as SleepProxyConfigNode | null;
    const wanted = new Set(
      (Array.isArray(def.events) ? def.events : (def.events ?? '').split(','))
        .map((e) => e.trim())
        .filter((e) => e !== ''),
    );
    const proxy: ProxyGroup | undefined = config?.proxy;
    if (!proxy) {
      node.status({ fill: 'red', shape: 'ring', text: 'no proxy configured' });
      node.on('input', (_msg, _send, done) => done(new Error('sleep proxy: no proxy configured')));
      return;
    }

    const showStatus = (state: SharedState = proxy.state) => {
      if (state.kind === 'failed') node.status({ fill: 'red', shape: 'ring', text: state.reason });
      else if (state.kind === 'starting') node.status({ fill: 'grey', shape: 'ring', text: 'starting' });
      else if (state.kind === 'closed') node.status({});
      else if (state.problem) node.status({ fill: 'red', shape: 'dot', text: state.problem });
      else {
        const sleepers = proxy.list();
        const waking = sleepers.filter((s) => s.state === 'waking').length;
        const sleeping = sleepers.filter((s) => s.state === 'probing' || s.state === 'proxied').length;
        const count = proxy.members.length > 1 ? `, ${proxy.members.length} interfaces` : '';
        const text = `${waking > 0 ? `waking ${waking}, ` : ''}${sleeping} sleeping${count}`;
        const failed = proxy.failures().map((f) => `${f.ifname}: ${f.reason}`);
        node.status(
          failed.length > 0
            ? { fill: 'yellow', shape: 'ring', text: `${text}; ${failed.join('; ')}` }
            : { fill: waking > 0 ? 'yellow' : 'green', shape: 'dot', text },
        );
      }
    };
    const onEvent = (event: ProxyEventMessage) => {
      showStatus();
      if (wanted.size === 0 || wanted.has(event.type)) node.send(eventMessage(event));
    };
    proxy.on('state', showStatus);
    proxy.on('event', onEvent);
    showStatus();

    function handle(msg: CommandMessage, send: (m: NodeMessageInFlow) => void): void {
      const { command, target, ifname } = commandOf(msg);
      if (!COMMANDS.includes(command as Command))
        throw new Error(`sleep proxy: unknown command "${command ?? ''}" (wake, release, list or sleep)`);
      if (command === 'sleep') {
        const host = describeHost(msg.payload);
        if (!host.ok) throw new Error(`sleep proxy: sleep: ${host.error}`);
        const outcome = proxy!.sleep(host.value, ifname);
        if (!outcome.accepted)
          throw new Error(`sleep proxy: sleep: ${host.value.name} refused (${outcome.reason ?? 'unknown'})`);
        showStatus();
        return;
      }
      if (command === 'list') {
        proxy!.ensureRunning();
        send({ ...msg, topic: 'list', payload: proxy!.list() });
        return;
      }
      if (!target)
        throw new Error(`sleep proxy: ${command} needs a target (msg.payload.target or a string payload)`);
      const sleepers = command === 'wake' ? proxy!.wake(target, ifname) : proxy!.release(target, ifname);
      if (sleepers.length === 0)
        throw new Error(`sleep proxy: no sleeper ${target} on ${ifname ?? proxy!.ifnames.join(', ')}`);
      showStatus();
    }

    node.on('input', (msg: CommandMessage, send, done) => {
      try {
        handle(msg, send);
        done();
      } catch (error) {
        done(error as Error);
      }
    });
    node.on('close', (_removed: boolean, done: () => void) => {
      proxy.off('state', showStatus);
      proxy.off('event', onEvent);
      node.status({});
      done();
    });
  }

  RED.nodes.registerType('sleep proxy', SleepProxyNode);
};
