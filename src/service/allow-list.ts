// Which hosts may register with the proxy, as a user types it: a free-text allow-list of subnets
// (CIDR, IPv4 or IPv6; a bare address is a /32 or /128) and host MACs. The engine applies it
// (src/core/registration-policy.ts: admitted when the list is empty, when the source lies in a listed
// subnet, or when the Owner option's host MAC is listed). Entries that are neither are reported by
// parseAllowList, so a config UI can show them instead of ignoring them.
import { parseSubnet } from '../core/subnet';
import { normalizeMac } from '../wire/address';

export interface AllowList {
  /** "10.0.0.0/24", "fe80::/10", "192.168.1.5". */
  readonly subnets: readonly string[];
  /** Host MACs (any usual spelling). */
  readonly macs: readonly string[];
}

export interface ParsedAllowList {
  readonly allow: AllowList;
  /** Entries that are neither a subnet nor a MAC. */
  readonly invalid: readonly string[];
}

/** Splits a free-text list (commas, spaces or new lines) into subnets and MACs. */
export function parseAllowList(text: string): ParsedAllowList {
  const subnets: string[] = [];
  const macs: string[] = [];
  const invalid: string[] = [];
  for (const entry of text.split(/[\s,;]+/).filter((e) => e !== '')) {
    const mac = normalizeMac(entry);
    if (mac) macs.push(mac);
    else if (parseSubnet(entry)) subnets.push(entry);
    else invalid.push(entry);
  }
  return { allow: { subnets, macs }, invalid };
}
