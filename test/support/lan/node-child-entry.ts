// Entry script of a Node child started by NsEndpoint.runNode(): `node node-child-entry.js <agent
// module> [args...]` inside a namespace, with an IPC channel (fd named by NODE_CHANNEL_FD, which
// `ip netns exec`, nsenter and setpriv pass through untouched).
//
// It loads the agent module, offers every exported function as a callable method (awaited; the
// result or thrown error goes back to the caller), and when the parent closes the channel it
// awaits the agent's optional `shutdown()` export and exits. Agents emit events with emit() from
// ./agent. The protocol is in ./node-child-protocol.
import type { ChildMessage, ParentMessage } from './node-child-protocol';
import { SHUTDOWN_EXPORT } from './node-child-protocol';

type Handler = (...args: unknown[]) => unknown;

function send(msg: ChildMessage): void {
  process.send?.(msg);
}

async function handle(handlers: ReadonlyMap<string, Handler>, msg: ParentMessage): Promise<void> {
  try {
    const fn = handlers.get(msg.method);
    if (!fn) throw new Error(`no method "${msg.method}" (agent exports: ${[...handlers.keys()].join(', ')})`);
    const value = await fn(...msg.args);
    // a value that cannot be cloned throws here and is reported like a thrown error
    send({ t: 'result', id: msg.id, value });
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    if (process.connected) send({ t: 'error', id: msg.id, message: err.message, stack: err.stack });
  }
}

async function main(): Promise<void> {
  const modulePath = process.argv[2];
  if (!process.send || !modulePath) {
    process.stderr.write('node-child-entry: needs an IPC channel and an agent module path\n');
    process.exit(2);
  }
  const agent = (await import(modulePath)) as Record<string, unknown>;
  const handlers = new Map<string, Handler>();
  for (const [name, value] of Object.entries(agent)) {
    if (typeof value === 'function' && name !== 'default') handlers.set(name, value as Handler);
  }
  process.on('message', (msg: ParentMessage) => void handle(handlers, msg));
  process.on('disconnect', () => {
    const shutdown = handlers.get(SHUTDOWN_EXPORT);
    void Promise.resolve(shutdown?.()).finally(() => process.exit(0));
  });
  send({ t: 'ready', methods: [...handlers.keys()] });
}

void main();
