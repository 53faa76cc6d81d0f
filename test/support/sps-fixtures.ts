// The SPS registrations in the real captures (test/fixtures/mdnsresponder-*.pcap) and what tshark said
// about them in the .txt decodes beside the captures, to check our decoder against an independent one.
import { readFileSync } from 'node:fs';
import { DnsClass, DnsRecord } from '../../src/wire/dns';
import { DnsType } from '../../src/wire/dns-rdata';
import { fixturePath } from './paths';
import { UdpDatagram, udpDatagrams } from './udp-payloads';

/** The fake SPS in the captures listens here (see the .txt headers). */
export const FIXTURE_SPS_PORT = 5354;

export const REGISTRATION_CAPTURES = [
  'mdnsresponder-registration.pcap',
  'mdnsresponder-2600-registration.pcap',
  'mdnsresponder-registration-multipacket.pcap',
  'mdnsresponder-registration-noreply.pcap',
] as const;
export const WAKE_CAPTURES = ['mdnsresponder-wake.pcap', 'mdnsresponder-2600-wake.pcap'] as const;
export const ALL_CAPTURES = [...REGISTRATION_CAPTURES, ...WAKE_CAPTURES] as const;

const isUpdateRequest = (p: Buffer): boolean => p.length >= 12 && (p[2] & 0xf8) === 0x28;

export function captureDatagrams(capture: string): UdpDatagram[] {
  return udpDatagrams(fixturePath(capture));
}

/** UPDATE requests sent to the fake SPS. */
export function updateDatagrams(capture: string): UdpDatagram[] {
  return captureDatagrams(capture).filter(
    (d) => d.dstPort === FIXTURE_SPS_PORT && isUpdateRequest(d.payload),
  );
}

export interface TsharkRecord {
  readonly name: string;
  readonly type: string;
  /** CLASS as tshark printed it in hex, flush bit included (e.g. 0x8001). */
  readonly rawClass: number;
  readonly ttl: number;
  readonly rdlength: number;
  /** The rest of tshark's summary line ("sleeper.local", "priority 0, weight 0, port 22, target x"...). */
  readonly summary: string;
  /** TXT strings as tshark printed them. */
  readonly txt: string[];
}

export interface TsharkUpdate {
  readonly id: number;
  readonly zones: number;
  readonly updates: TsharkRecord[];
  /** "Option Data" hex strings of the OPT, in order. */
  readonly optionData: string[];
  readonly optionCodes: number[];
}

/** The tshark -V decode of one frame, from the .txt beside a capture. */
export function tsharkUpdate(capture: string, frame: number): TsharkUpdate {
  const text = readFileSync(fixturePath(capture.replace(/\.pcap$/, '.txt')), 'utf8');
  const start = text.indexOf(`\nFrame ${frame}:`);
  if (start < 0) throw new Error(`frame ${frame} not in ${capture}'s decode`);
  const next = text.indexOf('\nFrame ', start + 1);
  const lines = text.slice(start, next < 0 ? undefined : next).split('\n');
  const field = (re: RegExp): string => {
    const line = lines.find((l) => re.test(l));
    if (!line) throw new Error(`no ${re} in frame ${frame}`);
    return (re.exec(line) as RegExpExecArray)[1];
  };
  const updates: TsharkRecord[] = [];
  const first = lines.findIndex((l) => l === '    Updates');
  const last = lines.findIndex((l) => l === '    Additional records');
  let current: { -readonly [K in keyof TsharkRecord]: TsharkRecord[K] } | undefined;
  for (const line of lines.slice(first + 1, last)) {
    const head = /^ {8}(.+?): type (\w+), class \w+(?:, (.*))?$/.exec(line);
    if (head) {
      current = {
        name: head[1],
        type: head[2],
        rawClass: 0,
        ttl: -1,
        rdlength: -1,
        summary: head[3] ?? '',
        txt: [],
      };
      updates.push(current);
      continue;
    }
    if (!current) continue;
    const m =
      /^ {12}(?:\.[01. ]+= )?Class: .*\((0x[0-9a-f]+)\)$/.exec(line) ??
      /^ {12}Time to live: (\d+)/.exec(line) ??
      /^ {12}Data length: (\d+)$/.exec(line) ??
      /^ {12}TXT: (.*)$/.exec(line);
    if (!m) continue;
    if (line.includes('Class:')) current.rawClass = parseInt(m[1], 16);
    else if (line.includes('Time to live')) current.ttl = Number(m[1]);
    else if (line.includes('Data length')) current.rdlength = Number(m[1]);
    else current.txt.push(m[1]);
  }
  const opt = lines.slice(last);
  return {
    id: parseInt(field(/Transaction ID: (0x[0-9a-f]+)/), 16),
    zones: Number(field(/^ {4}Zones: (\d+)/)),
    updates,
    optionData: opt.flatMap((l) => /Option Data: ([0-9a-f]+)/.exec(l)?.[1] ?? []),
    optionCodes: opt.flatMap((l) => {
      const code = /Option Code: .*\((\d+)\)$/.exec(l)?.[1];
      return code === undefined ? [] : [Number(code)];
    }),
  };
}

/** A small registration's records: reverse PTR, A, SRV, shared PTR, empty TXT; an instance name with a dot. */
export const SAMPLE_RECORDS: readonly DnsRecord[] = [
  {
    name: '10.0.77.10.in-addr.arpa',
    type: DnsType.PTR,
    class: DnsClass.IN,
    cacheFlush: true,
    ttl: 120,
    data: { kind: 'name', target: 'box.local' },
  },
  {
    name: 'box.local',
    type: DnsType.A,
    class: DnsClass.IN,
    cacheFlush: true,
    ttl: 120,
    data: { kind: 'a', address: '10.77.0.10' },
  },
  {
    name: 'Box v1\\.2._http._tcp.local',
    type: DnsType.SRV,
    class: DnsClass.IN,
    cacheFlush: true,
    ttl: 120,
    data: { kind: 'srv', priority: 0, weight: 0, port: 80, target: 'box.local' },
  },
  {
    name: '_http._tcp.local',
    type: DnsType.PTR,
    class: DnsClass.IN,
    ttl: 4500,
    data: { kind: 'name', target: 'Box v1\\.2._http._tcp.local' },
  },
  {
    name: 'Box v1\\.2._http._tcp.local',
    type: DnsType.TXT,
    class: DnsClass.IN,
    cacheFlush: true,
    ttl: 4500,
    data: { kind: 'txt', strings: [] },
  },
];
