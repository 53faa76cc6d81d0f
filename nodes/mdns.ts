// The "mdns browse" and "mdns advertise" nodes: thin runtimes over src/discovery (BrowseService,
// AdvertiseService), one socket per node on the chosen interface, all released on close.
//
// mdns browse: sends `up` / `update` / `down` messages (msg.topic) with the instance as payload; an input
// whose topic or payload is "list" is answered with everything known now.
// mdns advertise: publishes a service from its settings at deploy (when it has a type and port) or from
// msg.payload {name, type, port, txt, host}; reports probing/announced/conflict/renamed as messages;
// msg.payload === false (or topic "withdraw") withdraws it with goodbyes; so does close.
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import type { ResponderEvent } from '../src/core/mdns/responder';
import { AdvertiseService, type AdvertiseOptions } from '../src/discovery/advertise-service';
import { BrowseService } from '../src/discovery/browse-service';
import { checkService, instanceView, parseTypes, txtFrom } from '../src/discovery/node-options';
import { isServiceType, type TxtObject } from '../src/core/mdns/service-records';

interface BrowseDef extends NodeDef {
  types: string;
  interface: string;
  ipv6: boolean;
}

interface AdvertiseDef extends NodeDef {
  service: string;
  /** Not `type`: that is the node's own type name. */
  serviceType: string;
  port: string;
  txt: string;
  host: string;
  interface: string;
  ipv6: boolean;
}

