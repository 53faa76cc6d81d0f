// Registrations for the sleep-proxy LAN tests, built with our own encoder the way macOS fills them:
// a unique reverse-mapping PTR for the host's IPv4 (the address to take over), its A record, and per
// service a unique SRV and TXT plus the shared PTR that browsers follow. Host and instance names are
// chosen per sleeper so that captures can tell the sleepers' packets apart.
import { join } from 'node:path';
import { keepaliveRecord } from '../../src/core/registration-request';
import { DnsClass, type DnsRecord } from '../../src/wire/dns';
import { ipv4ToBytes, ipv6ToBytes } from '../../src/wire/address';
import { reverseNameFor } from '../../src/wire/dns-name';
import { DnsType } from '../../src/wire/dns-rdata';
import type { KeepaliveRepr } from '../../src/wire/sps-keepalive';
import { encodeRegistration } from '../../src/wire/sps-registration';
import type { LanHost } from '../support/lan';
import type * as Client from './agents/registration-client-agent';

const CLIENT = join(__dirname, 'agents', 'registration-client-agent.js');

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
  /** IPv6 addresses to take over too (a reverse PTR and an AAAA record each). */
  readonly ipv6?: readonly string[];
  readonly mac: string;
  readonly services: readonly SleeperService[];
  readonly id?: number;
  readonly seq?: number;
  /** Seconds (default 7200, as macOS asks). */
  readonly lease?: number;
  /** SecureOn password: 6 bytes make an Owner option of length 20. */
  readonly password?: Buffer;
  /** TCP connections the proxy should keep alive (§5.4). */
  readonly keepalives?: readonly KeepaliveRepr[];
}

const record = (name: string, type: number, data: DnsRecord['data'], unique: boolean): DnsRecord => ({
  name,
  type,
  class: DnsClass.IN,
  cacheFlush: unique,
  ttl: unique ? 120 : 4500,
  data,
});

export function reverseName(address: string): string {
  const bytes = address.includes(':') ? ipv6ToBytes(address) : ipv4ToBytes(address);
  if (!bytes) throw new Error(`not an address: ${address}`);
  return reverseNameFor(bytes);
}

export function sleeperRecords(spec: SleeperSpec): DnsRecord[] {
  const target = `${spec.host}.local`;
  const records = [
    record(reverseName(spec.ipv4), DnsType.PTR, { kind: 'name', target }, true),
    record(target, DnsType.A, { kind: 'a', address: spec.ipv4 }, true),
  ];
  for (const address of spec.ipv6 ?? []) {
    records.push(
      record(reverseName(address), DnsType.PTR, { kind: 'name', target }, true),
      record(target, DnsType.AAAA, { kind: 'aaaa', address }, true),
    );
  }
  for (const s of spec.services) {
    const fqdn = `${s.instance}.${s.type}.local`;
    records.push(
      record(fqdn, DnsType.SRV, { kind: 'srv', priority: 0, weight: 0, port: s.port, target }, true),
      record(fqdn, DnsType.TXT, { kind: 'txt', strings: [Buffer.from(`host=${spec.host}`)] }, true),
      record(`${s.type}.local`, DnsType.PTR, { kind: 'name', target: fqdn }, false),
    );
  }
  for (const k of spec.keepalives ?? []) records.push(keepaliveRecord(k));
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

/**
 * `host` registers itself (its name, address and MAC, one SSH service) with the proxy at proxy:port,
 * from port 5353 as macOS does; resolves with the proxy's reply, rejects without one.
 */
export async function registerHost(host: LanHost, proxy: string, port: number): Promise<Buffer> {
  const payload = sleeperRegistration({
    host: host.name,
    ipv4: host.ipv4,
    mac: host.mac,
    services: [{ instance: `${host.name} SSH`, type: '_ssh._tcp', port: 22 }],
  });
  const client = await host.runNode<typeof Client>(CLIENT);
  try {
    return (await client.call('exchange', 'udp4', proxy, port, payload, 5353, 3000)).data;
  } finally {
    await client.close();
  }
}
