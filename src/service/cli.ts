#!/usr/bin/env node
// `sleep-proxy`: the sleep proxy on one interface without Node-RED. Events are printed as JSON lines
// on stdout ({"event": ..., ...}), warnings as JSON lines on stderr; commands can be typed on stdin
// as lines "list", "wake <name|MAC|address>", "release <name|MAC|address>". SIGTERM/SIGINT close it
// cleanly (the registry stays in the state directory for the next start). When the interface goes
// down or away it prints {"event":"waiting","why":...} and, once it is back, "started" again.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { DEFAULT_REGISTRATION_PORT } from './sleep-proxy-service';
import { ProxySupervisor, type SupervisorState } from './supervisor';

const USAGE = `usage: sleep-proxy --interface IFNAME [--state-dir DIR] [--port ${DEFAULT_REGISTRATION_PORT}] [--name NAME]`;

function print(line: object, stream: NodeJS.WriteStream = process.stdout): void {
  stream.write(`${JSON.stringify(line)}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      interface: { type: 'string', short: 'i' },
      'state-dir': { type: 'string', short: 's', default: '.' },
      port: { type: 'string', short: 'p', default: String(DEFAULT_REGISTRATION_PORT) },
      name: { type: 'string', short: 'n' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const port = Number(values.port);
  if (values.help || !values.interface || !Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const supervisor = new ProxySupervisor({
    ifname: values.interface,
    stateDir: values['state-dir'] ?? '.',
    port,
    name: values.name,
  });
  supervisor.on('event', (event) => print({ event: event.type, ...event }));
  supervisor.on('warning', (message) => print({ warning: message }, process.stderr));
  // The state directory cannot be written (registrations go unanswered: `problem` says why), or can again.
  supervisor.on('store', (problem) => print({ event: 'store', problem: problem?.code ?? null }));
  // Started again after the interface came back or changed; waiting while it is down or away.
  const onState = (state: SupervisorState): void => {
    if (state.kind === 'running') {
      const { service } = state;
      print({ event: 'started', interface: service.ifname, port: service.port, sleepers: service.list() });
    } else if (state.kind === 'waiting') print({ event: 'waiting', why: state.why });
  };
  supervisor.on('state', onState);
  await supervisor.ready();
  const first = supervisor.state;
  if (first.kind === 'failed') throw first.error;

  const commands = createInterface({ input: process.stdin });
  commands.on('line', (line) => {
    const [command, target] = line.trim().split(/\s+/, 2);
    const service = supervisor.service;
    if (!command) return;
    if (!service) print({ warning: `not running (${command})` }, process.stderr);
    else if (command === 'list') print({ event: 'list', sleepers: service.list() });
    else if ((command === 'wake' || command === 'release') && target) {
      const sleeper = command === 'wake' ? service.wake(target) : service.release(target);
      if (!sleeper) print({ warning: `no sleeper ${target}` }, process.stderr);
    } else print({ warning: `unknown command: ${line}` }, process.stderr);
  });

  const stop = (): void => {
    commands.close();
    supervisor.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: Error) => {
  print({ error: error.message, part: (error as { part?: string }).part }, process.stderr);
  process.exit(1);
});
