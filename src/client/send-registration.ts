// Sends one registration to the chosen proxies in turn, as Apple's client does (sps-protocol.md §1.3,
// §3.2, §3.3): the same message (same ID) up to 3 times 1 s apart to a candidate, then the next
// candidate, within an overall deadline (10 s). A reply counts when it is QR + UPDATE with our ID; unlike
// Apple (which ignores RCODE) a non-zero RCODE moves on to the next candidate, as SPC does. The socket
// and timers are released whatever happens.
import dgram from 'node:dgram';
import { isIpv4 } from '../wire/address';
import { DnsRcode } from '../wire/dns';
import { parseRegistrationReply } from '../wire/sps-registration';

/** MR mDNSCoreReceiveUpdateR: a reply without a Lease option means one hour. */
export const ASSUMED_LEASE = 3600;

export interface ProxyTarget {
  /** For messages: the instance label or "address:port". */
  readonly label: string;
  readonly address: string;
  readonly port: number;
}

export interface SendOptions {
  readonly message: Buffer;
  readonly id: number;
  readonly targets: readonly ProxyTarget[];
  /** Scope for IPv6 link-local targets. */
  readonly ifname: string;
  readonly sendsPerTarget?: number;
  readonly intervalMs?: number;
  readonly deadlineMs?: number;
}

export type SendOutcome =
  | {
      readonly ok: true;
      readonly target: ProxyTarget;
      readonly lease: number;
      readonly leaseInReply: boolean;
    }
  | { readonly ok: false; readonly reason: string };

const rcodeName = (rcode: number): string =>
  Object.entries(DnsRcode).find(([, v]) => v === rcode)?.[0] ?? `RCODE ${rcode}`;

export function sendRegistration(o: SendOptions): Promise<SendOutcome> {
  const sends = o.sendsPerTarget ?? 3;
  const interval = o.intervalMs ?? 1000;
  const sockets = new Map<4 | 6, dgram.Socket>();
  const problems: string[] = [];
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;
  let deadline: NodeJS.Timeout | undefined;

  return new Promise<SendOutcome>((resolve) => {
    const finish = (outcome: SendOutcome): void => {
      clearTimeout(timer);
      clearTimeout(deadline);
      for (const s of sockets.values()) s.close();
      sockets.clear();
      resolve(outcome);
    };
    const fail = (why: string): void => finish({ ok: false, reason: [...problems, why].join('; ') });
    const current = (): ProxyTarget | undefined => o.targets[Math.floor(attempt / sends)];

    const onMessage = (data: Buffer, from: dgram.RemoteInfo): void => {
      const reply = parseRegistrationReply(data);
      if (!reply.ok || reply.value.id !== o.id) return;
      // A late reply from an earlier candidate still counts (Apple does not check the source either).
      const bare = from.address.split('%')[0];
      const target =
        o.targets.find((t) => t.address.split('%')[0] === bare && t.port === from.port) ?? current();
      if (!target) return;
      if (reply.value.rcode !== DnsRcode.NOERROR) {
        problems.push(`${target.label} answered ${rcodeName(reply.value.rcode)}`);
        attempt = (Math.floor(attempt / sends) + 1) * sends - 1; // the next send goes to the next candidate
        clearTimeout(timer);
        step();
        return;
      }
      const lease = reply.value.lease;
      finish({ ok: true, target, lease: lease ?? ASSUMED_LEASE, leaseInReply: lease !== undefined });
    };
    const socketFor = (family: 4 | 6): dgram.Socket => {
      let s = sockets.get(family);
      if (!s) {
        s = dgram.createSocket(family === 4 ? 'udp4' : 'udp6');
        s.on('message', onMessage);
        s.on('error', (err) => problems.push(err.message));
        sockets.set(family, s);
      }
      return s;
    };
    const step = (): void => {
      attempt++;
      const target = current();
      if (!target) return fail('no reply from any sleep proxy');
      const family = isIpv4(target.address) ? 4 : 6;
      const address =
        family === 6 && !target.address.includes('%') ? `${target.address}%${o.ifname}` : target.address;
      socketFor(family).send(o.message, target.port, address, (err) => {
        if (err) problems.push(`${target.label}: ${err.message}`);
      });
      timer = setTimeout(step, interval);
    };

    if (o.targets.length === 0) return fail('no sleep proxy to register with');
    deadline = setTimeout(
      () => fail(`no successful reply within ${o.deadlineMs ?? 10_000} ms`),
      o.deadlineMs ?? 10_000,
    );
    attempt = -1;
    step();
  });
}
