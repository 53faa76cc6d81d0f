// The mDNS records the service publishes: a sleeper's registered records as the responder holds them,
// and the proxy's own `_sleep-proxy._udp` advertisement (sps-protocol.md §1: valid metric name,
// empty TXT, SRV to the registration port, A and link-local AAAA for the target).
import type { MdnsRecord } from '../core/mdns/records';
import { serviceRecords } from '../core/mdns/service-records';
import type { SpsRecord } from '../wire/sps-registration';
import { formatSpsName, type SpsNameRepr } from '../wire/sps-name';

export function sleeperMdnsRecords(records: readonly SpsRecord[]): MdnsRecord[] {
  return records.map((r) => ({ name: r.name, type: r.type, data: r.data, ttl: r.ttl, unique: r.cacheFlush }));
}

export interface Advertisement {
  readonly metric: Omit<SpsNameRepr, 'prettyName'>;
  readonly prettyName: string;
  /** The host label, without ".local". */
  readonly hostName: string;
  readonly port: number;
  readonly addresses: readonly string[];
}

export function spsAdvertisement(ad: Advertisement): MdnsRecord[] {
  return serviceRecords({
    name: formatSpsName({ ...ad.metric, prettyName: ad.prettyName }),
    type: '_sleep-proxy._udp',
    port: ad.port,
    host: ad.hostName,
    addresses: ad.addresses,
  });
}
