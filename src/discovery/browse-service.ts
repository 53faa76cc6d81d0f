// Browses DNS-SD services on one interface: a BrowseCache fed by an MdnsSocket, with one timer.
// Emits each BrowseEvent ('up', 'update', 'down', 'type'); list() is what is known now. stop() closes
// the socket and the timer.
import { EventEmitter } from 'node:events';
import { MdnsSocket } from '../io/mdns-socket';
import { BrowseCache, BrowseEvent, ServiceInstance } from './browse-cache';
import { CoreTimer } from './core-timer';

export interface BrowseOptions {
  readonly interface?: string;
  readonly ipv6?: boolean;
  /** Service types ("_http._tcp"); empty = all. */
  readonly types: readonly string[];
}

export interface BrowseServiceEvents {
  event: [BrowseEvent];
  error: [Error];
}

export class BrowseService extends EventEmitter<BrowseServiceEvents> {
  private readonly cache: BrowseCache;
  private readonly timer = new CoreTimer((now) => this.pump(() => this.cache.handleTimer(now)));

  private constructor(
    private readonly socket: MdnsSocket,
    options: BrowseOptions,
  ) {
    super();
    this.cache = new BrowseCache(options.types, Date.now());
    socket.on('packet', (data) => this.pump(() => this.cache.handlePacket(data, Date.now())));
    socket.on('error', (err) => this.emit('error', err));
  }

  static async start(options: BrowseOptions): Promise<BrowseService> {
    const socket = await MdnsSocket.open({ interface: options.interface, ipv6: options.ipv6 });
    const service = new BrowseService(socket, options);
    service.pump(() => service.cache.handleTimer(Date.now()));
    return service;
  }

  get interfaceName(): string {
    return this.socket.iface.name;
  }

  list(): ServiceInstance[] {
    return this.cache.list();
  }

  async stop(): Promise<void> {
    this.timer.stop();
    await this.socket.close();
  }

  private pump(action: () => void): void {
    action();
    for (const query of this.cache.drainQueries()) void this.socket.send(query, 'multicast');
    for (const event of this.cache.drainEvents()) this.emit('event', event);
    this.timer.arm(this.cache.nextTimer());
  }
}
