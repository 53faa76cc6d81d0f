// For agent modules: code that a test runs inside a LAN host with host.runNode(path). An agent is a
// plain CommonJS module; each exported function is a method the test can call
// (`await child.call('name', ...args)`, arguments and results travel by structured clone, so
// Buffers arrive as Buffers; sockets and functions cannot travel). Exporting `shutdown()` gets it
// awaited when the test closes the child. Example:
//
//   import { createSocket } from 'node:dgram';
//   import { emit } from '../support/lan/agent';
//   export function listen(port: number): Promise<void> {
//     const s = createSocket('udp4').on('message', (data, from) => emit('datagram', data, from.address));
//     return new Promise((resolve) => s.bind(port, resolve));
//   }
//
// and in the test: `const c = await host.runNode<typeof import('./my-agent')>(require.resolve('./my-agent'))`,
// `await c.call('listen', 9999)`, `const [data, from] = await c.next('datagram')`.
import type { EventMessage } from './node-child-protocol';

/** Sends an event to the test (`child.on(name, ...)` / `await child.next(name)`); no-op once closed. */
export function emit(name: string, ...args: unknown[]): void {
  if (!process.connected) return;
  const msg: EventMessage = { t: 'event', name, args };
  process.send?.(msg);
}

/** The extra arguments given to runNode(path, args). */
export function agentArgs(): string[] {
  return process.argv.slice(3);
}
