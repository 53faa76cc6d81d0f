#!/usr/bin/env node
// `sleep-proxy`: the sleep proxy on one interface without Node-RED. Events are printed as JSON lines
// on stdout ({"event": ..., ...}), warnings as JSON lines on stderr; commands can be typed on stdin
// as lines "list", "wake <name|MAC|address>", "release <name|MAC|address>". SIGTERM/SIGINT close it
// cleanly (the registry stays in the state directory for the next start).
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { DEFAULT_REGISTRATION_PORT, SleepProxyService } from './sleep-proxy-service';

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
  const service = await SleepProxyService.start({
    ifname: values.interface,
    stateDir: values['state-dir'] ?? '.',
    port,
    name: values.name,
  });
  service.on('event', (event) => print({ event: event.type, ...event }));
  service.on('warning', (message) => print({ warning: message }, process.stderr));
  // The state directory cannot be written (registrations go unanswered: `problem` says why), or can again.
  service.on('store', (problem) => print({ event: 'store', problem: problem?.code ?? null }));
  print({ event: 'started', interface: service.ifname, port: service.port, sleepers: service.list() });

  const commands = createInterface({ input: process.stdin });
  commands.on('line', (line) => {
    const [command, target] = line.trim().split(/\s+/, 2);
    if (command === 'list') print({ event: 'list', sleepers: service.list() });
    else if ((command === 'wake' || command === 'release') && target) {
      const sleeper = command === 'wake' ? service.wake(target) : service.release(target);
      if (!sleeper) print({ warning: `no sleeper ${target}` }, process.stderr);
    } else if (command) print({ warning: `unknown command: ${line}` }, process.stderr);
  });

  const stop = (): void => {
    commands.close();
    service.close().then(
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
