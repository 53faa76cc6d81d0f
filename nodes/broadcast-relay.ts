// The UDP broadcast relay nodes (issue 6), three types over one RelayService each:
// - "broadcast relay": a SnowSignal-compatible relay (capture, mesh, rebroadcast); any input
//   message asks for its counters, sent as msg.payload; status shows the counts.
// - "broadcast in": each UDP broadcast captured on the interface as a message.
// - "broadcast out": rebroadcasts the broadcast a message describes (from a "broadcast in",
//   possibly carried over MQTT or websockets), keeping its original source address and port.
// Nothing here throws into Node-RED: errors become a red status and a log line (or done(err)).
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { randomInt } from 'node:crypto';
import { LinkPermissionError } from '../src/io/link';
import { isIpv4 } from '../src/wire/address';
import type { BroadcastDatagram } from '../src/relay/broadcast-datagram';
import { DROP_REASONS, type RelayCounters } from '../src/relay/relay-core';
import { RelayService, type RelayServiceOptions } from '../src/relay/relay-service';

interface RelayDef extends NodeDef {
  interface: string;
  ports: string;
  /** IPv6 multicast groups relayed too, e.g. "ff15::4b50, ff02::1". */
  ipv6Groups?: string;
  meshPort?: string;
  peers?: string;
  serviceName?: string;
  rateLimit?: string;
}

interface RelayCredentials {
  key?: string;
}

type OutMessage = NodeMessageInFlow & { frame?: unknown; source?: unknown; port?: unknown };

const STATUS_EVERY_MS = 1000;

/** "5076, 5065" -> [5076, 5065]; invalid entries are ignored. */
function parsePorts(text: string | undefined): number[] {
  return (text ?? '')
    .split(/[\s,]+/)
    .map((p) => Number(p))
    .filter((p) => Number.isInteger(p) && p > 0 && p < 65536);
}

const parseList = (text: string | undefined): string[] => (text ?? '').split(/[\s,]+/).filter(Boolean);

function droppedTotal(counters: RelayCounters): number {
  return DROP_REASONS.reduce((sum, r) => sum + counters.dropped[r], 0);
}

function describeError(error: unknown): string {
  if (error instanceof LinkPermissionError) return 'needs CAP_NET_RAW';
  return error instanceof Error ? error.message : String(error);
}

/** A Buffer, or one that travelled as JSON ({ type: 'Buffer', data: [...] }). */
function asBuffer(value: unknown): Buffer | undefined {
  if (Buffer.isBuffer(value)) return value;
  const json = value as { type?: unknown; data?: unknown } | undefined;
  if (json?.type === 'Buffer' && Array.isArray(json.data)) return Buffer.from(json.data as number[]);
  return undefined;
}

/** A datagram from msg.payload + msg.source + msg.port, or an error text. */
function datagramFromMessage(msg: OutMessage): BroadcastDatagram | string {
  const source = msg.source as { address?: unknown; port?: unknown } | undefined;
  const payload =
    typeof msg.payload === 'string'
      ? Buffer.from(msg.payload)
      : Buffer.isBuffer(msg.payload)
        ? msg.payload
        : undefined;
  if (!payload) return 'msg.payload must be a Buffer or a string (or give msg.frame)';
  if (typeof source?.address !== 'string' || !isIpv4(source.address))
    return 'msg.source.address must be an IPv4 address';
  const sourcePort = Number(source.port);
  const port = Number(msg.port);
  if (!Number.isInteger(sourcePort) || sourcePort < 1 || sourcePort > 65535)
    return 'msg.source.port must be a port';
  if (!Number.isInteger(port) || port < 1 || port > 65535) return 'msg.port must be a port';
  return {
    source: { address: source.address, port: sourcePort },
    destination: '255.255.255.255',
    port,
    payload,
    ident: randomInt(0x10000),
    ttl: 64,
    dscp: 0,
  };
}

