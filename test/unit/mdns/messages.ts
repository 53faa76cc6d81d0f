// mDNS messages for the unit tests: what a peer would send, and the service they are about.
import { dnsFlags, DnsQuestion, DnsRecord, encodeDnsMessage } from '../../../src/wire/dns';
import { serviceRecords } from '../../../src/core/mdns/service-records';

/** "Kitchen", _http._tcp port 80 on pi.local (10.0.0.5), TXT path=/: meta PTR, PTR, SRV, TXT, A. */
export const KITCHEN = serviceRecords({
  name: 'Kitchen',
  type: '_http._tcp',
  port: 80,
  txt: { path: '/' },
  host: 'pi',
  addresses: ['10.0.0.5'],
});

export function mdnsResponse(answers: DnsRecord[]): Buffer {
  return encodeDnsMessage({
    id: 0,
    flags: dnsFlags({ qr: true, aa: true }),
    questions: [],
    answers,
    authorities: [],
    additionals: [],
  });
}

export function mdnsQuery(
  questions: DnsQuestion[],
  extra: Partial<{ id: number; answers: DnsRecord[]; authorities: DnsRecord[] }> = {},
): Buffer {
  return encodeDnsMessage({
    id: extra.id ?? 0,
    flags: 0,
    questions,
    answers: extra.answers ?? [],
    authorities: extra.authorities ?? [],
    additionals: [],
  });
}
