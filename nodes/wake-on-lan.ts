// The "wake on lan" node: finds the target (MAC, sleeper name, IP or host name), translates the message
// into a WakeRequest, sends it, optionally waits until the host answers, and reports the result as one
// message and a status dot. The message wins over the node's settings where it names a value.
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { LinkPermissionError } from '../src/io/link';
import { directedBroadcast, sendWake, type WakeForm } from '../src/io/wake-sender';
import { waitUntilAwake, type ProbeMethod } from '../src/io/wake-probe';
import { ipForMac } from '../src/io/neighbours';
import { isLiteralTarget, resolveWakeTarget, type WakeTarget } from '../src/io/wake-target';
import { isIpv4 } from '../src/wire/address';
import { parseSecureOnPassword } from '../src/wire/wol';
import { lookupSleeper } from '../src/service/sleeper-directory';

interface WakeOnLanDef extends NodeDef {
  /** The target: a MAC, an IP, a host name or a sleeper's name (named `mac` for older flows). */
  mac: string;
  mode: 'udp' | 'ethernet' | 'both';
  /** An address, or "directed" (the interface's subnet broadcast) or "unicast" (the target's IP). */
  address: string;
  port: string;
  interface: string;
  repeats: string;
  interval: string;
  wait?: boolean;
  probe?: ProbeMethod;
  probePort?: string;
  probeAddress?: string;
  timeout?: string;
}

interface WakeOnLanCredentials {
  password?: string;
}

type WakeMessage = NodeMessageInFlow & { target?: unknown; mac?: unknown; password?: unknown; ip?: unknown };

const FORMS: Record<WakeOnLanDef['mode'], WakeForm[]> = {
  udp: ['udp'],
  ethernet: ['ethernet'],
  both: ['udp', 'ethernet'],
};
const PROBES: readonly ProbeMethod[] = ['arp', 'tcp', 'ping'];
const PROBE_INTERVAL_MS = 1000;

function intSetting(text: string | undefined, fallback: number, min: number, max: number): number {
  const value = Number.parseInt(text ?? '', 10);
  return Number.isInteger(value) && value >= min && value <= max ? value : fallback;
}

/** The target text: msg.target, msg.mac, then msg.payload when it names a host, then the node's setting. */
function targetText(msg: WakeMessage, setting: string): string | undefined {
  const nonEmpty = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  const payload = nonEmpty(msg.payload);
  // A payload is a target if it is one for sure, or if the node has none (an inject's "go" stays harmless).
  const payloadTarget =
    payload && (isLiteralTarget(payload) || lookupSleeper(payload) || !setting) ? payload : undefined;
  return nonEmpty(msg.target) ?? nonEmpty(msg.mac) ?? payloadTarget ?? nonEmpty(setting);
}

