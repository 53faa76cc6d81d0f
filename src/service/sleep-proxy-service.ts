// The composition root of one interface (ARCHITECTURE.md "Layers"): opens the link socket, the
// registration socket, the mDNS socket and the journal, feeds every input to the SleepProxy engine and
// the mDNS responder with the wall clock as `now`, carries out their actions in order, keeps one timer
// at the earliest time either needs, and releases everything on close.
//
// Rules it keeps: a registration is answered only after its journal entry is fsynced (a refused or
// failed write means silence, so the client tries another proxy); the Owner option of an mDNS packet
// is processed by the engine before the responder answers it; no input handler throws out of a socket
// callback (failures become 'warning' events and counters).
import { EventEmitter } from 'node:events';
import { networkInterfaces, hostname } from 'node:os';
import type { CaptureSet, ProxyAction } from '../core/actions';
import type { ProxyEvent, RefusedEvent, SleeperView, WakeReason } from '../core/events';
import { MdnsResponder } from '../core/mdns/responder';
import type { ProxySnapshot } from '../core/snapshot';
import {
  type HostRegistrationOutcome,
  type ProxyCounters,
  SleepProxy,
  type SleepProxyOptions,
} from '../core/sleep-proxy';
import type { HostDescription } from '../core/manual-registration';
import type { WatchPolicy } from '../core/watch';
import { BlackholeRoutes, NET_ADMIN_FIX, readKernelSettings } from '../io/kernel';
import {
  type AnswererStats,
  compileFilter,
  interfaceInfo,
  type NeighbourAnswerer,
  openAnswerer,
  openLink,
  PACKET_HOST,
  type LinkSocket,
  type LinkStats,
} from '../io/link';
import { MdnsSocket } from '../io/mdns-socket';
import { openRegistrationSocket, type RegistrationSocket } from '../io/registration-socket';
import { parseDnsMessage } from '../wire/dns';
import { encodeUdpFrame } from '../wire/frame';
import { BROADCAST_MAC, isIpv4 } from '../wire/address';
import type { SpsNameRepr } from '../wire/sps-name';
import type { AllowList } from './allow-list';
import { captureMatchers, unicastMdns } from './capture-filter';
import { sleeperMdnsRecords, spsAdvertisement } from './mdns-records';
import { StoreError, type JournalDamage } from '../io/store';
import { GuardedStore } from './guarded-store';
import { RegistryStore } from './registry-store';

/** The registration port we advertise in the SRV record (Apple picks an ephemeral one; any works). */
export const DEFAULT_REGISTRATION_PORT = 5354;
/** sps-protocol.md §1.5: a dedicated, non-portable, low-power box. */
export const DEFAULT_METRIC: Omit<SpsNameRepr, 'prettyName'> = {
  intent: 20,
  portability: 35,
  marginalPower: 10,
  totalPower: 67,
  features: 1,
};
const OWN_GROUP = 'sleep-proxy';
const ADDRESS_GROUP_SUFFIX = '#addresses';

export interface SleepProxyServiceOptions {
  readonly ifname: string;
  /** Where the registry journal lives (the Node-RED user directory inside Node-RED). */
  readonly stateDir: string;
  readonly port?: number;
  /** The human-readable part of the instance name. */
  readonly name?: string;
  readonly metric?: Omit<SpsNameRepr, 'prettyName'>;
  /** Host label of our own A/AAAA records (default: this machine's host name). */
  readonly hostName?: string;
  readonly limits?: SleepProxyOptions['limits'];
  readonly policy?: SleepProxyOptions['policy'];
  /** Which hosts may register (see allow-list.ts); others get silence, so they try another proxy.
   * Shorthand for policy.allowSubnets / policy.allowMacs. */
  readonly allow?: AllowList;
  /** Hosts without a Bonjour client, taken over once silent (src/core/watch.ts). */
  readonly watch?: { readonly hosts: readonly HostDescription[]; readonly policy?: Partial<WatchPolicy> };
  /**
   * ARP and NDP answers from the native answerer thread (default true), as fast as the kernel's own;
   * false (or an answerer that cannot start) leaves them to the engine in JavaScript.
   */
  readonly nativeAnswers?: boolean;
}

export interface CloseOptions {
  /** Wake and forget every sleeper (the proxy is switched off for good); default: keep them on disk. */
  readonly handOver?: boolean;
}

