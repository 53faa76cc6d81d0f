// A host without a Bonjour client, described by a flow (the `sleep` command) or the config node,
// turned into the records a registration from it would carry (issue 7): per address an A/AAAA for
// <name>.local and a cache-flush reverse PTR (so the address is probed before it is taken over, like a
// macOS registration), and per named service the `_services` and type PTRs, SRV and TXT, built by the
// same code as our own client's UPDATE (src/client/registration-request.ts). Bare `ports` wake the host
// on a TCP SYN but are not advertised: there is no service name to advertise them under.
//
// Pure. describeHost() validates untrusted input (a flow message) and says what is wrong in words a
// flow author can act on; manualRegistration() never fails on a validated description.
import { registrationRequest } from './registration-request';
import { isServiceType, type TxtObject } from './mdns/service-records';
import { ipv4ToString, ipv6ToString, isIpv4, normalizeIpv6, normalizeMac } from '../wire/address';
import { parseReverseName } from '../wire/dns-name';
import { canonicalRdata, DnsType } from '../wire/dns-rdata';
import type { OwnerRepr } from '../wire/edns';
import type { ProxiedAddress, SpsRecord } from '../wire/sps-registration';
import { parseSecureOnPassword } from '../wire/wol';

/** What a Bonjour client would ask for (uDNS.h DEFAULT_UPDATE_LEASE), seconds. */
export const DEFAULT_MANUAL_LEASE = 7200;

export interface HostService {
  readonly name: string;
  /** "_smb._tcp" (".local" optional). */
  readonly type: string;
  readonly port: number;
  readonly txt?: TxtObject;
}

export interface HostDescription {
  /** Host name, with or without ".local". */
  readonly name: string;
  readonly mac: string;
  readonly wakeMac: string;
  /** IPv4 and IPv6 text (scope suffix dropped). */
  readonly addresses: readonly string[];
  /** TCP ports a SYN to wakes the host; not advertised. */
  readonly ports: readonly number[];
  readonly services: readonly HostService[];
  /** SecureOn password, 6 bytes. */
  readonly password?: Buffer;
  /** Seconds. */
  readonly lease: number;
}

export interface ManualRegistration {
  readonly owner: OwnerRepr;
  readonly lease: number;
  readonly records: readonly SpsRecord[];
  readonly proxiedAddresses: readonly ProxiedAddress[];
  /** Wake-only TCP ports (from `ports`). */
  readonly wakePorts: readonly number[];
}

export type Described = { ok: true; value: HostDescription } | { ok: false; error: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isPort = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0 && (v as number) < 65536;
const HOST_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function address(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  const bare = text.trim().split('%')[0];
  return isIpv4(bare) ? bare : normalizeIpv6(bare);
}

function service(v: unknown, i: number): HostService | string {
  if (!isRecord(v)) return `services[${i}] must be an object {name, type, port}`;
  const { name, type, port, txt } = v;
  if (typeof name !== 'string' || name.trim() === '' || name.length > 63)
    return `services[${i}].name must be a text of 1 to 63 characters`;
  if (typeof type !== 'string' || !isServiceType(type))
    return `services[${i}].type must look like "_smb._tcp" or "_name._udp"`;
  if (!isPort(port)) return `services[${i}].port must be a port number (1-65535)`;
  if (txt !== undefined && !isRecord(txt)) return `services[${i}].txt must be an object of key: value`;
  return { name: name.trim(), type, port, ...(txt ? { txt: txt as TxtObject } : {}) };
}

/** Validates a host description from an untrusted source (a flow message, a config field). */
export function describeHost(input: unknown, maxLease = 86_400): Described {
  const fail = (error: string): Described => ({ ok: false, error });
  if (!isRecord(input)) return fail('the host must be an object {name, mac, addresses, ports or services}');
  const name = typeof input.name === 'string' ? input.name.trim().replace(/\.local\.?$/i, '') : '';
  if (!HOST_LABEL.test(name)) return fail('name must be a host name (letters, digits, "-"), e.g. "nas"');
  const mac = typeof input.mac === 'string' ? normalizeMac(input.mac) : undefined;
  if (!mac) return fail('mac must be a MAC address, e.g. "00:11:22:33:44:55"');
  const wakeMac = input.wakeMac === undefined ? mac : normalizeMac(String(input.wakeMac));
  if (!wakeMac) return fail('wakeMac must be a MAC address');
  if (!Array.isArray(input.addresses) || input.addresses.length === 0)
    return fail('addresses must be a list of the IPv4/IPv6 addresses of the host');
  const addresses: string[] = [];
  for (const a of input.addresses) {
    const text = address(a);
    if (!text) return fail(`addresses: "${String(a)}" is not an IPv4 or IPv6 address`);
    if (!addresses.includes(text)) addresses.push(text);
  }
  const rawPorts = input.ports ?? [];
  if (!Array.isArray(rawPorts) || !rawPorts.every(isPort))
    return fail('ports must be a list of TCP port numbers (1-65535)');
  const rawServices = input.services ?? [];
  if (!Array.isArray(rawServices)) return fail('services must be a list of {name, type, port}');
  const services: HostService[] = [];
  for (const [i, v] of rawServices.entries()) {
    const s = service(v, i);
    if (typeof s === 'string') return fail(s);
    services.push(s);
  }
  if (rawPorts.length === 0 && services.length === 0)
    return fail('give ports or services: nothing would wake the host');
  let password: Buffer | undefined;
  if (input.password !== undefined && input.password !== '') {
    password = typeof input.password === 'string' ? parseSecureOnPassword(input.password) : undefined;
    if (!password)
      return fail('password must be a SecureOn password (6 bytes as a MAC, or 4 as an IPv4 address)');
  }
  const lease = input.lease ?? DEFAULT_MANUAL_LEASE;
  if (!Number.isInteger(lease) || (lease as number) <= 0)
    return fail('lease must be a whole number of seconds');
  return {
    ok: true,
    value: {
      name,
      mac,
      wakeMac,
      addresses,
      ports: [...new Set(rawPorts as number[])],
      services,
      ...(password ? { password } : {}),
      lease: Math.min(lease as number, maxLease),
    },
  };
}

/** The records, proxied addresses and owner a registration from this host would carry. */
export function manualRegistration(desc: HostDescription, seq = 0): ManualRegistration {
  const owner: OwnerRepr = {
    version: 0,
    seq,
    hostMac: desc.mac,
    wakeMac: desc.wakeMac,
    ...(desc.password ? { password: desc.password } : {}),
  };
  const request = registrationRequest({
    id: 0,
    hostname: desc.name,
    addresses: desc.addresses,
    services: desc.services,
    owner,
    lease: desc.lease,
  });
  const records: SpsRecord[] = request.records.map((r) => ({
    ...r,
    cacheFlush: r.cacheFlush ?? false,
    rdata: canonicalRdata(r.data),
  }));
  const proxiedAddresses: ProxiedAddress[] = records.flatMap((r) => {
    const reverse = r.type === DnsType.PTR ? parseReverseName(r.name) : undefined;
    if (!reverse) return [];
    const text = reverse.family === 4 ? ipv4ToString(reverse.bytes) : ipv6ToString(reverse.bytes);
    return [{ family: reverse.family, address: text, from: r.name }];
  });
  return { owner, lease: desc.lease, records, proxiedAddresses, wakePorts: desc.ports };
}
