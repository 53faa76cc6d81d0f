// One running SleepProxyService (one interface) as the config node shares it: started once, watched
// through the config node's ProxyGroup by any number of flow nodes and by the editor's sidebar. It turns
// the service's start failure into a short reason for a red status ("needs CAP_NET_RAW"), remembers each
// sleeper's last wake and why, and closes the service once, even while it is still starting (a redeploy
// during start-up leaves nothing open).
import { EventEmitter } from 'node:events';
import type { ProxyEvent, SleeperView, WakeReason } from '../src/core/events';
import type { HostDescription } from '../src/core/manual-registration';
import type { HostRegistrationOutcome } from '../src/core/options';
import { LinkInterfaceError, LinkPermissionError, LinkUnavailableError } from '../src/io/link';
import type { StoreError, StoreErrorCode } from '../src/io/store';
import type {
  CloseOptions,
  SleepProxyService,
  SleepProxyServiceOptions,
} from '../src/service/sleep-proxy-service';
import { ProxySupervisor } from '../src/service/supervisor';

export type ProxyEventMessage = ProxyEvent & { readonly interface: string };

export type SharedState =
  | { readonly kind: 'starting' }
  /** `problem`: running, but registrations go unanswered (the state directory cannot be written). */
  | { readonly kind: 'running'; readonly problem?: string }
  | { readonly kind: 'failed'; readonly reason: string; readonly error: Error }
  | { readonly kind: 'closed' };

export interface LastWake {
  /** Wall-clock ms. */
  readonly at: number;
  readonly reason: WakeReason;
}

/** A sleeper as the sidebar and `list` show it. */
export type SleeperRow = SleeperView & { readonly lastWake?: LastWake };

export interface SharedProxyEvents {
  state: [state: SharedState];
  event: [event: ProxyEventMessage];
  warning: [message: string];
}

/**
 * The message for one engine event: the sleeper as payload, the event's own detail beside it; for
 * `refused` (no sleeper), { interface, reason, source, hostMac?, addresses? }.
 */
export function eventMessage(event: ProxyEventMessage): { topic: string; payload: Record<string, unknown> } {
  if (event.type === 'refused') {
    const { type, ...refusal } = event;
    return { topic: type, payload: structuredClone(refusal) };
  }
  const { type, sleeper, interface: _ifname, ...detail } = event;
  const from = 'reason' in event && 'from' in event.reason ? event.reason.from : undefined;
  // A copy per message: flow nodes sharing the proxy must not see each other's changes.
  return {
    topic: type,
    payload: structuredClone({ ...sleeper, ...detail, ...(from ? { waker: from } : {}) }),
  };
}

/** A short text for a status dot: what the user must fix. */
export function failureReason(error: unknown, ifname: string): string {
  const cause = (error as { cause?: unknown }).cause ?? error;
  if (cause instanceof LinkPermissionError) return 'needs CAP_NET_RAW';
  if (cause instanceof LinkInterfaceError) return `no interface ${ifname}`;
  if (cause instanceof LinkUnavailableError) return 'link addon not built';
  const part = (error as { part?: string }).part;
  const text = (error as Error).message ?? String(error);
  return part === 'interface' ? `no interface ${ifname}` : part ? `${part}: ${text}` : text;
}

const STORE_PROBLEMS: Readonly<Record<StoreErrorCode, string>> = {
  'read-only': 'state directory read-only',
  full: 'state directory full',
  permission: 'state directory not writable',
  io: 'state directory failing',
  closed: 'state directory failing',
  busy: 'state directory in use by another proxy',
};

function runningState(problem: StoreError | undefined): SharedState {
  return problem ? { kind: 'running', problem: STORE_PROBLEMS[problem.code] } : { kind: 'running' };
}

export class SharedProxy extends EventEmitter<SharedProxyEvents> {
  private current: SharedState = { kind: 'starting' };
  private readonly lastWakes = new Map<string, LastWake>();
  private readonly supervisor: ProxySupervisor;

  constructor(
    private readonly options: SleepProxyServiceOptions,
    start?: (o: SleepProxyServiceOptions) => Promise<SleepProxyService>,
  ) {
    super();
    // The supervisor restarts the service when the interface comes back or changes (supervisor.ts).
    this.supervisor = new ProxySupervisor(options, start);
    this.supervisor.on('event', (e) => this.onEvent(e));
    this.supervisor.on('warning', (w) => this.emit('warning', w));
    this.supervisor.on('store', (problem) => this.setState(runningState(problem)));
    this.supervisor.on('state', (state) => {
      if (state.kind === 'running') this.setState(runningState(state.service.storeProblem));
      else if (state.kind === 'waiting')
        this.setState({ kind: 'failed', reason: state.why, error: new Error(state.why) });
      else if (state.kind === 'failed')
        this.setState({
          kind: 'failed',
          reason: failureReason(state.error, options.ifname),
          error: state.error,
        });
    });
  }

  private get service(): SleepProxyService | undefined {
    return this.supervisor.service;
  }

  get ifname(): string {
    return this.options.ifname;
  }

  get state(): SharedState {
    return this.current;
  }

  /** Resolves once started or failed (never rejects). */
  ready(): Promise<void> {
    return this.supervisor.ready();
  }

  list(): SleeperRow[] {
    return (this.service?.list() ?? []).map((s) => this.row(s));
  }

  /** Starts waking `target` (name, MAC or address); undefined when no such sleeper or not running. */
  wake(target: string): SleeperRow | undefined {
    const view = this.running().wake(target);
    return view && this.row(view);
  }

  release(target: string): SleeperRow | undefined {
    const view = this.running().release(target);
    return view && this.row(view);
  }

  /** Proxies a host described by a flow (validated with describeHost); throws when not running. */
  sleep(host: HostDescription): HostRegistrationOutcome {
    return this.running().sleep(host);
  }

  /** Throws why commands cannot be carried out now (failed, starting, closed). */
  ensureRunning(): void {
    this.running();
  }

  /** Closes the service (after its start, if still starting): the journal keeps the sleepers unless handing over. */
  async close(options: CloseOptions = {}): Promise<void> {
    if (this.current.kind === 'closed') return;
    this.setState({ kind: 'closed' });
    await this.supervisor.close(options);
    this.removeAllListeners();
  }

  private running(): SleepProxyService {
    if (this.service) return this.service;
    const state = this.current;
    throw new Error(
      state.kind === 'failed'
        ? `sleep proxy on ${this.ifname} is not running: ${state.reason}`
        : `sleep proxy on ${this.ifname} is ${state.kind === 'closed' ? 'closed' : 'still starting'}`,
    );
  }

  private row(view: SleeperView): SleeperRow {
    const lastWake = this.lastWakes.get(view.key);
    return lastWake ? { ...view, lastWake } : view;
  }

  private onEvent(event: ProxyEventMessage): void {
    if (event.type === 'wake')
      this.lastWakes.set(event.sleeper.key, { at: Date.now(), reason: event.reason });
    if (event.type === 'expired' || event.type === 'released') this.lastWakes.delete(event.sleeper.key);
    this.emit('event', event);
  }

  private setState(state: SharedState): void {
    this.current = state;
    this.emit('state', state);
  }
}