export interface ServiceEvents {
  event: [event: ProxyEvent & { readonly interface: string }];
  warning: [message: string];
  /** The state directory cannot be written (registrations go unanswered), or can again (undefined). */
  store: [problem: StoreError | undefined];
}

/** A start failure the owner shows as a red status: which part could not start, and why. */
export class ServiceStartError extends Error {
  override name = 'ServiceStartError';
  constructor(
    readonly part: 'link' | 'registration' | 'mdns' | 'interface',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class SleepProxyService extends EventEmitter<ServiceEvents> {
  private timer: NodeJS.Timeout | undefined;
  private registration: RegistrationSocket | undefined;
  private closed = false;
  private blackholeWarned = false;
  private forwarding = false;
  private readonly refusedSources = new Set<string>();
  private startNotes: NodeJS.Immediate | undefined;
  /** Registrations not answered because the state directory could not be written. */
  private unstored = 0;
  /** The capture set to install once this turn of the event loop is over (undefined: none pending). */
  private pendingCapture: CaptureSet | undefined;

  private constructor(
    readonly ifname: string,
    private readonly engine: SleepProxy,
    private readonly responder: MdnsResponder,
    private readonly store: GuardedStore,
    private readonly link: LinkSocket,
    private readonly mdns: MdnsSocket,
    private readonly routes: BlackholeRoutes,
    /** Our addresses on the interface: unicast mDNS to them comes through the link capture. */
    private readonly own: readonly string[],
    private readonly answerer: NeighbourAnswerer | undefined,
  ) {
    super();
  }

  /** Starts proxying on one interface; rejects with a ServiceStartError, having released what it opened. */
  static async start(options: SleepProxyServiceOptions): Promise<SleepProxyService> {
    const { ifname } = options;
    const opened: { close(): unknown }[] = [];
    const step = async <T>(part: ServiceStartError['part'], open: () => T | Promise<T>): Promise<T> => {
      try {
        const resource = await open();
        if (isClosable(resource)) opened.push(resource);
        return resource;
      } catch (error) {
        throw error instanceof ServiceStartError
          ? error
          : new ServiceStartError(part, (error as Error).message, { cause: error });
      }
    };
    try {
      const nic = await step('interface', () => interfaceInfo(ifname));
      const addresses = networkInterfaces()[ifname] ?? [];
      const ipv4 = addresses.find((a) => a.family === 'IPv4')?.address;
      const ipv6LinkLocal = addresses.find(
        (a) => a.family === 'IPv6' && a.address.startsWith('fe80:'),
      )?.address;
      // A state directory we cannot write does not stop the proxy: it serves what it could read and
      // refuses registrations until the directory is writable again (guarded-store.ts).
      const stored = await RegistryStore.open(options.stateDir, ifname);
      if (stored.ok) opened.push(stored.store);
      const replay = stored.ok ? stored : (stored.recovered ?? { snapshot: undefined, dropped: 0 });
      const own = [ipv4, ipv6LinkLocal].filter((a): a is string => a !== undefined);
      const link = await step('link', () =>
        openLink(ifname, { filter: compileFilter(captureMatchers(undefined, own)) }),
      );
      const native = options.nativeAnswers === false ? undefined : startAnswerer(ifname);
      if (native?.answerer) opened.push(native.answerer);
      const mdns = await step('mdns', () =>
        MdnsSocket.open({ interface: ifname, ipv6: ipv6LinkLocal !== undefined, multicastOnly: true }),
      );
      const engine = new SleepProxy({
        ifname,
        mac: nic.mac,
        ipv4,
        ipv6LinkLocal,
        // Registrations come from the link: the subnets of every address of the interface.
        subnets: addresses.map((a) => a.cidr).filter((c): c is string => c !== null),
        limits: options.limits,
        policy: {
          ...options.policy,
          ...(options.allow && { allowSubnets: options.allow.subnets, allowMacs: options.allow.macs }),
        },
        nativeAnswers: native?.answerer !== undefined,
      });
      const routes = new BlackholeRoutes();
      opened.push(routes);
      const store = new GuardedStore(
        options.stateDir,
        ifname,
        stored.ok ? stored.store : undefined,
        stored.ok ? undefined : stored.error,
        () => engine.snapshot(),
        stored.ok || stored.recovered ? undefined : (replay) => service.restoreLate(replay),
      );
      opened.push(store);
      const service = new SleepProxyService(
        ifname,
        engine,
        new MdnsResponder({ random: Math.random }),
        store,
        link,
        mdns,
        routes,
        own,
        native?.answerer,
      );
      // After start() resolved, when the owner listens.
      if (native?.error) setImmediate(() => service.warn(native.error ?? ''));
      const kernel = await readKernelSettings(ifname);
      service.forwarding =
        kernel.ok && (kernel.value.blackholesNeeded.ipv4 || kernel.value.blackholesNeeded.ipv6);
      if (service.forwarding) await routes.flushStale(); // what a killed run of ours left behind
      service.wire();
      const restored = replay.snapshot ? engine.restore(replay.snapshot, Date.now()) : undefined;
      const notes = startNotes(options.stateDir, store.problem, stored.ok ? stored.damage : [], {
        dropped: replay.dropped + (restored?.droppedSleepers ?? 0),
        droppedRecords: restored?.droppedRecords ?? 0,
      });
      if (options.watch?.hosts.length)
        engine.watch(options.watch.hosts, options.watch.policy ?? {}, Date.now());
      const registration = await step('registration', () =>
        openRegistrationSocket({
          ifname,
          port: options.port ?? DEFAULT_REGISTRATION_PORT,
          onDatagram: (data, from, reply) => service.onRegistration(data, from, reply),
          onError: (error) => service.warn(`registration socket: ${error.message}`),
        }),
      );
      if (registration.local.length === 0) {
        throw new ServiceStartError('registration', `no address to listen on for registrations on ${ifname}`);
      }
      service.registration = registration;
      service.responder.publish(
        OWN_GROUP,
        spsAdvertisement({
          metric: options.metric ?? DEFAULT_METRIC,
          prettyName: options.name ?? 'Node-RED Sleep Proxy',
          hostName: options.hostName ?? hostname().split('.')[0],
          port: registration.port,
          addresses: own,
        }),
        { probe: true, announcements: 2 },
        Date.now(),
      );
      service.pump();
      // after start() resolved, once its caller had the chance to listen
      service.startNotes = setImmediate(() => {
        for (const note of notes) service.warn(note);
        if (store.problem) service.emit('store', store.problem);
      });
      return service;
    } catch (error) {
      await Promise.all(opened.map((r) => r.close()));
      throw error;
    }
  }

  /** The native answerer's counters (undefined when the engine answers in JavaScript). */
  answererStats(): AnswererStats | undefined {
    return this.answerer?.stats();
  }

  /** The link socket's counters: how many frames the kernel filter let through to JavaScript. */
  linkStats(): LinkStats {
    return this.link.stats();
  }

  /** The engine's drop and refusal counters (a copy). */
  counters(): ProxyCounters {
    return structuredClone(this.engine.counters);
  }

  /** The registry of a state directory that was unreadable at start and can be read now. */
  private restoreLate(replay: ProxySnapshot): void {
    this.engine.restore(replay, Date.now());
    this.pump();
  }

  /** Why the state directory cannot be written now (registrations go unanswered); undefined when fine. */
  get storeProblem(): StoreError | undefined {
    return this.store.problem;
  }

  get port(): number {
    return this.registration?.port ?? 0;
  }

  list(): SleeperView[] {
    return this.engine.list(Date.now());
  }

  wake(target: string, reason: WakeReason = { kind: 'command' }): SleeperView | undefined {
    const view = this.engine.wake(target, reason, Date.now());
    this.pump();
    return view;
  }

  release(target: string): SleeperView | undefined {
    const view = this.engine.release(target, Date.now());
    this.pump();
    return view;
  }

  /** Proxies a host without a Bonjour client (validated with describeHost); see SleepProxy.registerHost. */
  sleep(host: HostDescription): HostRegistrationOutcome {
    const outcome = this.engine.registerHost(host, Date.now());
    this.pump();
    return outcome;
  }

  /**
   * Stops answering and releases every socket, timer and route. By default the registry stays on disk
   * for the next start (a restart, a redeploy); with `handOver` the proxy is going away for good: every
   * sleeper is woken once, so that it registers with another proxy, and forgotten (SleepProxy.handOver),
   * the wake frames sent before the link closes and the journal deletes durable before it resolves.
   */
  async close(options: CloseOptions = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    if (options.handOver) {
      this.engine.handOver(Date.now());
      await this.flush().catch(() => undefined); // flush() warned already
    }
    clearImmediate(this.startNotes);
    this.responder.withdraw(OWN_GROUP, { goodbye: true }, Date.now());
    await Promise.all(this.responder.drainOutgoing().map((o) => this.mdns.send(o.data, o.to)));
    this.link.close();
    this.answerer?.close();
    await Promise.all([this.registration?.close(), this.mdns.close(), this.routes.close()]);
    await this.store.close();
  }

  private wire(): void {
    this.link.on('frame', (frame, info) => {
      const mdns = info.packetType === PACKET_HOST ? unicastMdns(frame, this.own) : undefined;
      if (mdns) this.onMdns(mdns.payload, mdns.from);
      else this.engine.handleFrame(frame, Date.now(), { checksumPartial: info.checksumPartial });
      this.pump();
    });
    this.link.on('error', (error) => this.warn(`link ${this.ifname}: ${error.message}`));
    this.store.on('state', (problem) => {
      if (problem)
        this.warn(`${problem.message}: registrations are not answered until the state directory is writable`);
      else this.warn(`state directory writable again (${this.unstored} registrations went unanswered)`);
      this.emit('store', problem);
    });
    this.mdns.on('packet', (data, from) => {
      this.onMdns(data, from);
      this.pump();
    });
    this.mdns.on('error', (error) => this.warn(`mDNS ${this.ifname}: ${error.message}`));
  }

  private onMdns(data: Buffer, from: { address: string; port: number }): void {
    const now = Date.now();
    const parsed = parseDnsMessage(data);
    this.engine.handleMdns(data, from, now, parsed); // Owner options first (sps-protocol.md §4.2)
    this.responder.handlePacket(data, from, now, parsed);
  }

  private onRegistration(
    data: Buffer,
    from: { address: string; port: number },
    reply: (b: Buffer) => void,
  ): void {
    // Not durable, not answered: silence, so the client registers with another proxy.
    if (this.store.problem) return void this.unstored++;
    const outcome = this.engine.handleRegistration(data, from, Date.now());
    const persisted = this.pump();
    if (!outcome.reply) return;
    const answer = outcome.reply;
    persisted.then(
      () => {
        if (!this.closed) reply(answer);
      },
      () => {
        this.unstored++;
        // the client will look elsewhere: a new sleeper we could not store is not ours to proxy
        const { hostMac, newHost } = outcome;
        if (newHost && hostMac && !this.closed) this.release(hostMac);
      },
    );
  }

  /** One log line per refused source (capped), so a host retrying every few seconds cannot flood the log. */
  private logRefusal(event: RefusedEvent): void {
    if (this.refusedSources.has(event.source) || this.refusedSources.size >= 64) return;
    this.refusedSources.add(event.source);
    const who = event.hostMac ? ` (${event.hostMac})` : '';
    this.warn(`registration from ${event.source}${who} refused, not answered: ${event.reason}`);
  }

  /**
   * Carries out what the engine and the responder asked for, re-arms the timer and emits events.
   * Resolves when the journal entries of this round are on disk; rejects if one could not be written.
   */
  private pump(): Promise<void> {
    if (this.closed) return Promise.resolve();
    const done = this.flush();
    this.arm();
    return done;
  }

  /** pump() without the timer: actions, mDNS output, events; resolves when the journal writes are durable. */
  private flush(): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const action of this.engine.drainActions()) {
      try {
        const write = this.carryOut(action);
        if (write) writes.push(write);
      } catch (error) {
        this.warn(`${action.type}: ${(error as Error).message}`);
      }
    }
    for (const out of this.responder.drainOutgoing()) void this.mdns.send(out.data, out.to);
    for (const event of this.engine.drainEvents()) {
      if (event.type === 'refused') this.logRefusal(event);
      this.emit('event', { ...event, interface: this.ifname });
    }
    this.responder.drainEvents();
    const done = Promise.all(writes).then(() => undefined);
    // a StoreError turned the store failing, which said so once ('store' event)
    done.catch((error: Error) => {
      if (!(error instanceof StoreError)) this.warn(`state directory: ${error.message}`);
    });
    return done;
  }

