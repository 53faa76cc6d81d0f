#!/usr/bin/env node
// The headless `broadcast-relay` command: the relay of the Node-RED node without Node-RED, taking
// SnowSignal's options and environment variables with SnowSignal's defaults, so that a SnowSignal
// deployment switches by changing only the image and command:
//   -t/--target-interface  TARGET_INTERFACE  eth0
//   -b/--broadcast-port    BDCAST_PORT       5076   (ours: several, "5076,5065")
//   -m/--mesh-port         MESH_PORT         7124
//   --other-relays A B ... OTHER_RELAYS      none   (host or host:port)
//   -ll/--log-level        LOGLEVEL          info   (debug, info, warning, error, critical)
//   SERVICENAME                              Docker Swarm service: peers = tasks.<SERVICENAME>
// Ours in addition: --key / MESH_KEY (authenticated mesh), --rate-limit / RATE_LIMIT (per source
// per second, 0 off), --ipv6-group / IPV6_GROUP (IPv6 multicast groups relayed on the same ports,
// e.g. ff15::4b50; repeat the flag or give a list "ff15::4b50,ff02::1"; to the same group on the
// other segments, source address and port kept; datagrams that fit one frame only, IPv6 fragments
// are not relayed). Command-line options win over the environment, as in SnowSignal.
import { LinkPermissionError } from '../io/link';
import { DEFAULT_MESH_PORT } from '../wire/relay-mesh';
import { RelayService, type RelayServiceOptions, ipv6Groups } from './relay-service';

const LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;
export type LogLevel = (typeof LEVELS)[number];

export interface RelayCommand {
  readonly options: RelayServiceOptions;
  readonly logLevel: LogLevel;
}

const list = (text: string | undefined): string[] => (text ?? '').split(/[\s,]+/).filter(Boolean);

function ports(text: string, what: string): number[] {
  const values = list(text).map(Number);
  if (values.length === 0 || values.some((p) => !Number.isInteger(p) || p < 1 || p > 65535))
    throw new Error(`${what}: not a port (list): ${text}`);
  return values;
}

/** Parses argv (without node and script) and the environment; throws Error with a usage hint. */
export function parseRelayArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): RelayCommand {
  let iface = env.TARGET_INTERFACE || 'eth0';
  let broadcast = env.BDCAST_PORT || '5076';
  let mesh = env.MESH_PORT || String(DEFAULT_MESH_PORT);
  let peers = list(env.OTHER_RELAYS);
  let level = (env.LOGLEVEL || 'info').toLowerCase();
  let key = env.MESH_KEY || undefined;
  let rate = env.RATE_LIMIT;
  let groups = list(env.IPV6_GROUP);
  let groupsFromArgs = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '-t':
      case '--target-interface':
        iface = value();
        break;
      case '-b':
      case '--broadcast-port':
        broadcast = value();
        break;
      case '-m':
      case '--mesh-port':
        mesh = value();
        break;
      case '--other-relays':
        // nargs='+': every following word that is not an option
        peers = inline !== undefined ? list(inline) : [];
        while (inline === undefined && i + 1 < argv.length && !argv[i + 1].startsWith('-'))
          peers.push(...list(argv[++i]));
        break;
      case '-ll':
      case '--log-level':
        level = value().toLowerCase();
        break;
      case '--key':
        key = value();
        break;
      case '--rate-limit':
        rate = value();
        break;
      case '--ipv6-group':
        // repeatable; the first one on the command line replaces the environment's
        if (!groupsFromArgs) groups = [];
        groupsFromArgs = true;
        groups.push(...list(value()));
        break;
      default:
        throw new Error(`unknown option ${arg}`);
    }
  }
  if (!(LEVELS as readonly string[]).includes(level))
    throw new Error(`log level: one of ${LEVELS.join(', ')}`);
  const perSecond = rate === undefined || rate === '' ? undefined : Number(rate);
  if (perSecond !== undefined && !(perSecond >= 0)) throw new Error(`rate limit: not a number: ${rate}`);
  let groupList: string[];
  try {
    groupList = ipv6Groups(groups);
  } catch (error) {
    throw new Error(`ipv6 group: ${(error as Error).message}`);
  }
  return {
    logLevel: level as LogLevel,
    options: {
      interface: iface,
      ports: ports(broadcast, 'broadcast port'),
      ...(groupList.length > 0 ? { ipv6Groups: groupList } : {}),
      mesh: {
        port: ports(mesh, 'mesh port')[0],
        peers,
        serviceName: env.SERVICENAME || undefined,
      },
      key,
      rateLimit: perSecond === undefined ? undefined : { perSecond, burst: Math.max(1, perSecond * 2) },
    },
  };
}

const USAGE = `usage: broadcast-relay [-t IFACE] [-b PORT[,PORT...]] [-m MESH_PORT] [--other-relays HOST ...]
                       [-ll LEVEL] [--key KEY] [--rate-limit N] [--ipv6-group GROUP[,GROUP...]]
environment: TARGET_INTERFACE BDCAST_PORT MESH_PORT OTHER_RELAYS LOGLEVEL SERVICENAME MESH_KEY RATE_LIMIT
             IPV6_GROUP`;

export async function main(argv = process.argv.slice(2), env = process.env): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let command: RelayCommand;
  try {
    command = parseRelayArgs(argv, env);
  } catch (error) {
    process.stderr.write(`broadcast-relay: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const threshold = LEVELS.indexOf(command.logLevel);
  const log = (level: LogLevel, text: string): void => {
    if (LEVELS.indexOf(level) >= threshold)
      process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${text}\n`);
  };
  const relay = new RelayService(command.options);
  relay.on('error', (error) => log('error', error.message));
  relay.on('peers', (peers) =>
    log('info', `peers: ${peers.map((p) => `${p.address}:${p.port}`).join(' ') || 'none'}`),
  );
  relay.on('broadcast', (d) =>
    log('debug', `relay ${d.source.address}:${d.source.port} -> ${d.port} (${d.payload.length} bytes)`),
  );
  relay.on('rebroadcast', (d) =>
    log('debug', `rebroadcast ${d.source.address}:${d.source.port} -> ${d.port}`),
  );
  relay.on('drop', (reason) => log('debug', `dropped: ${reason}`));
  try {
    await relay.start();
  } catch (error) {
    const hint = error instanceof LinkPermissionError ? ' (needs CAP_NET_RAW)' : '';
    log('critical', `${(error as Error).message}${hint}`);
    await relay.close();
    return 1;
  }
  const { interface: iface, ports: relayed, mesh, ipv6Groups: groups } = command.options;
  const v6 = groups?.length ? ` and IPv6 multicast to ${groups.join(',')}` : '';
  log('info', `relaying UDP broadcasts${v6} to ${relayed.join(',')} on ${iface}, mesh port ${mesh?.port}`);
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
  log('info', `stopping: ${JSON.stringify(relay.counters)}`);
  await relay.close();
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`broadcast-relay: ${String(error)}\n`);
      process.exit(1);
    },
  );
}