export = function register(RED: NodeAPI): void {
  /** Starts `options` for `node`, with status, logging and release on close. */
  function run(node: Node, options: RelayServiceOptions, label: string): RelayService {
    const service = new RelayService(options);
    let dirty = true;
    const showCounts = (): void => {
      if (!dirty) return;
      dirty = false;
      const c = service.counters;
      const text =
        label === 'relay'
          ? `relayed ${c.relayed} · rebroadcast ${c.rebroadcast} · dropped ${droppedTotal(c)} · peers ${service.peers.length}`
          : label === 'in'
            ? `captured ${c.relayed} · dropped ${droppedTotal(c)}`
            : `rebroadcast ${c.rebroadcast} · dropped ${droppedTotal(c)}`;
      node.status({ fill: 'green', shape: 'dot', text });
    };
    const timer = setInterval(showCounts, STATUS_EVERY_MS);
    timer.unref();
    for (const event of ['broadcast', 'rebroadcast', 'drop', 'peers'] as const)
      service.on(event, () => (dirty = true));
    service.on('error', (error) => node.warn(`broadcast ${label}: ${error.message}`));
    node.status({ fill: 'yellow', shape: 'ring', text: 'starting' });
    service.start().then(showCounts, (error: unknown) => {
      clearInterval(timer);
      node.status({ fill: 'red', shape: 'ring', text: describeError(error) });
      node.error(`broadcast ${label}: ${error instanceof Error ? error.message : String(error)}`);
      void service.close();
    });
    node.on('close', (_removed: boolean, done: () => void) => {
      clearInterval(timer);
      node.status({});
      service.close().then(done, done);
    });
    return service;
  }

  function BroadcastRelayNode(this: Node<RelayCredentials>, def: RelayDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const rate = Number(def.rateLimit);
    const service = run(
      node,
      {
        interface: def.interface || 'eth0',
        ports: parsePorts(def.ports || '5076'),
        ipv6Groups: parseList(def.ipv6Groups),
        mesh: {
          port: parsePorts(def.meshPort)[0] ?? 7124,
          peers: parseList(def.peers),
          serviceName: def.serviceName || undefined,
        },
        key: node.credentials?.key || undefined,
        rateLimit:
          Number.isFinite(rate) && rate >= 0 && def.rateLimit !== '' && def.rateLimit !== undefined
            ? { perSecond: rate, burst: Math.max(1, rate * 2) }
            : undefined,
      },
      'relay',
    );
    node.on('input', (msg, send, done) => {
      send({
        ...msg,
        topic: 'counters',
        payload: { ...service.counters, dropped: { ...service.counters.dropped }, peers: service.peers },
      });
      done();
    });
  }

  function BroadcastInNode(this: Node, def: RelayDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const service = run(
      node,
      {
        interface: def.interface || 'eth0',
        ports: parsePorts(def.ports),
        ipv6Groups: parseList(def.ipv6Groups),
      },
      'in',
    );
    service.on('broadcast', (datagram, frame) => {
      node.send({
        topic: `broadcast/${datagram.port}`,
        payload: datagram.payload,
        source: datagram.source,
        port: datagram.port,
        destination: datagram.destination,
        frame,
      });
    });
  }

  function BroadcastOutNode(this: Node, def: RelayDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const service = run(
      node,
      {
        interface: def.interface || 'eth0',
        ports: parsePorts(def.ports),
        ipv6Groups: parseList(def.ipv6Groups),
        capture: false,
      },
      'out',
    );
    node.on('input', (msg: OutMessage, _send, done) => {
      if (!service.running) {
        done(new Error('broadcast out: not running (see the node status)'));
        return;
      }
      let outcome;
      const frame = asBuffer(msg.frame);
      if (frame) {
        outcome = service.rebroadcastFrame(frame);
      } else {
        const datagram = datagramFromMessage(msg);
        if (typeof datagram === 'string') {
          done(new Error(`broadcast out: ${datagram}`));
          return;
        }
        outcome = service.rebroadcast(datagram);
      }
      if (outcome.kind === 'drop' && outcome.reason === 'malformed') {
        done(
          new Error(
            'broadcast out: msg.frame is not an IPv4/UDP Ethernet frame (nor IPv6/UDP to a multicast group)',
          ),
        );
        return;
      }
      done();
    });
  }

  RED.nodes.registerType<Node<RelayCredentials>, RelayDef, unknown, RelayCredentials>(
    'broadcast relay',
    BroadcastRelayNode,
    { credentials: { key: { type: 'password' } } },
  );
  RED.nodes.registerType('broadcast in', BroadcastInNode);
  RED.nodes.registerType('broadcast out', BroadcastOutNode);
};