  private carryOut(action: ProxyAction): Promise<void> | undefined {
    const now = Date.now();
    switch (action.type) {
      case 'send-frame':
        this.link.send(action.frame);
        return undefined;
      case 'send-udp':
        this.link.send(
          encodeUdpFrame({
            srcMac: this.link.mac,
            dstMac: BROADCAST_MAC,
            src: this.own.find(isIpv4) ?? '0.0.0.0',
            dst: action.to,
            srcPort: action.port,
            dstPort: action.port,
            payload: action.payload,
          }),
        );
        return undefined;
      case 'capture':
        // A burst of registrations (a proxy restart, many sleepers at once) compiles the filter once.
        if (!this.pendingCapture) setImmediate(() => this.installCapture());
        this.pendingCapture = action.set;
        return undefined;
      case 'answer':
        this.answerer?.set({ mac: this.link.mac, ...action.set });
        return undefined;
      case 'join-multicast':
        this.link.addMulticast(action.mac);
        return undefined;
      case 'leave-multicast':
        this.link.dropMulticast(action.mac);
        return undefined;
      case 'publish':
        this.responder.publish(
          action.sleeper,
          sleeperMdnsRecords(action.records),
          { probe: false, announcements: 2 },
          now,
        );
        this.responder.publish(
          action.sleeper + ADDRESS_GROUP_SUFFIX,
          sleeperMdnsRecords(action.addressRecords),
          { probe: false, announcements: 0 },
          now,
        );
        return undefined;
      case 'withdraw':
        if (action.goodbye && action.records) {
          // The responder forgot them when the wake began: hand them back just to say goodbye.
          this.responder.publish(
            action.sleeper,
            sleeperMdnsRecords(action.records),
            { probe: false, announcements: 0 },
            now,
          );
        }
        this.responder.withdraw(action.sleeper, { goodbye: action.goodbye }, now);
        this.responder.withdraw(action.sleeper + ADDRESS_GROUP_SUFFIX, { goodbye: false }, now);
        return undefined;
      case 'persist':
        return this.store.append(action.entry);
      case 'blackhole':
        if (this.forwarding) void this.blackhole(action.address, action.add);
        return undefined;
    }
  }

