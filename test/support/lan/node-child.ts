// The test's side of a Node child running in a namespace (see node-child-entry.ts for the child and
// agent.ts for writing agents). Calls are matched to replies by id; events are both emitted to
// listeners and queued per name for next(), so a test never misses an event that arrived before
// it started waiting. If the child dies, pending calls and waits reject with its last output.
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import { basename, join, resolve } from 'node:path';
import { exitText, waitForExit } from './exec';
import type { ChildMessage, ParentMessage } from './node-child-protocol';

export type AgentModule = Record<string, (...args: unknown[]) => unknown>;
export type AgentMethod<M> = {
  [K in keyof M]: M[K] extends (...args: never[]) => unknown ? K : never;
}[keyof M] &
  string;
type ArgsOf<F> = F extends (...args: infer A) => unknown ? A : never;
type ResultOf<F> = F extends (...args: never[]) => infer R ? Awaited<R> : never;

export type SpawnInNs = (cmd: string, args: readonly string[], opts: SpawnOptions) => ChildProcess;

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const READY_TIMEOUT_MS = 10_000;
const MAX_QUEUED = 1000;
const OUTPUT_TAIL = 4000;

export class NodeChild<M extends object = AgentModule> {
  /** Resolves when the child process has ended, however that happened. */
  readonly exited: Promise<ChildExit>;
  private readonly events = new EventEmitter();
  private readonly queues = new Map<string, unknown[][]>();
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private out = '';
  private exit: ChildExit | undefined;
  private methods: string[] | undefined;

  constructor(
    private readonly child: ChildProcess,
    private readonly label: string,
  ) {
    this.events.setMaxListeners(0);
    const collect = (b: Buffer): void => {
      this.out = (this.out + b.toString()).slice(-OUTPUT_TAIL);
      if (process.env.SPS_LAN_DEBUG) process.stderr.write(`[${label}] ${b.toString()}`);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.on('message', (msg: ChildMessage) => this.receive(msg));
    this.exited = new Promise((resolveExit) => {
      child.once('exit', (code: number | null, signal: NodeJS.Signals | null) => {
        // let replies still in flight on the channel and the last output arrive first
        // (not 'close': it does not come after the parent disconnected the channel)
        void Promise.all([child.stdout, child.stderr].map(ended)).then(() =>
          setImmediate(() => {
            this.exit = { code, signal };
            const err = this.deathError();
            for (const p of this.pending.values()) p.reject(err);
            this.pending.clear();
            this.events.emit('__exit', err);
            resolveExit(this.exit);
          }),
        );
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** What the child printed lately (stdout and stderr interleaved, last few KB). */
  output(): string {
    return this.out;
  }

  /** Calls an exported function of the agent and resolves with what it returned (awaited). */
  call<K extends AgentMethod<M>>(method: K, ...args: ArgsOf<M[K]>): Promise<ResultOf<M[K]>> {
    if (this.exit) return Promise.reject(this.deathError());
    const id = this.nextId++;
    const msg: ParentMessage = { t: 'call', id, method, args };
    return new Promise((resolveCall, rejectCall) => {
      this.pending.set(id, { resolve: resolveCall as (v: unknown) => void, reject: rejectCall });
      this.child.send(msg, (err) => {
        if (err) {
          this.pending.delete(id);
          rejectCall(err);
        }
      });
    });
  }

  on(event: string, listener: (...args: unknown[]) => void): this {
    this.events.on(event, listener);
    return this;
  }

  off(event: string, listener: (...args: unknown[]) => void): this {
    this.events.off(event, listener);
    return this;
  }

  /** The arguments of the oldest not yet consumed `event`, waiting up to `timeoutMs` for one. */
  next(event: string, timeoutMs = 5000): Promise<unknown[]> {
    const queued = this.queues.get(event)?.shift();
    if (queued) return Promise.resolve(queued);
    if (this.exit) return Promise.reject(this.deathError());
    return new Promise((resolveNext, rejectNext) => {
      const done = (): void => {
        clearTimeout(timer);
        this.events.off(event, onEvent);
        this.events.off('__exit', onExit);
      };
      const onEvent = (): void => {
        done();
        resolveNext(this.queues.get(event)?.shift() ?? []);
      };
      const onExit = (err: Error): void => {
        done();
        rejectNext(err);
      };
      const timer = setTimeout(() => {
        done();
        rejectNext(new Error(`${this.label}: no "${event}" event within ${timeoutMs} ms\n${this.out}`));
      }, timeoutMs);
      this.events.on(event, onEvent);
      this.events.on('__exit', onExit);
    });
  }

  /** Closes the channel (the agent's shutdown() runs, the child exits); SIGKILL after `timeoutMs`. */
  async close(timeoutMs = 2000): Promise<ChildExit> {
    if (this.child.connected) this.child.disconnect();
    await waitForExit(this.child, timeoutMs);
    return this.exited;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.child.kill(signal);
  }

  private receive(msg: ChildMessage): void {
    if (msg.t === 'event') {
      const queue = this.queues.get(msg.name) ?? [];
      if (queue.length < MAX_QUEUED) queue.push(msg.args);
      this.queues.set(msg.name, queue);
      this.events.emit(msg.name, ...msg.args);
    } else if (msg.t === 'result' || msg.t === 'error') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.t === 'result') p.resolve(msg.value);
      else p.reject(Object.assign(new Error(`${this.label}: ${msg.message}`), { remoteStack: msg.stack }));
    } else {
      this.methods = msg.methods;
      this.events.emit('__ready');
    }
  }

  private deathError(): Error {
    const how = this.exit ? exitText(this.exit) : 'gone';
    return new Error(`${this.label}: child exited (${how})\n${this.out}`);
  }

  /** Resolves once the agent module has loaded. */
  ready(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    if (this.methods) return Promise.resolve();
    if (this.exit) return Promise.reject(this.deathError());
    return new Promise((resolveReady, rejectReady) => {
      const done = (): void => {
        clearTimeout(timer);
        this.events.off('__ready', onReady);
        this.events.off('__exit', onExit);
      };
      const onReady = (): void => {
        done();
        resolveReady();
      };
      const onExit = (err: Error): void => {
        done();
        rejectReady(err);
      };
      const timer = setTimeout(() => {
        done();
        this.kill();
        rejectReady(new Error(`${this.label}: not ready within ${timeoutMs} ms\n${this.out}`));
      }, timeoutMs);
      this.events.on('__ready', onReady);
      this.events.on('__exit', onExit);
    });
  }
}

function ended(stream: Readable | null): Promise<void> {
  if (!stream || stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => stream.once('close', () => resolve()));
}

/** Starts `node node-child-entry.js <modulePath> [args]` through `spawnInNs` and waits until it is ready. */
export async function startNodeChild<M extends object>(
  spawnInNs: SpawnInNs,
  modulePath: string,
  args: readonly string[],
): Promise<NodeChild<M>> {
  const entry = join(__dirname, 'node-child-entry.js');
  const agent = resolve(modulePath);
  const proc = spawnInNs(process.execPath, ['--enable-source-maps', entry, agent, ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'advanced',
  });
  const child = new NodeChild<M>(proc, basename(agent));
  await child.ready();
  return child;
}
