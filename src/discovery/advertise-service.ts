// Publishes one DNS-SD service on one interface: an MdnsResponder (src/core/mdns) fed by an MdnsSocket,
// with one timer. Probing, announcing and conflict renaming happen in the core; this glue sends what it
// produces and reports its events. stop() sends the goodbyes, waits for them to leave, and closes
// the socket and timer.
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { MdnsResponder, ResponderEvent } from '../core/mdns/responder';
import { MdnsSocket } from '../io/mdns-socket';
import { CoreTimer } from './core-timer';
import { instanceLabel, instanceName, serviceRecords, type TxtObject } from '../core/mdns/service-records';
import { DnsType } from '../wire/dns-rdata';

export interface AdvertiseOptions {
  readonly interface?: string;
  readonly ipv6?: boolean;
  /** Instance label, e.g. "Kitchen". */
  readonly name: string;
  /** "_http._tcp". */
  readonly type: string;
  readonly port: number;
  readonly txt?: TxtObject;
  /** Host name (without or with ".local"); the machine's host name by default. */
  readonly host?: string;
  /** Announcements after probing (default 2, RFC 6762 §8.3's minimum: the second follows one second later). */
  readonly announcements?: number;
}

export interface AdvertiseEvents {
  event: [ResponderEvent];
  error: [Error];
}

const GROUP = 'service';

export class AdvertiseService extends EventEmitter<AdvertiseEvents> {
  private readonly responder = new MdnsResponder({ random: Math.random });
  private readonly timer = new CoreTimer((now) => this.pump(() => this.responder.handleTimer(now)));
  private pending: Promise<void>[] = [];

  private constructor(
    private readonly socket: MdnsSocket,
    private options: AdvertiseOptions,
  ) {
    super();
    socket.on('packet', (data, from) => this.pump(() => this.responder.handlePacket(data, from, Date.now())));
    socket.on('error', (err) => this.emit('error', err));
  }

  static async start(options: AdvertiseOptions): Promise<AdvertiseService> {
    const socket = await MdnsSocket.open({ interface: options.interface, ipv6: options.ipv6 });
    const service = new AdvertiseService(socket, options);
    service.publish();
    return service;
  }

  get interfaceName(): string {
    return this.socket.iface.name;
  }

  /** The full instance name now in use (it changes when a conflict renames it). */
  get fqdn(): string {
    const srv = this.responder.records(GROUP)?.find((r) => r.type === DnsType.SRV);
    return srv?.name ?? instanceName(this.options.name, this.options.type);
  }

  get name(): string {
    return instanceLabel(this.fqdn);
  }

  get host(): string {
    const srv = this.responder.records(GROUP)?.find((r) => r.type === DnsType.SRV);
    return srv?.data.kind === 'srv' ? srv.data.target : `${this.options.host ?? hostname()}.local`;
  }

  get phase(): string | undefined {
    return this.responder.phase(GROUP);
  }

  /** Re-publishes with new settings (port, TXT...): probes again, goodbyes for records that went away. */
  update(options: Partial<AdvertiseOptions>): void {
    this.options = { ...this.options, ...options };
    this.publish();
  }

  async stop(): Promise<void> {
    this.timer.stop();
    this.responder.withdraw(GROUP, { goodbye: true }, Date.now());
    this.flush();
    await Promise.all(this.pending);
    await this.socket.close();
  }

  private publish(): void {
    const iface = this.socket.iface;
    const records = serviceRecords({
      name: this.options.name,
      type: this.options.type,
      port: this.options.port,
      txt: this.options.txt,
      host: this.options.host || hostname(),
      addresses: [iface.ipv4, ...(this.options.ipv6 ? iface.ipv6 : [])],
    });
    this.pump(() =>
      this.responder.publish(
        GROUP,
        records,
        { probe: true, announcements: this.options.announcements ?? 2 },
        Date.now(),
      ),
    );
  }

  private pump(action: () => void): void {
    action();
    this.flush();
    this.timer.arm(this.responder.nextTimer());
  }

  private flush(): void {
    for (const out of this.responder.drainOutgoing()) {
      const sent = this.socket.send(out.data, out.to);
      this.pending.push(sent);
      void sent.then(() => (this.pending = this.pending.filter((p) => p !== sent)));
    }
    for (const event of this.responder.drainEvents()) this.emit('event', event);
  }
}
