// The "wake on lan" node: translates a message into a WakeRequest, sends it, and reports the result
// as a message and a status dot. The message wins over the node's settings where it names a value.
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { LinkPermissionError } from '../src/io/link';
import { sendWake, type WakeForm } from '../src/io/wake-sender';
import { normalizeMac } from '../src/wire/address';
import { parseSecureOnPassword } from '../src/wire/wol';

interface WakeOnLanDef extends NodeDef {
  mac: string;
  mode: 'udp' | 'ethernet' | 'both';
  address: string;
  port: string;
  interface: string;
  repeats: string;
  interval: string;
}

interface WakeOnLanCredentials {
  password?: string;
}

type WakeMessage = NodeMessageInFlow & { mac?: unknown; password?: unknown };

const FORMS: Record<WakeOnLanDef['mode'], WakeForm[]> = {
  udp: ['udp'],
  ethernet: ['ethernet'],
  both: ['udp', 'ethernet'],
};

function intSetting(text: string, fallback: number, min: number, max: number): number {
  const value = Number.parseInt(text, 10);
  return Number.isInteger(value) && value >= min && value <= max ? value : fallback;
}

export = function register(RED: NodeAPI): void {
  function WakeOnLanNode(this: Node<WakeOnLanCredentials>, def: WakeOnLanDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const forms = FORMS[def.mode] ?? FORMS.udp;
    const port = intSetting(def.port, 9, 1, 65535);
    const repeats = intSetting(def.repeats, 3, 1, 100);
    const intervalMs = intSetting(def.interval, 100, 0, 60000);

    node.on('input', (msg: WakeMessage, send, done) => {
      const macText = [msg.mac, msg.payload, def.mac].find((v) => typeof v === 'string' && normalizeMac(v));
      const mac = typeof macText === 'string' ? normalizeMac(macText) : undefined;
      if (!mac) {
        node.status({ fill: 'red', shape: 'ring', text: 'no MAC' });
        done(new Error('wake on lan: no target MAC in msg.mac, msg.payload or the node settings'));
        return;
      }
      const passwordText = typeof msg.password === 'string' ? msg.password : node.credentials?.password;
      const password = passwordText ? parseSecureOnPassword(passwordText) : undefined;
      if (passwordText && !password) {
        node.status({ fill: 'red', shape: 'ring', text: 'bad password' });
        done(
          new Error('wake on lan: a SecureOn password is 4 or 6 bytes, as aa:bb:cc:dd or aa:bb:cc:dd:ee:ff'),
        );
        return;
      }
      sendWake({
        mac,
        password,
        forms,
        address: def.address || '255.255.255.255',
        port,
        interface: def.interface || undefined,
        repeats,
        intervalMs,
      }).then(
        (result) => {
          node.status({ fill: 'green', shape: 'dot', text: `woke ${mac}` });
          send({
            ...msg,
            topic: 'wake',
            payload: { mac, forms, packets: result.packets, interface: result.interface },
          });
          done();
        },
        (err: Error) => {
          const text = err instanceof LinkPermissionError ? 'needs CAP_NET_RAW' : err.message;
          node.status({ fill: 'red', shape: 'ring', text });
          done(err);
        },
      );
    });
    node.on('close', (_removed: boolean, done: () => void) => {
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