  private installCapture(): void {
    const set = this.pendingCapture;
    this.pendingCapture = undefined;
    if (this.closed || !set) return;
    try {
      this.link.setFilter(compileFilter(captureMatchers(set, this.own, this.answerer !== undefined)));
    } catch (error) {
      this.warn(`capture: ${(error as Error).message}`);
    }
  }

  private async blackhole(address: string, add: boolean): Promise<void> {
    const result = add ? await this.routes.add(address) : await this.routes.remove(address);
    if (!result.ok && !this.blackholeWarned) {
      this.blackholeWarned = true;
      this.warn(
        `IP forwarding is on and a blackhole route for ${address} failed: ${result.error.message}. ${NET_ADMIN_FIX}`,
      );
    }
  }

  private arm(): void {
    clearTimeout(this.timer);
    const next = [this.engine.nextTimer(), this.responder.nextTimer()].filter(
      (t): t is number => t !== undefined,
    );
    if (next.length === 0) return;
    this.timer = setTimeout(
      () => {
        const now = Date.now();
        this.engine.handleTimer(now);
        this.responder.handleTimer(now);
        this.pump();
      },
      Math.max(0, Math.min(...next) - Date.now()),
    );
  }

  private warn(message: string): void {
    this.emit('warning', message);
  }
}

