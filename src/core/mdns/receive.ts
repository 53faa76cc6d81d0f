// The first step for every mDNS datagram: count it, parse it, count it again if it is malformed (and
// drop it: packets from the network are hostile).
import { parseDnsMessage, type ParsedDnsMessage } from '../../wire/dns';
import type { Parsed } from '../../wire/result';

export interface ReceiveStats {
  received: number;
  malformed: number;
}

export function receiveMdns(
  bytes: Buffer,
  stats: ReceiveStats,
  parsed: Parsed<ParsedDnsMessage> = parseDnsMessage(bytes),
): ParsedDnsMessage | undefined {
  stats.received++;
  if (parsed.ok) return parsed.value;
  stats.malformed++;
  return undefined;
}