export = function register(RED: NodeAPI): void {
  function WakeOnLanNode(this: Node<WakeOnLanCredentials>, def: WakeOnLanDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const forms = FORMS[def.mode] ?? FORMS.udp;
    const port = intSetting(def.port, 9, 1, 65535);
    const repeats = intSetting(def.repeats, 3, 1, 100);
    const intervalMs = intSetting(def.interval, 100, 0, 60000);
    const probe: ProbeMethod = PROBES.includes(def.probe as ProbeMethod)
      ? (def.probe as ProbeMethod)
      : 'ping';
    const probePort = intSetting(def.probePort, 22, 1, 65535);
    const timeoutMs = intSetting(def.timeout, 60, 1, 3600) * 1000;
    const waits = new Set<AbortController>();

    const fail = (done: (err?: Error) => void, text: string, err: Error) => {
      node.status({ fill: 'red', shape: 'ring', text });
      done(err);
    };

    async function handle(msg: WakeMessage, send: (m: NodeMessageInFlow) => void): Promise<void> {
      const text = targetText(msg, def.mac);
      if (!text)
        throw Object.assign(
          new Error('wake on lan: no target in msg.target, msg.mac, msg.payload or the node settings'),
          { status: 'no target' },
        );
      const iface = def.interface || undefined;
      let target: WakeTarget;
      try {
        target = await resolveWakeTarget(text, { interface: iface });
      } catch (err) {
        throw Object.assign(new Error(`wake on lan: ${(err as Error).message}`), {
          status: `unknown ${text}`,
        });
      }
      const passwordText = typeof msg.password === 'string' ? msg.password : node.credentials?.password;
      const password = passwordText ? parseSecureOnPassword(passwordText) : target.password;
      if (passwordText && !password)
        throw Object.assign(
          new Error('wake on lan: a SecureOn password is 4 or 6 bytes, as aa:bb:cc:dd or aa:bb:cc:dd:ee:ff'),
          { status: 'bad password' },
        );
      const probeIp =
        (typeof msg.ip === 'string' && msg.ip) ||
        def.probeAddress ||
        target.ip ||
        (def.wait ? await ipForMac(target.mac, iface) : undefined);
      const setting = (def.address || '255.255.255.255').trim();
      let address = setting;
      if (setting === 'directed') address = directedBroadcast(iface) ?? '';
      if (setting === 'unicast') address = target.ip ?? probeIp ?? '';
      if (forms.includes('udp') && !isIpv4(address))
        throw Object.assign(new Error(`wake on lan: no IPv4 address to send to (${setting}) for ${text}`), {
          status: 'no address',
        });
      const result = await sendWake({
        mac: target.mac,
        password,
        forms,
        address,
        port,
        interface: iface,
        ethernetDestination: setting === 'unicast' ? target.mac : undefined,
        repeats,
        intervalMs,
      });
      const payload = {
        mac: target.mac,
        forms,
        packets: result.packets,
        interface: result.interface,
        target: text,
        source: target.source,
        ip: probeIp,
        address: forms.includes('udp') ? address : undefined,
        port: forms.includes('udp') ? port : undefined,
      };
      if (!def.wait) {
        node.status({ fill: 'green', shape: 'dot', text: `woke ${text}` });
        send({ ...msg, topic: 'wake', payload });
        return;
      }
      if (!probeIp)
        throw Object.assign(
          new Error(`wake on lan: no IP address to probe ${text} (set one or send msg.ip)`),
          { status: 'nothing to probe' },
        );
      const abort = new AbortController();
      waits.add(abort);
      try {
        const probed = await waitUntilAwake({
          method: probe,
          ip: probeIp,
          port: probePort,
          interface: result.interface ?? iface,
          timeoutMs,
          intervalMs: PROBE_INTERVAL_MS,
          signal: abort.signal,
          onAttempt: (n) => node.status({ fill: 'yellow', shape: 'ring', text: `waking… ${n}` }),
        });
        if (abort.signal.aborted) return;
        node.status(
          probed.awake
            ? {
                fill: 'green',
                shape: 'dot',
                text: `${text} awake after ${(probed.elapsedMs / 1000).toFixed(1)} s`,
              }
            : { fill: 'red', shape: 'ring', text: `${text} still asleep` },
        );
        send({
          ...msg,
          topic: 'wake',
          payload: {
            ...payload,
            probe,
            awake: probed.awake,
            elapsed: probed.elapsedMs,
            attempts: probed.attempts,
          },
        });
      } finally {
        waits.delete(abort);
      }
    }

    node.on('input', (msg: WakeMessage, send, done) => {
      handle(msg, send).then(
        () => done(),
        (err: Error & { status?: string }) => {
          const text = err instanceof LinkPermissionError ? 'needs CAP_NET_RAW' : (err.status ?? err.message);
          fail(done, text, err);
        },
      );
    });
    node.on('close', (_removed: boolean, done: () => void) => {
      for (const w of waits) w.abort();
      waits.clear();
      node.status({});
      done();
    });
  }

  RED.nodes.registerType<Node<WakeOnLanCredentials>, WakeOnLanDef, unknown, WakeOnLanCredentials>(
    'wake on lan',
    WakeOnLanNode,
    { credentials: { password: { type: 'password' } } },
  );
};
