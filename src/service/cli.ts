#!/usr/bin/env node
// `sleep-proxy`: the sleep proxy on one or more interfaces without Node-RED (one service, one engine, per
// --interface; one journal per interface in the state directory). Events are printed as JSON lines on
// stdout ({"event": ..., "interface": ..., ...}), warnings as JSON lines on stderr; commands can be typed
// on stdin as lines "list" (every interface), "counters" (one line per interface: drops and refusals),
// "wake <name|MAC|address>", "release <name|MAC|address>" (on every interface that holds it). An interface that cannot start is reported on stderr
// ({"error", "part", "interface"}) and the others run; the command exits 1 only when none starts.
// SIGTERM/SIGINT close it cleanly and hand over: every sleeper is woken once and forgotten, so that it
// registers with another proxy (as Apple's SPS does when switched off); with --keep-on-exit the
// registry stays in the state directory instead, for the next start (a systemd restart). The
// registration policy and caps are flags, the same for every interface (README "Security model"); a
// bad value exits with the usage. Each interface is supervised (supervisor.ts): when it goes down or
// away the command prints {"event":"waiting","why":...} and, once it is back, "started" again; when the
// state directory cannot be written it prints {"event":"store","problem":...} (null once it can again).
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { SleeperView } from '../core/events';
import { parseAllowList } from './allow-list';
import { policySettings } from './policy-settings';
import { DEFAULT_REGISTRATION_PORT, type SleepProxyService } from './sleep-proxy-service';
import { ProxySupervisor, type SupervisorState } from './supervisor';

const USAGE = `usage: sleep-proxy --interface IFNAME [--interface IFNAME...] [--state-dir DIR] [--port ${DEFAULT_REGISTRATION_PORT}] [--name NAME] [--keep-on-exit]
  registration policy (defaults in brackets):
  [--allow SUBNETS,MACS]     only these subnets / host MACs may register [everyone on the link]
  [--any-subnet]             accept sources outside the interface's subnets [subnets + IPv6 link-local]
  [--any-source]             the source need not be one of the addresses it registers [must be]
  [--rate-limit BURST/RATE]  per source address, datagrams; 0 = off [30/2]
  [--max-hosts N] [--max-records N] [--max-host-records N] [--max-datagram BYTES] [--max-lease SECONDS]
                             [250] [10000] [1000] [9000] [86400]

On SIGTERM/SIGINT the proxy wakes every host it holds, so that they register elsewhere, and forgets
them. --keep-on-exit keeps them in the state directory instead, to be proxied again on the next start
(for a restart, e.g. systemd's Restart=).`;

function print(line: object, stream: NodeJS.WriteStream = process.stdout): void {
  stream.write(`${JSON.stringify(line)}\n`);
}

function failure(error: Error, ifname?: string): object {
  return {
    error: error.message,
    part: (error as { part?: string }).part,
    ...(ifname ? { interface: ifname } : {}),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      interface: { type: 'string', short: 'i', multiple: true },
      'state-dir': { type: 'string', short: 's', default: '.' },
      port: { type: 'string', short: 'p', default: String(DEFAULT_REGISTRATION_PORT) },
      name: { type: 'string', short: 'n' },
      allow: { type: 'string' },
      'any-subnet': { type: 'boolean' },
      'any-source': { type: 'boolean' },
      'rate-limit': { type: 'string' },
      'max-hosts': { type: 'string' },
      'max-records': { type: 'string' },
      'max-host-records': { type: 'string' },
      'max-datagram': { type: 'string' },
      'max-lease': { type: 'string' },
      'keep-on-exit': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const port = Number(values.port);
  const ifnames = [...new Set(values.interface ?? [])];
  const allow = parseAllowList(values.allow ?? '');
  const settings = policySettings({
    onLinkOnly: !values['any-subnet'],
    sourceMustBeProxied: !values['any-source'],
    rateLimit: values['rate-limit'],
    maxHosts: values['max-hosts'],
    maxRecords: values['max-records'],
    maxRecordsPerHost: values['max-host-records'],
    maxDatagramBytes: values['max-datagram'],
    maxLeaseSeconds: values['max-lease'],
  });
  const problems = [
    ...settings.invalid,
    ...allow.invalid.map((e) => `allow: ${e} is neither a subnet nor a MAC`),
  ];
  const badPort = !Number.isInteger(port) || port < 0 || port > 65535;
  if (values.help || ifnames.length === 0 || badPort || problems.length) {
    for (const problem of problems) console.error(problem);
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const { limits, policy } = settings;
  const supervise = (ifname: string) =>
    new ProxySupervisor({
      ifname,
      stateDir: values['state-dir'] ?? '.',
      port,
      name: values.name,
      limits,
      policy,
      allow: allow.allow,
    });
  const supervisors = ifnames.map((ifname) => {
    const supervisor = supervise(ifname);
    report(supervisor, ifname);
    return supervisor;
  });
  await Promise.all(supervisors.map((s) => s.ready()));
  const failed = supervisors.flatMap((s, i) =>
    s.state.kind === 'failed' ? [[s.state.error, ifnames[i]] as const] : [],
  );
  // a lone interface that cannot start ends the command (main's catch); of several, the others run
  if (ifnames.length === 1 && failed.length === 1) throw failed[0][0];
  for (const [error, ifname] of failed) print(failure(error, ifname), process.stderr);
  if (failed.length === ifnames.length) process.exit(1);
  run(!values['keep-on-exit'], supervisors);
}

/** Prints what a supervised interface does: events, warnings, (re)starts, waits and store problems. */
function report(supervisor: ProxySupervisor, ifname: string): void {
  supervisor.on('event', (event) => print({ event: event.type, ...event }));
  supervisor.on('warning', (message) => print({ warning: message, interface: ifname }, process.stderr));
  // The state directory cannot be written (registrations go unanswered: `problem` says why), or can again.
  supervisor.on('store', (problem) =>
    print({ event: 'store', interface: ifname, problem: problem?.code ?? null }),
  );
  supervisor.on('state', (state: SupervisorState) => {
    if (state.kind === 'running') {
      const { service } = state;
      print({ event: 'started', interface: service.ifname, port: service.port, sleepers: service.list() });
    } else if (state.kind === 'waiting') print({ event: 'waiting', interface: ifname, why: state.why });
  });
}

function run(handOver: boolean, supervisors: readonly ProxySupervisor[]): void {
  const services = (): SleepProxyService[] => supervisors.flatMap((s) => s.service ?? []);
  const all = (act: (s: SleepProxyService) => SleeperView | undefined) =>
    services().flatMap((s) => act(s) ?? []);

  const commands = createInterface({ input: process.stdin });
  commands.on('line', (line) => {
    const [command, target] = line.trim().split(/\s+/, 2);
    if (!command) return;
    if (services().length === 0) print({ warning: `not running (${command})` }, process.stderr);
    else if (command === 'list') print({ event: 'list', sleepers: services().flatMap((s) => s.list()) });
    else if (command === 'counters')
      for (const s of services()) print({ event: 'counters', interface: s.ifname, counters: s.counters() });
    else if ((command === 'wake' || command === 'release') && target) {
      const sleepers = all((s) => (command === 'wake' ? s.wake(target) : s.release(target)));
      if (sleepers.length === 0) print({ warning: `no sleeper ${target}` }, process.stderr);
    } else print({ warning: `unknown command: ${line}` }, process.stderr);
  });

  const stop = (): void => {
    commands.close();
    Promise.all(supervisors.map((s) => s.close({ handOver }))).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: Error) => {
  print(failure(error), process.stderr);
  process.exit(1);
});
