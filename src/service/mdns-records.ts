// The mDNS records the service publishes: a sleeper's registered records as the responder holds them,
// and the proxy's own `_sleep-proxy._udp` advertisement (sps-protocol.md §1: valid metric name,
// empty TXT, SRV to the registration port, A and link-local AAAA for the target).
import type { MdnsRecord } from '../core/mdns/records';
import { DnsType } from '../wire/dns-rdata';
import type { SpsRecord } from '../wire/sps-registration';
import { formatSpsName, type SpsNameRepr } from '../wire/sps-name';

export const SPS_SERVICE_TYPE = '_sleep-proxy._udp.local';
const SERVICE_TTL = 4500;
const HOST_TTL = 120;

export function sleeperMdnsRecords(records: readonly SpsRecord[]): MdnsRecord[] {
  return records.map((r) => ({ name: r.name, type: r.type, data: r.data, ttl: r.ttl, unique: r.cacheFlush }));
}

export interface Advertisement {
  readonly metric: Omit<SpsNameRepr, 'prettyName'>;
  readonly prettyName: string;
  /** The host label, without ".local". */
  readonly hostName: string;
  readonly port: number;
  readonly ipv4?: string;
  readonly ipv6LinkLocal?: string;
}

export function spsAdvertisement(ad: Advertisement): MdnsRecord[] {
  const instance = `${escapeLabel(formatSpsName({ ...ad.metric, prettyName: ad.prettyName }))}.${SPS_SERVICE_TYPE}`;
  const host = `${ad.hostName}.local`;
  const records: MdnsRecord[] = [
    {
      name: SPS_SERVICE_TYPE,
      type: DnsType.PTR,
      data: { kind: 'name', target: instance },
      ttl: SERVICE_TTL,
      unique: false,
    },
    {
      name: instance,
      type: DnsType.SRV,
      data: { kind: 'srv', priority: 0, weight: 0, port: ad.port, target: host },
      ttl: HOST_TTL,
      unique: true,
    },
    { name: instance, type: DnsType.TXT, data: { kind: 'txt', strings: [] }, ttl: SERVICE_TTL, unique: true },
  ];
  if (ad.ipv4)
    records.push({
      name: host,
      type: DnsType.A,
      data: { kind: 'a', address: ad.ipv4 },
      ttl: HOST_TTL,
      unique: true,
    });
  if (ad.ipv6LinkLocal) {
    records.push({
      name: host,
      type: DnsType.AAAA,
      data: { kind: 'aaaa', address: ad.ipv6LinkLocal },
      ttl: HOST_TTL,
      unique: true,
    });
  }
  return records;
}

/** Our name text escapes dots and backslashes inside a label (src/wire/dns-name.ts). */
function escapeLabel(label: string): string {
  return label.replace(/[\\.]/g, (c) => `\\${c}`);
}
