// A host of the test LAN: its addresses, plus sleep()/wake() that simulate suspend the way
// lan.sh does. Asleep = an nftables netdev table dropping everything at eth0's ingress and egress
// hooks: link, addresses, sockets and the bridge's MAC table stay as they were, processes keep
// running, and a capture on eth0 still sees arriving frames (taps run before the ingress hook),
// so a Wake-on-LAN magic packet remains observable.
import { checked } from './exec';
import { announceCommand } from './announce';
import { HOST_IFNAME, IPV4_PREFIX, IPV6_PREFIX, type HostAddressing } from './addressing';
import { NsEndpoint, type EndpointOwner } from './endpoint';

const SLEEP_TABLE = 'sps_sleep';

export interface WakeOptions {
  /** Send gratuitous ARP + unsolicited NA like a waking host (default true; needs python3). */
  readonly announce?: boolean;
}

// The address fields are HostAddressing's, copied in by the constructor (declaration merging,
// so the list is written once).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface LanHost extends HostAddressing {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class LanHost extends NsEndpoint {
  readonly ifname = HOST_IFNAME;
  readonly ipv4Prefix = IPV4_PREFIX;
  readonly ipv6Prefix = IPV6_PREFIX;
  private asleep = false;

  constructor(owner: EndpointOwner, addressing: HostAddressing) {
    super(owner, addressing.ns, HOST_IFNAME);
    Object.assign(this, addressing);
  }

  get isAsleep(): boolean {
    return this.asleep;
  }

  /** Makes the host deaf and mute on its NIC (idempotent). Needs nft (Debian: nftables). */
  async sleep(): Promise<void> {
    const rules = `table netdev ${SLEEP_TABLE} {
      chain in { type filter hook ingress device ${this.ifname} priority -500; policy drop; }
      chain out { type filter hook egress device ${this.ifname} priority -500; policy drop; }
    }\n`;
    await this.checkedExec('nft', ['-f', '-'], rules);
    this.asleep = true;
  }

  /** Undoes sleep() and, unless told otherwise, announces the host's addresses. */
  async wake(opts: WakeOptions = {}): Promise<void> {
    const r = await this.exec('nft', ['delete', 'table', 'netdev', SLEEP_TABLE]);
    if (r.code !== 0 && !/No such file|does not exist/i.test(r.stderr)) {
      throw new Error(`${this.name}: nft delete table: ${r.stderr.trim()}`);
    }
    this.asleep = false;
    if (opts.announce === false) return;
    const cmd = announceCommand(this.ifname, this.mac, this.ipv4, [this.ipv6, this.linkLocal]);
    if (!cmd) throw new Error(`${this.name}: wake announcements need python3 (or wake({ announce: false }))`);
    await this.checkedExec(cmd[0], cmd[1]);
  }

  private async checkedExec(cmd: string, args: readonly string[], input?: string): Promise<string> {
    this.owner.assertLive();
    const [file, argv] = this.owner.context.inNs(this.ns, cmd, args);
    return checked(file, argv, { input });
  }
}
