#!/usr/bin/env node
// `sleep-proxy-client`: registers this Linux host with the best Bonjour Sleep Proxy on each interface
// (or one given with --interface / --proxy) before a suspend, and after the resume (`announce`, alias
// `wake`) tells the proxies it is awake with a new Owner seq so they drop the registration at once.
// Exit 0 when at least one interface registered (register) or the announcement left (announce);
// 1 otherwise, 2 for usage errors. One line per interface on stdout, problems on stderr.
import { hostname as osHostname } from 'node:os';
import { parseArgs } from 'node:util';
import { isIpv4, isIpv6 } from '../wire/address';
import { isServiceType } from '../core/mdns/service-records';
import { announceOwner } from './announce';
import { hostInterfaces } from './host-interface';
import { ownerFor, registerInterface } from './register';
import { DEFAULT_LEASE, type ClientService } from '../core/registration-request';
import type { ProxyTarget } from './send-registration';
import { nextSeq, readSeq } from './seq-state';

const USAGE = `usage: sleep-proxy-client [register] [options]   register before sleeping
       sleep-proxy-client announce|wake [options]   after resume: new seq, the proxy releases this host
                                                    (--announce is the same as the announce command)
options:
  -i, --interface IFNAME   only this interface (default: every interface with a MAC and IPv4)
  -p, --proxy ADDR:PORT    register with this proxy instead of browsing _sleep-proxy._udp
  -H, --hostname NAME      host name to register (default: ${osHostname()})
  -s, --state-dir DIR      where the Owner seq is kept (default: /var/lib/sleep-proxy-client)
  -l, --lease SECONDS      requested lease (default: ${DEFAULT_LEASE})
  -S, --service TYPE:PORT  add a service by hand, e.g. _ssh._tcp:22 (repeatable)
      --no-browse-services do not look for this host's services via mDNS
      --password HEX       SecureOn password, 4 or 6 bytes (aa:bb:cc:dd:ee:ff)
      --browse-time SECONDS how long to listen for proxies and services (default: 3)`;

class UsageError extends Error {}

function parseProxy(text: string): ProxyTarget {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || !(isIpv4(m[1]) || isIpv6(m[1].split('%')[0])) || port < 1 || port > 65535)
    throw new UsageError(`--proxy wants ADDRESS:PORT, got ${text}`);
  return { label: text, address: m[1], port };
}

function parseService(text: string, host: string): ClientService {
  const [type, portText] = text.split(/:(?=\d+$)/);
  const port = Number(portText);
  if (!isServiceType(type) || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(`--service wants _name._tcp:PORT, got ${text}`);
  return { name: host, type, port };
}

function parsePassword(text: string): Buffer {
  const hex = text.replace(/[:-]/g, '');
  if (!/^([0-9a-f]{8}|[0-9a-f]{12})$/i.test(hex)) throw new UsageError('--password wants 4 or 6 hex bytes');
  return Buffer.from(hex, 'hex');
}

function positiveNumber(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${what} must be a positive number`);
  return n;
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        interface: { type: 'string', short: 'i' },
        proxy: { type: 'string', short: 'p' },
        hostname: { type: 'string', short: 'H', default: osHostname().split('.')[0] },
        'state-dir': { type: 'string', short: 's', default: '/var/lib/sleep-proxy-client' },
        lease: { type: 'string', short: 'l', default: String(DEFAULT_LEASE) },
        service: { type: 'string', short: 'S', multiple: true, default: [] },
        'no-browse-services': { type: 'boolean', default: false },
        password: { type: 'string' },
        'browse-time': { type: 'string', default: '3' },
        announce: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const mode = values.announce ? 'announce' : (positionals[0] ?? 'register');
  if (!['register', 'announce', 'wake'].includes(mode) || positionals.length > 1)
    throw new UsageError(`unknown command ${positionals.join(' ')}`);
  const stateDir = values['state-dir'];
  const password = values.password === undefined ? undefined : parsePassword(values.password);
  const interfaces = hostInterfaces(values.interface);
  if (interfaces.length === 0) throw new Error('no interface with a MAC and an IPv4 address');

  if (mode !== 'register') {
    const seq = nextSeq(stateDir);
    const results = await Promise.allSettled(
      interfaces.map((i) => announceOwner(i.name, ownerFor(i.mac, seq, password))),
    );
    results.forEach((r, k) => {
      if (r.status === 'fulfilled')
        console.log(`${interfaces[k].name}: announced owner ${interfaces[k].mac} seq ${seq}`);
      else console.error(`${interfaces[k].name}: announcement failed: ${(r.reason as Error).message}`);
    });
    return results.some((r) => r.status === 'fulfilled') ? 0 : 1;
  }

  const hostname = values.hostname;
  const lease = positiveNumber(values.lease, '--lease');
  if (!Number.isInteger(lease) || lease > 0xffffffff) throw new UsageError('--lease must be whole seconds');
  const results = await Promise.all(
    interfaces.map((i) =>
      registerInterface(i, {
        hostname,
        seq: readSeq(stateDir),
        lease,
        password,
        services: values.service.map((s) => parseService(s, hostname)),
        browseServices: !values['no-browse-services'],
        proxy: values.proxy === undefined ? undefined : parseProxy(values.proxy),
        browseMs: positiveNumber(values['browse-time'], '--browse-time') * 1000,
        deadlineMs: 10_000,
      }),
    ),
  );
  for (const r of results) {
    if (r.outcome.ok) {
      const { target, lease: granted, leaseInReply } = r.outcome;
      console.log(
        `${r.ifname}: registered with "${target.label}" at ${target.address}:${target.port}, lease ${granted} s` +
          `${leaseInReply ? '' : ' (assumed: no lease in the reply)'}; addresses ${r.addresses.join(' ')}; ` +
          `services ${r.services.join(' ') || 'none'}`,
      );
    } else {
      const seen = r.candidates.length ? ` (tried ${r.candidates.map((c) => `"${c}"`).join(', ')})` : '';
      console.error(`${r.ifname}: not registered: ${r.outcome.reason}${seen}`);
    }
  }
  return results.some((r) => r.outcome.ok) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`sleep-proxy-client: ${error.message}`);
    if (error instanceof UsageError) console.error(USAGE);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
