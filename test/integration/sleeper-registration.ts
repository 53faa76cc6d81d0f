// Registrations for the sleep-proxy LAN tests, built with our own encoder the way macOS fills them:
// a unique reverse-mapping PTR for the host's IPv4 (the address to take over), its A record, and per
// service a unique SRV and TXT plus the shared PTR that browsers follow. Host and instance names are
// chosen per sleeper so that captures can tell the sleepers' packets apart.
import { ipv6ToBytes } from '../../src/wire/address';
import { DnsClass, type DnsRecord } from '../../src/wire/dns';
import { reverseNameFor } from '../../src/wire/dns-name';
import { DnsType } from '../../src/wire/dns-rdata';
import { encodeRegistration } from '../../src/wire/sps-registration';

export interface SleeperService {
  /** Instance label, e.g. "Alpha SSH". */
  readonly instance: string;
  /** "_ssh._tcp". */
  readonly type: string;
  readonly port: number;
}

export interface SleeperSpec {
  /** Host label: the records are for `<host>.local`. */
  readonly host: string;
  readonly ipv4: string;
  /** An IPv6 address to proxy too (its AAAA and ip6.arpa PTR). */
  readonly ipv6?: string;
  readonly mac: string;
  readonly services: readonly SleeperService[];
  readonly id?: number;
  readonly seq?: number;
  /** Seconds (default 7200, as macOS asks). */
  readonly lease?: number;
  /** SecureOn password: 6 bytes make an Owner option of length 20. */
  readonly password?: Buffer;
}

const record = (name: string, type: number, data: DnsRecord['data'], unique: boolean): DnsRecord => ({
  name,
  type,
  class: DnsClass.IN,
  cacheFlush: unique,
  ttl: unique ? 120 : 4500,
  data,
});

export function reverseName(ipv4: string): string {
  return `${ipv4.split('.').reverse().join('.')}.in-addr.arpa`;
}

export function sleeperRecords(spec: SleeperSpec): DnsRecord[] {
  const target = `${spec.host}.local`;
  const records = [
    record(reverseName(spec.ipv4), DnsType.PTR, { kind: 'name', target }, true),
    record(target, DnsType.A, { kind: 'a', address: spec.ipv4 }, true),
  ];
  const v6 = spec.ipv6 === undefined ? undefined : ipv6ToBytes(spec.ipv6);
  if (v6 && spec.ipv6)
    records.push(
      record(reverseNameFor(v6), DnsType.PTR, { kind: 'name', target }, true),
      record(target, DnsType.AAAA, { kind: 'aaaa', address: spec.ipv6 }, true),
    );
  for (const s of spec.services) {
    const fqdn = `${s.instance}.${s.type}.local`;
    records.push(
      record(fqdn, DnsType.SRV, { kind: 'srv', priority: 0, weight: 0, port: s.port, target }, true),
      record(fqdn, DnsType.TXT, { kind: 'txt', strings: [Buffer.from(`host=${spec.host}`)] }, true),
      record(`${s.type}.local`, DnsType.PTR, { kind: 'name', target: fqdn }, false),
    );
  }
  return records;
}

export function sleeperRegistration(spec: SleeperSpec): Buffer {
  return encodeRegistration({
    id: spec.id ?? 0x5150,
    owner: {
      version: 0,
      seq: spec.seq ?? 1,
      hostMac: spec.mac,
      wakeMac: spec.mac,
      ...(spec.password ? { password: spec.password } : {}),
    },
    lease: spec.lease ?? 7200,
    records: sleeperRecords(spec),
  });
}
