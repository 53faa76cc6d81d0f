// The UPDATE our client sends (sps-protocol.md §2.3), built as Apple's mDNSResponder up to 2200 builds it:
// per address of the interface an A/AAAA for <host>.local and a reverse-mapping PTR to it (TTL 120,
// cache-flush; the PTRs name the addresses the proxy takes over), and per service of this host the
// `_services._dns-sd._udp` and type PTRs (4500, shared), SRV (120) and TXT (4500), both cache-flush.
// The OPT carries Lease then Owner (encodeRegistration). Pure.
import { ipv4ToBytes, ipv6ToBytes, isIpv4 } from '../wire/address';
import { DnsClass, type DnsRecord } from '../wire/dns';
import { reverseNameFor } from '../wire/dns-name';
import { DnsType } from '../wire/dns-rdata';
import type { OwnerRepr } from '../wire/edns';
import { encodeKeepaliveRdata, type KeepaliveRepr } from '../wire/sps-keepalive';
import type { SpsRegistrationRequest } from '../wire/sps-registration';
import { HOST_RECORD_TTL, recordKey, type MdnsRecord } from './mdns/records';
import { qualifiedHost, serviceRecords, type TxtObject } from './mdns/service-records';

/** uDNS.h DEFAULT_UPDATE_LEASE: what Apple's client always asks for. */
export const DEFAULT_LEASE = 7200;

export interface ClientService {
  /** Instance label, e.g. "pi" or "Kitchen (2)". */
  readonly name: string;
  /** "_ssh._tcp" or "_ssh._tcp.local". */
  readonly type: string;
  readonly port: number;
  readonly txt?: TxtObject;
}

export interface HostRegistration {
  readonly id: number;
  /** Host name with or without ".local". */
  readonly hostname: string;
  /** IPv4 and IPv6 (incl. link-local, scope suffix allowed) text addresses of the interface. */
  readonly addresses: readonly string[];
  readonly services: readonly ClientService[];
  readonly owner: OwnerRepr;
  readonly lease?: number;
}

const withoutScope = (address: string): string => address.split('%')[0];

function addressBytes(address: string): Buffer | undefined {
  const text = withoutScope(address);
  return isIpv4(text) ? ipv4ToBytes(text) : ipv6ToBytes(text);
}

function toUpdateRecord(r: MdnsRecord): DnsRecord {
  // An empty TXT must still hold one empty string (RFC 6763 §6.1): zero-length RDATA is skipped by SPSes.
  const data =
    r.data.kind === 'txt' && r.data.strings.length === 0 ? { ...r.data, strings: [Buffer.alloc(0)] } : r.data;
  return { name: r.name, type: r.type, class: DnsClass.IN, cacheFlush: r.unique, ttl: r.ttl, data };
}

/** Address and reverse-mapping records of the host; addresses that are not IP text are left out. */
export function hostRecords(hostname: string, addresses: readonly string[]): DnsRecord[] {
  const host = qualifiedHost(hostname);
  const records: DnsRecord[] = [];
  for (const address of addresses) {
    const bytes = addressBytes(address);
    if (!bytes) continue;
    const text = withoutScope(address);
    const data =
      bytes.length === 4 ? { kind: 'a' as const, address: text } : { kind: 'aaaa' as const, address: text };
    const type = bytes.length === 4 ? DnsType.A : DnsType.AAAA;
    records.push({ name: host, type, class: DnsClass.IN, cacheFlush: true, ttl: HOST_RECORD_TTL, data });
    records.push({
      name: reverseNameFor(bytes),
      type: DnsType.PTR,
      class: DnsClass.IN,
      cacheFlush: true,
      ttl: HOST_RECORD_TTL,
      data: { kind: 'name', target: host },
    });
  }
  return records;
}

/** STUB's keepalive record TTL. */
const KEEPALIVE_TTL = 4500;

/**
 * The NULL record that hands a TCP connection to the proxy (§5.4), named as Apple's client names it:
 * `<n>._keepalive._dns-sd._udp.local`, n the decimal sum of the local address bytes and the local port.
 */
export function keepaliveRecord(k: KeepaliveRepr): DnsRecord {
  const n = [...(addressBytes(k.local) ?? [])].reduce((sum, b) => sum + b, k.localPort);
  return {
    name: `${n}._keepalive._dns-sd._udp.local`,
    type: DnsType.NULL,
    class: DnsClass.IN,
    cacheFlush: true,
    ttl: KEEPALIVE_TTL,
    data: { kind: 'raw', data: encodeKeepaliveRdata(k) },
  };
}

export function registrationRequest(r: HostRegistration): SpsRegistrationRequest {
  const services = r.services.flatMap((s) =>
    serviceRecords({ ...s, host: r.hostname, addresses: [] }).map(toUpdateRecord),
  );
  // Several services of one type share the _services PTR: send it once.
  const seen = new Set<string>();
  const unique = services.filter((rec) => {
    const key = recordKey(rec);
    return seen.has(key) ? false : (seen.add(key), true);
  });
  return {
    id: r.id,
    owner: r.owner,
    lease: r.lease ?? DEFAULT_LEASE,
    records: [...hostRecords(r.hostname, r.addresses), ...unique],
  };
}
