// DNS-SD (RFC 6763) records of one service instance and the TXT key/value form. Pure.
//
// A service "Kitchen" of type "_http._tcp" on host "pi.local" at 10.0.0.5 port 80 is:
//   _services._dns-sd._udp.local PTR _http._tcp.local        (shared, §9 type enumeration)
//   _http._tcp.local             PTR Kitchen._http._tcp.local (shared)
//   Kitchen._http._tcp.local     SRV 0 0 80 pi.local          (unique)
//   Kitchen._http._tcp.local     TXT ...                      (unique)
//   pi.local                     A 10.0.0.5 / AAAA ...        (unique)
import { isIpv4, isIpv6 } from '../../wire/address';
import { joinDnsName, splitDnsName } from '../../wire/dns-name';
import { DnsType } from '../../wire/dns-rdata';
import { HOST_RECORD_TTL, MdnsRecord, OTHER_RECORD_TTL } from './records';

export const SERVICES_META_TYPE = '_services._dns-sd._udp.local';

export type TxtValue = string | boolean | Buffer;
export type TxtObject = Record<string, TxtValue>;

export interface ServiceSpec {
  /** The instance label, e.g. "Kitchen" (may contain dots and spaces). */
  readonly name: string;
  /** "_http._tcp" or "_http._tcp.local". */
  readonly type: string;
  readonly port: number;
  readonly txt?: TxtObject;
  /** Host name, e.g. "pi" or "pi.local". */
  readonly host: string;
  readonly addresses: readonly string[];
}

/** "_http._tcp" -> "_http._tcp.local"; already-qualified types pass through. */
export function qualifiedType(type: string): string {
  const t = type.replace(/\.$/, '');
  return /\.local$/i.test(t) ? t : `${t}.local`;
}

export function qualifiedHost(host: string): string {
  const h = host.replace(/\.$/, '');
  return /\.local$/i.test(h) ? h : `${h}.local`;
}

/** A service type is "_x._tcp" or "_x._udp" (RFC 6763 §7), optionally with ".local". */
export function isServiceType(type: string): boolean {
  return /^_[A-Za-z0-9-]{1,15}\._(tcp|udp)(\.local)?\.?$/i.test(type);
}

export function instanceName(label: string, type: string): string {
  const typeLabels = splitDnsName(qualifiedType(type)) ?? [];
  return joinDnsName([label, ...typeLabels]);
}

/** The first label of an instance name (unescaped), e.g. "Kitchen (2)". */
export function instanceLabel(name: string): string {
  return splitDnsName(name)?.[0] ?? name;
}

/** RFC 6763 §6: key=value strings; `true` is a bare key, `false` leaves the key out. */
export function encodeTxt(txt: TxtObject = {}): Buffer[] {
  const out: Buffer[] = [];
  for (const [key, value] of Object.entries(txt)) {
    if (value === false) continue;
    if (value === true) out.push(Buffer.from(key, 'utf8'));
    else out.push(Buffer.concat([Buffer.from(`${key}=`, 'utf8'), Buffer.from(value)]));
  }
  return out;
}

/** Key/value strings to an object: bare keys become true, values UTF-8 text; the first of a repeated key wins. */
export function decodeTxt(strings: readonly Buffer[]): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (const s of strings) {
    const eq = s.indexOf(0x3d);
    const key = (eq < 0 ? s : s.subarray(0, eq)).toString('utf8');
    if (key === '' || Object.prototype.hasOwnProperty.call(out, key)) continue;
    out[key] = eq < 0 ? true : s.subarray(eq + 1).toString('utf8');
  }
  return out;
}

export function serviceRecords(spec: ServiceSpec): MdnsRecord[] {
  const type = qualifiedType(spec.type);
  const instance = instanceName(spec.name, spec.type);
  const host = qualifiedHost(spec.host);
  const records: MdnsRecord[] = [
    {
      name: SERVICES_META_TYPE,
      type: DnsType.PTR,
      data: { kind: 'name', target: type },
      ttl: OTHER_RECORD_TTL,
      unique: false,
    },
    {
      name: type,
      type: DnsType.PTR,
      data: { kind: 'name', target: instance },
      ttl: OTHER_RECORD_TTL,
      unique: false,
    },
    {
      name: instance,
      type: DnsType.SRV,
      data: { kind: 'srv', priority: 0, weight: 0, port: spec.port, target: host },
      ttl: HOST_RECORD_TTL,
      unique: true,
    },
    {
      name: instance,
      type: DnsType.TXT,
      data: { kind: 'txt', strings: encodeTxt(spec.txt) },
      ttl: OTHER_RECORD_TTL,
      unique: true,
    },
  ];
  for (const address of spec.addresses) {
    if (isIpv4(address))
      records.push({
        name: host,
        type: DnsType.A,
        data: { kind: 'a', address },
        ttl: HOST_RECORD_TTL,
        unique: true,
      });
    else if (isIpv6(address))
      records.push({
        name: host,
        type: DnsType.AAAA,
        data: { kind: 'aaaa', address },
        ttl: HOST_RECORD_TTL,
        unique: true,
      });
  }
  return records;
}
