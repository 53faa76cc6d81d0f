// The first step for every mDNS datagram: count it, parse it, count it again if it is malformed (and
// drop it: packets from the network are hostile).
import { parseDnsMessage, type ParsedDnsMessage } from '../../wire/dns';

export interface ReceiveStats {
  received: number;
  malformed: number;
}

export function receiveMdns(bytes: Buffer, stats: ReceiveStats): ParsedDnsMessage | undefined {
  stats.received++;
  const parsed = parseDnsMessage(bytes);
  if (parsed.ok) return parsed.value;
  stats.malformed++;
  return undefined;
}
