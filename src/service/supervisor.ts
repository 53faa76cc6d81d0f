// Keeps one SleepProxyService running on an interface that may go down, change its addresses, or
// vanish and come back (a USB adapter, a VM's tap, a restarted bridge). Every POLL_MS it reads the
// interface (interface-watch.ts): while it is usable and unchanged, the service runs; when it goes
// down or away, the service is closed (its sockets are bound to what is gone) and the supervisor
// waits; when it is back, or its index, MAC or addresses changed, a new service starts on it. The
// journal carries the sleepers across: the new service restores them, re-opens the link socket with
// the capture filter, re-joins their multicast groups and takes their addresses over again.
//
// A start that fails for a reason the interface explains (missing, down, no address) is retried on
// the next change; any other failure (no CAP_NET_RAW, the port taken) is final: 'failed'.
import { EventEmitter } from 'node:events';
import { LinkInterfaceError } from '../io/link';
import type { StoreError } from '../io/store';
import { interfaceState } from './interface-watch';
import {
  type CloseOptions,
  SleepProxyService,
  type ServiceEvents,
  type SleepProxyServiceOptions,
} from './sleep-proxy-service';

export const POLL_MS = 1000;

export type SupervisorState =
  | { readonly kind: 'starting' }
  | { readonly kind: 'running'; readonly service: SleepProxyService }
  /** The interface is missing, down or without an address: resumes by itself. */
  | { readonly kind: 'waiting'; readonly why: string }
  | { readonly kind: 'failed'; readonly error: Error }
  | { readonly kind: 'closed' };

export interface SupervisorEvents {
  state: [state: SupervisorState];
  event: ServiceEvents['event'];
  warning: ServiceEvents['warning'];
  store: [problem: StoreError | undefined];
}

type Start = (options: SleepProxyServiceOptions) => Promise<SleepProxyService>;

export class ProxySupervisor extends EventEmitter<SupervisorEvents> {
  private current: SupervisorState = { kind: 'starting' };
  private signature: string | undefined;
  private poller: NodeJS.Timeout | undefined;
  /** The start or close in progress: one at a time. */
  private busy: Promise<void> = Promise.resolve();
  private readonly started: Promise<void>;
  /** How close() was asked to close, for a service that finishes starting afterwards. */
  private closeOptions: CloseOptions = {};

  constructor(
    private readonly options: SleepProxyServiceOptions,
    private readonly start: Start = (o) => SleepProxyService.start(o),
    private readonly pollMs = POLL_MS,
  ) {
    super();
    this.started = this.check();
  }

  get state(): SupervisorState {
    return this.current;
  }

  get service(): SleepProxyService | undefined {
    return this.current.kind === 'running' ? this.current.service : undefined;
  }

  /** Resolves once the first start ended (running, waiting or failed); never rejects. */
  ready(): Promise<void> {
    return this.started;
  }

  /** Closes the service; `handOver` wakes and forgets its sleepers (see SleepProxyService.close). */
  async close(options: CloseOptions = {}): Promise<void> {
    if (this.current.kind === 'closed') return;
    clearTimeout(this.poller);
    const service = this.service;
    this.closeOptions = options;
    this.setState({ kind: 'closed' });
    await this.busy;
    await service?.close(options);
  }

  private schedule(): void {
    if (this.current.kind === 'closed' || this.current.kind === 'failed') return;
    this.poller = setTimeout(() => void this.check(), this.pollMs);
  }

  private check(): Promise<void> {
    this.busy = this.busy.then(() => this.step()).finally(() => this.schedule());
    return this.busy;
  }

  private async step(): Promise<void> {
    if (this.current.kind === 'closed' || this.current.kind === 'failed') return;
    const nic = interfaceState(this.options.ifname);
    const signature = nic.usable ? nic.signature : undefined;
    if (this.current.kind === 'running' && signature === this.signature) return;
    if (this.current.kind === 'waiting' && !nic.usable) return;
    const running = this.service;
    if (running) {
      this.emit(
        'warning',
        nic.usable
          ? `interface ${this.options.ifname} changed: restarting`
          : `${nic.why}: proxying stops until it is back`,
      );
      await running.close();
    }
    this.signature = signature;
    if (!nic.usable) return this.setState({ kind: 'waiting', why: nic.why });
    try {
      const service = await this.start(this.options);
      if (this.closed) return void (await service.close(this.closeOptions));
      service.on('event', (e) => this.emit('event', e));
      service.on('warning', (w) => this.emit('warning', w));
      service.on('store', (p) => this.emit('store', p));
      if (running) this.emit('warning', `interface ${this.options.ifname} is back: proxying again`);
      this.setState({ kind: 'running', service });
    } catch (error) {
      if (this.closed) return;
      // the interface changed under the start (gone between the check and the open): try again
      if (isInterfaceProblem(error)) this.signature = undefined;
      const again = interfaceState(this.options.ifname);
      if (isInterfaceProblem(error) || !again.usable)
        this.setState({ kind: 'waiting', why: again.usable ? (error as Error).message : again.why });
      else this.setState({ kind: 'failed', error: error as Error });
    }
  }

  /** Not narrowed by TypeScript across awaits: close() may have run meanwhile. */
  private get closed(): boolean {
    return this.current.kind === 'closed';
  }

  private setState(state: SupervisorState): void {
    this.current = state;
    this.emit('state', state);
  }
}

/** A start failure that a change of the interface can cure. */
function isInterfaceProblem(error: unknown): boolean {
  const e = error as { part?: string; cause?: unknown };
  if (e.part === 'interface' || e.cause instanceof LinkInterfaceError) return true;
  const code = (e.cause as { code?: string } | undefined)?.code;
  return code === 'no-interface' || code === 'address-not-available' || code === 'ENETDOWN';
}