export = function register(RED: NodeAPI): void {
  function MdnsBrowseNode(this: Node, def: BrowseDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const types = parseTypes(def.types);
    let service: BrowseService | undefined;
    let closing = false;
    const bad = types.find((t) => !isServiceType(t));
    if (bad) {
      node.status({ fill: 'red', shape: 'ring', text: `bad type ${bad}` });
      node.error(`mdns browse: "${bad}" is not a service type like _http._tcp`);
    } else {
      node.status({ fill: 'yellow', shape: 'ring', text: 'starting' });
      BrowseService.start({ interface: def.interface || undefined, ipv6: def.ipv6, types }).then(
        (s) => {
          if (closing) return void s.stop();
          service = s;
          node.status({ fill: 'green', shape: 'dot', text: `browsing on ${s.interfaceName}` });
          s.on('event', (e) => {
            if (e.kind === 'type') return;
            node.send({ topic: e.kind, payload: instanceView(e.instance) });
            node.status({ fill: 'green', shape: 'dot', text: `${s.list().length} services` });
          });
          s.on('error', (err) => node.warn(`mdns browse: ${err.message}`));
        },
        (err: Error) => {
          node.status({ fill: 'red', shape: 'ring', text: err.message });
          node.error(`mdns browse: ${err.message}`);
        },
      );
    }

    node.on('input', (msg: NodeMessageInFlow, send, done) => {
      if (msg.topic === 'list' || msg.payload === 'list') {
        send({ ...msg, topic: 'list', payload: (service?.list() ?? []).map(instanceView) });
        done();
        return;
      }
      done(new Error('mdns browse: send msg.topic or msg.payload "list" to get the services known now'));
    });
    node.on('close', (_removed: boolean, done: () => void) => {
      closing = true;
      node.status({});
      const s = service;
      service = undefined;
      void (s ? s.stop() : Promise.resolve()).then(done, done);
    });
  }

  function MdnsAdvertiseNode(this: Node, def: AdvertiseDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    let service: AdvertiseService | undefined;
    let chain: Promise<void> = Promise.resolve();
    let closing = false;
    let current: AdvertiseOptions | undefined;

    const report = (e: ResponderEvent) => {
      const s = service;
      if (!s || !current) return;
      const view = { name: s.name, fqdn: s.fqdn, type: current.type, port: current.port, host: s.host };
      if (e.kind === 'probed') node.status({ fill: 'yellow', shape: 'dot', text: `announcing ${s.name}` });
      if (e.kind === 'announced') node.status({ fill: 'green', shape: 'dot', text: s.name });
      if (e.kind === 'conflict')
        node.status({ fill: 'yellow', shape: 'ring', text: `conflict on ${e.name}` });
      if (e.kind === 'withdrawn') return;
      const extra =
        e.kind === 'renamed' ? { from: e.from, to: e.to } : e.kind === 'conflict' ? { conflict: e.name } : {};
      node.send({ topic: e.kind, payload: { ...view, ...extra } });
    };

    const stop = async () => {
      const s = service;
      service = undefined;
      if (s) await s.stop();
    };

    const start = async (options: AdvertiseOptions) => {
      await stop();
      if (closing) return;
      node.status({ fill: 'yellow', shape: 'ring', text: `probing ${options.name}` });
      const s = await AdvertiseService.start(options);
      if (closing) return void (await s.stop());
      service = s;
      current = options;
      s.on('event', report);
      s.on('error', (err) => node.warn(`mdns advertise: ${err.message}`));
    };

    const enqueue = (job: () => Promise<void>): Promise<void> => {
      const next = chain.then(job);
      chain = next.catch(() => undefined);
      return next;
    };

    const fail = (err: Error) => {
      node.status({ fill: 'red', shape: 'ring', text: err.message });
      return err;
    };

    let txt: TxtObject | undefined;
    try {
      txt = def.txt ? txtFrom(JSON.parse(def.txt)) : undefined;
    } catch {
      txt = undefined;
    }
    const base: AdvertiseOptions = {
      interface: def.interface || undefined,
      ipv6: def.ipv6,
      name: def.service,
      type: def.serviceType,
      port: Number.parseInt(def.port, 10),
      txt,
      host: def.host || undefined,
    };
    if (def.service && def.serviceType && def.port) {
      const problem = def.txt && !txt ? 'TXT must be a JSON object of strings/booleans' : checkService(base);
      if (problem) {
        fail(new Error(problem));
        node.error(`mdns advertise: ${problem}`);
      } else {
        void enqueue(() => start(base)).catch((err: Error) =>
          node.error(`mdns advertise: ${fail(err).message}`),
        );
      }
    }

    node.on('input', (msg: NodeMessageInFlow, _send, done) => {
      if (msg.payload === false || msg.topic === 'withdraw') {
        void enqueue(stop).then(
          () => {
            node.status({ fill: 'grey', shape: 'ring', text: 'withdrawn' });
            done();
          },
          (err: Error) => done(fail(err)),
        );
        return;
      }
      const p = (typeof msg.payload === 'object' && msg.payload !== null ? msg.payload : {}) as Record<
        string,
        unknown
      >;
      const msgTxt = p.txt === undefined ? undefined : txtFrom(p.txt);
      if (p.txt !== undefined && !msgTxt) {
        done(
          fail(
            new Error('mdns advertise: msg.payload.txt must be an object of strings, numbers or booleans'),
          ),
        );
        return;
      }
      const options: AdvertiseOptions = {
        ...(current ?? base),
        ...(typeof p.name === 'string' ? { name: p.name } : {}),
        ...(typeof p.type === 'string' ? { type: p.type } : {}),
        ...(p.port !== undefined ? { port: Number(p.port) } : {}),
        ...(typeof p.host === 'string' ? { host: p.host } : {}),
        ...(msgTxt ? { txt: msgTxt } : {}),
      };
      const problem = checkService(options);
      if (problem) {
        done(fail(new Error(`mdns advertise: ${problem}`)));
        return;
      }
      void enqueue(() => start(options)).then(
        () => done(),
        (err: Error) => done(fail(err)),
      );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closing = true;
      node.status({});
      void enqueue(stop).then(done, done);
    });
  }

  RED.nodes.registerType('mdns browse', MdnsBrowseNode);
  RED.nodes.registerType('mdns advertise', MdnsAdvertiseNode);
};
