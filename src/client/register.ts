// One registration of this host on one interface: discover proxies and own services, rank the proxies
// (choose-sps), build the UPDATE (registration-request) with the Owner from the interface MAC and the
// stored seq, and send it (send-registration). Returns what happened; never leaves a socket open.
import { randomInt } from 'node:crypto';
import { isIpv4 } from '../wire/address';
import type { OwnerRepr } from '../wire/edns';
import { encodeRegistration } from '../wire/sps-registration';
import type { ServiceInstance } from '../discovery/browse-cache';
import { chooseSps } from './choose-sps';
import { discover } from './discover';
import type { HostInterface } from './host-interface';
import { registrationRequest, type ClientService } from '../core/registration-request';
import { sendRegistration, type ProxyTarget, type SendOutcome } from './send-registration';

export interface RegisterOptions {
  readonly hostname: string;
  readonly seq: number;
  readonly lease: number;
  /** SecureOn password, 4 or 6 bytes. */
  readonly password?: Buffer;
  /** Services given by hand, added to the ones found. */
  readonly services: readonly ClientService[];
  /** Look for this host's services via mDNS. */
  readonly browseServices: boolean;
  /** A proxy given by hand: no proxy browsing. */
  readonly proxy?: ProxyTarget;
  readonly browseMs: number;
  readonly deadlineMs: number;
}

export interface RegisterResult {
  readonly ifname: string;
  readonly outcome: SendOutcome;
  readonly addresses: readonly string[];
  readonly services: readonly string[];
  /** Proxies seen, best first as tried. */
  readonly candidates: readonly string[];
}

/** Apple's client uses the A answer; a 169.254 address only if nothing better, IPv6 only link-local. */
function targetOf(p: ServiceInstance): ProxyTarget | undefined {
  const v4 = p.addresses.filter(isIpv4);
  const address =
    v4.find((a) => !a.startsWith('169.254.')) ?? v4[0] ?? p.addresses.find((a) => /^fe[89ab]/i.test(a));
  return address ? { label: p.name, address, port: p.port } : undefined;
}

export function ownerFor(mac: string, seq: number, password?: Buffer): OwnerRepr {
  if (!password) return { version: 0, seq, hostMac: mac, wakeMac: mac };
  const padded = Buffer.alloc(6);
  password.copy(padded);
  return {
    version: 0,
    seq,
    hostMac: mac,
    wakeMac: mac,
    password: padded,
    length: password.length === 4 ? 18 : 20,
  };
}

export async function registerInterface(iface: HostInterface, o: RegisterOptions): Promise<RegisterResult> {
  const found = await discover({
    ifname: iface.name,
    hostname: o.hostname,
    browseMs: o.browseMs,
    proxies: o.proxy === undefined,
    services: o.browseServices,
  });
  const ranked = chooseSps(found.proxies, (p) => p.name);
  const targets = o.proxy
    ? [o.proxy]
    : ranked.map((r) => targetOf(r.candidate)).filter((t): t is ProxyTarget => t !== undefined);
  const services: ClientService[] = [
    ...found.services.map((s) => ({ name: s.name, type: s.type, port: s.port, txt: s.txt })),
    ...o.services,
  ];
  const addresses = [...iface.ipv4, ...iface.ipv6];
  const id = randomInt(1, 0x10000);
  const request = registrationRequest({
    id,
    hostname: o.hostname,
    addresses,
    services,
    owner: ownerFor(iface.mac, o.seq, o.password),
    lease: o.lease,
  });
  const outcome = await sendRegistration({
    message: encodeRegistration(request),
    id,
    targets,
    ifname: iface.name,
    deadlineMs: o.deadlineMs,
  });
  return {
    ifname: iface.name,
    outcome,
    addresses,
    services: services.map((s) => `${s.name}.${s.type.replace(/\.local$/i, '')}:${s.port}`),
    candidates: targets.map((t) => t.label),
  };
}