/** The native answerer, or why the engine answers ARP/NDP in JavaScript instead. */
function startAnswerer(ifname: string): { answerer?: NeighbourAnswerer; error?: string } {
  try {
    return { answerer: openAnswerer(ifname) };
  } catch (error) {
    return {
      error: `native ARP/NDP answerer unavailable, answering from JavaScript: ${(error as Error).message}`,
    };
  }
}

function isClosable(value: unknown): value is { close(): unknown } {
  return typeof (value as { close?: unknown } | undefined)?.close === 'function';
}

/** What a start has to say about the state directory: damage found, entries dropped, a write problem. */
function startNotes(
  dir: string,
  problem: StoreError | undefined,
  damage: readonly JournalDamage[],
  dropped: { dropped: number; droppedRecords: number },
): string[] {
  const notes = damage.map(
    (d) =>
      `state directory ${dir}: ${d.kind} ${d.file} from byte ${d.offset} (${d.bytes} bytes) dropped${d.savedAs ? `, saved as ${d.savedAs}` : ''}`,
  );
  if (dropped.dropped + dropped.droppedRecords > 0)
    notes.push(
      `state directory ${dir}: ${dropped.dropped} unreadable sleepers or entries and ${dropped.droppedRecords} records dropped`,
    );
  if (problem)
    notes.push(`${problem.message}: registrations are not answered until the state directory is writable`);
  return notes;
}
