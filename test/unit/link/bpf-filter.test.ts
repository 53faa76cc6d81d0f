// The proxy's kernel filters, run in the BPF interpreter over the real captures in test/fixtures
// plus hand-built, truncated and randomly mutated frames, against an independent JavaScript
// reading of the same rules; and cross-checked with tcpdump's own compiler where one of our
// programs mirrors a tcpdump expression.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { checkBpf, type BpfProgram, isConditionalJump } from '../../../src/io/link/bpf';
import { compileFilter, DEFAULT_SNAP_LENGTH, type LinkMatcher } from '../../../src/io/link/bpf-filter';
import { ipv4ToBytes, ipv6ToBytes, macToBytes } from '../../../src/wire/address';
import { runBpf } from '../../support/bpf-interpreter';
import {
  arpFrame,
  ethernetFrame,
  ipv4Packet,
  ipv6Packet,
  ndpMessage,
  TCP_ACK,
  TCP_SYN,
  tcpSegment,
  udpDatagram,
} from '../../support/link-frames';
import { fixturePath } from '../../support/paths';
import { readPcap } from '../../support/pcap';

// The captures' sleeper and proxy (see the .txt decodes beside them).
const SLEEPER_MAC = '02:53:50:00:00:0a';
const SLEEPER_V4 = '10.77.0.10';
const SLEEPER_LL = 'fe80::53:50ff:fe00:a';
const PROXY_MAC = '02:53:50:00:00:14';
const PROXY_V4 = '10.77.0.20';
const OTHER_MAC = '02:99:00:00:00:63';

// ---- an independent reading of the matchers --------------------------------------------------
// Fields are read in protocol order and a read past the end of the frame drops the frame outright
// (Abort), which is what the kernel does when a filter loads beyond the packet.

class Abort extends Error {}

function read(f: Buffer, at: number, width: 1 | 2 | 4): number {
  if (at + width > f.length) throw new Abort();
  return width === 1 ? f[at] : width === 2 ? f.readUInt16BE(at) : f.readUInt32BE(at);
}

/** Whether the bytes at `at` equal one of `candidates` (all read first, as the filter loads them). */
function inSet(f: Buffer, at: number, widths: readonly (2 | 4)[], candidates: readonly Buffer[]): boolean {
  let offset = 0;
  for (const width of widths) {
    read(f, at + offset, width);
    offset += width;
  }
  const bytes = f.subarray(at, at + offset);
  return candidates.some((c) => c.equals(bytes));
}

const bytesOf = (texts: readonly string[], parse: (t: string) => Buffer | undefined): Buffer[] =>
  texts.map((t) => {
    const b = parse(t);
    assert.ok(b, t);
    return b;
  });
const V4: (2 | 4)[] = [4];
const V6: (2 | 4)[] = [4, 4, 4, 4];
const MAC: (2 | 4)[] = [4, 2];

function oracle(f: Buffer, m: LinkMatcher): boolean {
  switch (m.kind) {
    case 'ethertype':
      return m.types.length > 0 && m.types.includes(read(f, 12, 2));
    case 'source-mac':
      return m.macs.length > 0 && inSet(f, 6, MAC, bytesOf(m.macs, macToBytes));
    case 'arp': {
      const addresses = bytesOf(m.addresses, ipv4ToBytes);
      if (addresses.length === 0 || read(f, 12, 2) !== 0x0806) return false;
      const field = m.field ?? 'target';
      if (field !== 'target' && inSet(f, 28, V4, addresses)) return true;
      return field !== 'sender' && inSet(f, 38, V4, addresses);
    }
    case 'ndp': {
      const targets = bytesOf(m.targets, ipv6ToBytes);
      const types = m.types ?? [135, 136];
      if (targets.length === 0 || types.length === 0) return false;
      if (read(f, 12, 2) !== 0x86dd || read(f, 20, 1) !== 58 || read(f, 21, 1) !== 255) return false;
      if (!types.includes(read(f, 54, 1))) return false;
      if (m.field === 'either' && inSet(f, 22, V6, targets)) return true;
      return inSet(f, m.field === 'source' ? 22 : 62, V6, targets);
    }
    case 'tcp':
    case 'udp':
      return oracleIp(f, m);
  }
}

function oracleIp(f: Buffer, m: Extract<LinkMatcher, { kind: 'tcp' | 'udp' }>): boolean {
  const protocol = m.kind === 'tcp' ? 6 : 17;
  const synOnly = m.kind === 'tcp' && m.synOnly === true;
  const v4 = bytesOf(
    m.destinations.filter((d) => !d.includes(':')),
    ipv4ToBytes,
  );
  const v6 = bytesOf(
    m.destinations.filter((d) => d.includes(':')),
    ipv6ToBytes,
  );
  if (m.ports?.length === 0) return false;
  const transport = (start: number): boolean => {
    if (m.ports && !m.ports.includes(read(f, start + 2, 2))) return false;
    return !synOnly || (read(f, start + 13, 1) & (TCP_SYN | TCP_ACK)) === TCP_SYN;
  };
  const checks = m.ports !== undefined || synOnly;
  if (v4.length > 0 && read(f, 12, 2) === 0x0800 && read(f, 23, 1) === protocol && inSet(f, 30, V4, v4)) {
    if (!checks) return true;
    if ((read(f, 20, 2) & 0x1fff) !== 0) return false;
    return transport(14 + (read(f, 14, 1) & 0xf) * 4);
  }
  if (v6.length > 0 && read(f, 12, 2) === 0x86dd && read(f, 20, 1) === protocol && inSet(f, 38, V6, v6)) {
    return !checks || transport(54);
  }
  return false;
}

function oracleAny(frame: Buffer, matchers: readonly LinkMatcher[]): boolean {
  try {
    return matchers.some((m) => oracle(frame, m));
  } catch (error) {
    if (error instanceof Abort) return false;
    throw error;
  }
}

// ---- the frame corpus ---------------------------------------------------------------------------

const fixtureFrames = readdirSync(fixturePath('.'))
  .filter((name) => name.endsWith('.pcap'))
  .flatMap((name) =>
    readPcap(fixturePath(name)).records.map((r) => ({ name: `${name}#${r.frame}`, data: r.data })),
  );

const syn = (src: string, dst: string, port: number, flags = TCP_SYN): Buffer =>
  ethernetFrame(
    PROXY_MAC,
    OTHER_MAC,
    0x0800,
    ipv4Packet({ src, dst, protocol: 6 }, tcpSegment(40000, port, flags)),
  );
const syn6 = (src: string, dst: string, port: number, flags = TCP_SYN, hopLimit = 64): Buffer =>
  ethernetFrame(
    PROXY_MAC,
    OTHER_MAC,
    0x86dd,
    ipv6Packet({ src, dst, nextHeader: 6, hopLimit }, tcpSegment(40000, port, flags)),
  );
const ndp = (type: number, target: string, hopLimit = 255, src = 'fe80::1'): Buffer =>
  ethernetFrame(
    '33:33:ff:00:00:0a',
    OTHER_MAC,
    0x86dd,
    ipv6Packet({ src, dst: 'ff02::1:ff00:a', nextHeader: 58, hopLimit }, ndpMessage(type, target)),
  );

const builtFrames: { name: string; data: Buffer }[] = [
  {
    name: 'arp who-has sleeper',
    data: arpFrame({ senderMac: OTHER_MAC, senderIp: '10.77.0.99', targetIp: SLEEPER_V4 }),
  },
  {
    name: 'arp who-has other',
    data: arpFrame({ senderMac: OTHER_MAC, senderIp: '10.77.0.99', targetIp: '10.77.0.98' }),
  },
  {
    name: 'arp from sleeper',
    data: arpFrame({ senderMac: SLEEPER_MAC, senderIp: SLEEPER_V4, targetIp: PROXY_V4 }),
  },
  {
    name: 'arp reply for fd ula',
    data: arpFrame({ op: 2, senderMac: OTHER_MAC, senderIp: '10.77.0.11', targetIp: '10.77.0.12' }),
  },
  { name: 'tcp syn v4', data: syn('10.77.0.99', SLEEPER_V4, 22) },
  { name: 'tcp syn v4 port 445', data: syn('10.77.0.99', SLEEPER_V4, 445) },
  { name: 'tcp syn-ack v4', data: syn('10.77.0.99', SLEEPER_V4, 22, TCP_SYN | TCP_ACK) },
  { name: 'tcp ack v4', data: syn('10.77.0.99', SLEEPER_V4, 22, TCP_ACK) },
  { name: 'tcp syn v4 other', data: syn('10.77.0.99', '10.77.0.98', 22) },
  {
    name: 'tcp syn v4 with options',
    data: ethernetFrame(
      PROXY_MAC,
      OTHER_MAC,
      0x0800,
      ipv4Packet({ src: '10.77.0.99', dst: SLEEPER_V4, protocol: 6, options: 8 }, tcpSegment(1, 22, TCP_SYN)),
    ),
  },
  {
    name: 'tcp v4 later fragment',
    data: ethernetFrame(
      PROXY_MAC,
      OTHER_MAC,
      0x0800,
      ipv4Packet(
        { src: '10.77.0.99', dst: SLEEPER_V4, protocol: 6, fragmentOffset: 3 },
        tcpSegment(1, 22, TCP_SYN),
      ),
    ),
  },
  { name: 'tcp syn v6', data: syn6('fd77::99', 'fd77::10', 22) },
  { name: 'tcp syn v6 link-local', data: syn6('fe80::99', SLEEPER_LL, 548) },
  { name: 'tcp ack v6', data: syn6('fd77::99', 'fd77::10', 22, TCP_ACK) },
  { name: 'tcp syn v6 other', data: syn6('fd77::99', 'fd77::11', 22) },
  {
    name: 'udp v4 5353',
    data: ethernetFrame(
      PROXY_MAC,
      OTHER_MAC,
      0x0800,
      ipv4Packet({ src: '10.77.0.99', dst: SLEEPER_V4, protocol: 17 }, udpDatagram(5353, 5353)),
    ),
  },
  {
    name: 'udp v6 137',
    data: ethernetFrame(
      PROXY_MAC,
      OTHER_MAC,
      0x86dd,
      ipv6Packet({ src: 'fd77::99', dst: 'fd77::10', nextHeader: 17 }, udpDatagram(1, 137)),
    ),
  },
  { name: 'ns for sleeper', data: ndp(135, SLEEPER_LL) },
  { name: 'na for sleeper', data: ndp(136, 'fd77::10') },
  { name: 'ns hop 64', data: ndp(135, SLEEPER_LL, 64) },
  { name: 'router solicitation', data: ndp(133, SLEEPER_LL) },
  { name: 'ns for other', data: ndp(135, 'fd77::11') },
  { name: 'ns from sleeper address', data: ndp(135, 'fd77::11', 255, 'fd77::10') },
  { name: 'ns from sleeper', data: ndp(135, 'fd77::11', 255, SLEEPER_LL) },
  { name: 'ns from sleeper hop 64', data: ndp(135, 'fd77::11', 64, SLEEPER_LL) },
  {
    name: 'wol ethertype',
    data: ethernetFrame('ff:ff:ff:ff:ff:ff', OTHER_MAC, 0x0842, Buffer.alloc(102, 0xff)),
  },
  {
    name: 'from sleeper mac',
    data: ethernetFrame('ff:ff:ff:ff:ff:ff', SLEEPER_MAC, 0x88b5, Buffer.alloc(46)),
  },
  { name: 'runt', data: Buffer.alloc(10) },
];

// Deterministic xorshift, so a failure names a reproducible frame.
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}

function mutants(
  frames: readonly { name: string; data: Buffer }[],
  perFrame: number,
): { name: string; data: Buffer }[] {
  const next = random(0x5eed);
  // Bytes the filters read, so mutations land where they matter.
  const hot = [6, 11, 12, 13, 14, 20, 21, 23, 31, 33, 41, 53, 54, 55, 57, 65, 67, 77];
  const out: { name: string; data: Buffer }[] = [];
  for (const { name, data } of frames) {
    for (let i = 0; i < perFrame; i++) {
      const copy = Buffer.from(data);
      const at = next() < 0.7 ? hot[Math.floor(next() * hot.length)] : Math.floor(next() * copy.length);
      if (at < copy.length) copy[at] ^= 1 << Math.floor(next() * 8);
      out.push({ name: `${name} mutant ${i} @${at}`, data: copy });
    }
    for (let cut = 0; cut < data.length && cut < 90; cut += 3)
      out.push({ name: `${name} cut ${cut}`, data: data.subarray(0, cut) });
  }
  return out;
}

const corpus = [
  ...fixtureFrames,
  ...builtFrames,
  ...mutants([...builtFrames, ...fixtureFrames.slice(0, 40)], 12),
];

function assertAgrees(program: BpfProgram, matchers: readonly LinkMatcher[]): void {
  assert.equal(checkBpf(program), undefined);
  for (const { name, data } of corpus) {
    assert.equal(runBpf(program, data) > 0, oracleAny(data, matchers), `${name}: ${data.toString('hex')}`);
  }
}

const accepted = (program: BpfProgram, name: string): boolean => {
  const frame = [...fixtureFrames, ...builtFrames].find((f) => f.name === name);
  assert.ok(frame, name);
  return runBpf(program, frame.data) > 0;
};

// ---- the tests ----------------------------------------------------------------------------------

const proxyMatchers: LinkMatcher[] = [
  { kind: 'arp', addresses: [SLEEPER_V4, '10.77.0.11'], field: 'either' },
  { kind: 'ndp', targets: [SLEEPER_LL, 'fd77::10'], field: 'either' },
  { kind: 'ndp', targets: [SLEEPER_LL, 'fd77::10'] },
  { kind: 'ndp', targets: [SLEEPER_LL, 'fd77::10'], types: [135], field: 'source' },
  { kind: 'tcp', destinations: [SLEEPER_V4, 'fd77::10', SLEEPER_LL], synOnly: true },
  { kind: 'udp', destinations: [SLEEPER_V4, 'fd77::10'], ports: [137, 5353] },
  { kind: 'source-mac', macs: [SLEEPER_MAC], snapLength: 96 },
  { kind: 'ethertype', types: [0x0842] },
];

describe('compileFilter against the captures and built frames', () => {
  test(`corpus has real and built frames (${corpus.length} frames)`, () => {
    assert.ok(fixtureFrames.length > 300);
    assert.ok(corpus.length > 1000);
  });

  for (const matcher of proxyMatchers) {
    test(`${matcher.kind} alone agrees with the JavaScript reading`, () => {
      assertAgrees(compileFilter([matcher]), [matcher]);
    });
  }

  test('the combined proxy filter agrees, and passes what the proxy needs', () => {
    const program = compileFilter(proxyMatchers);
    assertAgrees(program, proxyMatchers);
    // The wake capture: the sleeper's ARP announcement and its NDP.
    assert.ok(accepted(program, 'mdnsresponder-wake.pcap#1'));
    assert.ok(accepted(program, 'mdnsresponder-wake.pcap#7'));
    for (const name of [
      'tcp syn v4',
      'tcp syn v6',
      'tcp syn v6 link-local',
      'tcp syn v4 with options',
      'ns for sleeper',
      'na for sleeper',
      'ns from sleeper address',
      'wol ethertype',
    ]) {
      assert.ok(accepted(program, name), name);
    }
    for (const name of [
      'tcp ack v4',
      'tcp syn-ack v4',
      'tcp syn v4 other',
      'tcp v4 later fragment',
      'ns hop 64',
      'router solicitation',
      'ns for other',
      'arp who-has other',
      'runt',
    ]) {
      assert.ok(!accepted(program, name), name);
    }
    // mDNS chatter between other hosts never reaches JavaScript.
    const mdns = fixtureFrames.filter(
      (f) => f.data.length > 42 && f.data.readUInt16BE(36) === 5353 && !oracleAny(f.data, proxyMatchers),
    );
    assert.ok(mdns.length > 20);
    for (const f of mdns) assert.equal(runBpf(program, f.data), 0, f.name);
  });

  test('the first matching matcher decides the snap length', () => {
    const program = compileFilter(proxyMatchers, { snapLength: 1500 });
    const fromSleeper = builtFrames.find((f) => f.name === 'from sleeper mac');
    const arp = builtFrames.find((f) => f.name === 'arp from sleeper');
    assert.ok(fromSleeper && arp);
    assert.equal(runBpf(program, fromSleeper.data), 96);
    assert.equal(runBpf(program, arp.data), 1500); // matched by 'arp' first
    assert.equal(runBpf(compileFilter(proxyMatchers), arp.data), DEFAULT_SNAP_LENGTH);
  });

  test('empty sets match nothing; no matchers drop everything', () => {
    const empty: LinkMatcher[] = [
      { kind: 'arp', addresses: [] },
      { kind: 'ndp', targets: [] },
      { kind: 'tcp', destinations: [] },
      { kind: 'udp', destinations: [SLEEPER_V4], ports: [] },
      { kind: 'source-mac', macs: [] },
      { kind: 'ethertype', types: [] },
    ];
    for (const program of [compileFilter(empty), compileFilter([])]) {
      for (const { data } of corpus) assert.equal(runBpf(program, data), 0);
    }
  });

  test('bad addresses and values are refused with TypeError', () => {
    assert.throws(() => compileFilter([{ kind: 'arp', addresses: ['10.0.0'] }]), TypeError);
    assert.throws(() => compileFilter([{ kind: 'ndp', targets: ['fe80::g'] }]), TypeError);
    assert.throws(() => compileFilter([{ kind: 'source-mac', macs: ['02:00'] }]), TypeError);
    assert.throws(
      () => compileFilter([{ kind: 'udp', destinations: [SLEEPER_V4], ports: [70000] }]),
      TypeError,
    );
    assert.throws(
      () => compileFilter([{ kind: 'ethertype', types: [0x842] }], { snapLength: 0 }),
      RangeError,
    );
  });
});

describe('compileFilter size and jump range', () => {
  // A sleeper per number: an IPv4, a ULA and a link-local address, a MAC.
  function sleepers(count: number): LinkMatcher[] {
    const hex = (i: number): string => i.toString(16);
    const v4 = Array.from({ length: count }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1`);
    const v6 = Array.from({ length: count }, (_, i) => [
      `fd77::${hex(i + 1)}:1`,
      `fe80::${hex(i + 1)}:ff:fe00:1`,
    ]).flat();
    const macs = Array.from(
      { length: count },
      (_, i) => `02:53:50:00:${hex((i >> 8) & 255).padStart(2, '0')}:${hex(i & 255).padStart(2, '0')}`,
    );
    return [
      { kind: 'arp', addresses: v4, field: 'either' },
      { kind: 'ndp', targets: v6 },
      { kind: 'tcp', destinations: [...v4, ...v6], synOnly: true },
      { kind: 'source-mac', macs },
      { kind: 'ethertype', types: [0x0842] },
    ];
  }

  test('250 sleepers (Apple’s cap) fit, with all conditional offsets in 8 bits', () => {
    const matchers = sleepers(250);
    const program = compileFilter(matchers);
    assert.equal(checkBpf(program), undefined);
    assert.ok(program.every(({ code, jt, jf }) => !isConditionalJump(code) || (jt <= 255 && jf <= 255)));
    const frames = [
      arpFrame({ senderMac: OTHER_MAC, senderIp: '10.77.0.99', targetIp: '10.0.0.1' }),
      arpFrame({ senderMac: OTHER_MAC, senderIp: '10.77.0.99', targetIp: '10.0.249.1' }),
      arpFrame({ senderMac: OTHER_MAC, senderIp: '10.77.0.99', targetIp: '10.0.250.1' }),
      ndp(135, 'fe80::fa:ff:fe00:1'),
      ndp(135, 'fe80::fb:ff:fe00:1'),
      syn6('fd77::99', 'fd77::7d:1', 22),
      syn('10.77.0.99', '10.0.128.1', 22),
      ethernetFrame('ff:ff:ff:ff:ff:ff', '02:53:50:00:00:f9', 0x0800, Buffer.alloc(46)),
    ];
    for (const frame of frames)
      assert.equal(runBpf(program, frame) > 0, oracleAny(frame, matchers), frame.toString('hex'));
    assert.deepEqual(
      frames.map((f) => runBpf(program, f) > 0),
      [true, true, false, true, false, true, true, true],
    );
  });

  test('program size grows linearly while every value is matched exactly', () => {
    const sizes = [10, 100, 250].map((n) => compileFilter(sleepers(n)).length);
    assert.ok(sizes[2] < 4096, `250 sleepers: ${sizes[2]}`);
    assert.ok(sizes[2] / 250 < 9, `per sleeper: ${sizes[2] / 250}`);
  });

  test('runs of consecutive values are one range test, exactly as wide as the run', () => {
    const v4 = Array.from({ length: 1000 }, (_, i) => `10.77.${(100 + i) >> 8}.${(100 + i) & 255}`);
    const matchers: LinkMatcher[] = [{ kind: 'arp', addresses: [...v4, '10.77.9.1'], field: 'target' }];
    const program = compileFilter(matchers);
    assert.ok(program.length < 20, `${program.length} instructions`);
    const asking = (targetIp: string) => arpFrame({ senderMac: OTHER_MAC, senderIp: '10.77.0.99', targetIp });
    const targets = ['10.77.0.99', '10.77.0.100', '10.77.2.0', '10.77.4.75', '10.77.4.76', '10.77.9.1'];
    assert.deepEqual(
      targets.map((t) => runBpf(program, asking(t)) > 0),
      [false, true, true, true, false, true],
    );
    for (const t of targets) assert.equal(runBpf(program, asking(t)) > 0, oracleAny(asking(t), matchers), t);
  });

  test('past 4096 instructions the sets are matched coarsely, and every member still passes', () => {
    // 1,000 sleepers scattered over a /16 with random interface identifiers and MACs
    let seed = 7;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const hex = (n: number) => random(n).toString(16);
    const hosts = Array.from({ length: 1000 }, () => ({
      v4: `10.77.${random(256)}.${random(256)}`,
      ula: `fd77::${hex(65536)}:${hex(65536)}:${hex(65536)}:${hex(65536)}`,
      ll: `fe80::${hex(65536)}:${hex(65536)}:${hex(65536)}:${hex(65536)}`,
      mac: Array.from({ length: 6 }, (_, i) => (i === 0 ? '02' : hex(256).padStart(2, '0'))).join(':'),
    }));
    const v4 = hosts.map((h) => h.v4);
    const v6 = hosts.flatMap((h) => [h.ula, h.ll]);
    const matchers: LinkMatcher[] = [
      { kind: 'arp', addresses: v4, field: 'either' },
      { kind: 'ndp', targets: v6 },
      { kind: 'tcp', destinations: [...v4, ...v6], ports: [22, 445] },
      { kind: 'source-mac', macs: hosts.map((h) => h.mac) },
    ];
    const program = compileFilter(matchers);
    assert.equal(checkBpf(program), undefined);
    for (const h of hosts) {
      const frames = [
        arpFrame({ senderMac: OTHER_MAC, senderIp: '10.78.0.1', targetIp: h.v4 }),
        ndp(135, h.ula),
        ndp(135, h.ll),
        syn('10.78.0.1', h.v4, 22),
        syn6('fd78::1', h.ula, 445),
        ethernetFrame('ff:ff:ff:ff:ff:ff', h.mac, 0x0800, Buffer.alloc(46)),
      ];
      for (const frame of frames) assert.ok(runBpf(program, frame) > 0, frame.toString('hex'));
    }
    // what no matcher is about stays out: other ports, other EtherTypes, other subnets
    for (const frame of [
      syn('10.78.0.1', hosts[0].v4, 80),
      arpFrame({ senderMac: OTHER_MAC, senderIp: '10.78.0.1', targetIp: '10.78.0.2' }),
      ethernetFrame('ff:ff:ff:ff:ff:ff', OTHER_MAC, 0x0842, Buffer.alloc(102)),
    ])
      assert.equal(runBpf(program, frame), 0, frame.toString('hex'));
  });
});

// ---- tcpdump as an independent compiler -----------------------------------------------------

function tcpdumpProgram(expression: string): BpfProgram | undefined {
  try {
    const out = execFileSync('tcpdump', ['-r', fixturePath('mdnsresponder-wake.pcap'), '-dd', expression], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return [...out.matchAll(/\{\s*(0x[0-9a-f]+),\s*(\d+),\s*(\d+),\s*(0x[0-9a-f]+)\s*\}/g)].map((m) => ({
      code: Number(m[1]),
      jt: Number(m[2]),
      jf: Number(m[3]),
      k: Number(m[4]),
    }));
  } catch {
    return undefined;
  }
}

const hasTcpdump = tcpdumpProgram('arp') !== undefined;

// tcpdump's ip6[x:4] compares one 32-bit word at a time.
function v6Words(address: string, at: number): string {
  const bytes = ipv6ToBytes(address);
  assert.ok(bytes, address);
  return [0, 4, 8, 12].map((d) => `ip6[${at + d}:4] = 0x${bytes.readUInt32BE(d).toString(16)}`).join(' and ');
}

describe('compileFilter mirrors tcpdump', { skip: hasTcpdump ? false : 'tcpdump not installed' }, () => {
  const identical: [string, LinkMatcher[]][] = [
    ['ether proto 0x0842', [{ kind: 'ethertype', types: [0x0842] }]],
    [
      'arp dst host 10.77.0.10 or arp dst host 10.77.0.11',
      [{ kind: 'arp', addresses: [SLEEPER_V4, '10.77.0.11'] }],
    ],
    [
      'tcp and dst host 10.77.0.10 and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn',
      [{ kind: 'tcp', destinations: [SLEEPER_V4], synOnly: true }],
    ],
  ];
  for (const [expression, matchers] of identical) {
    test(`same instructions as tcpdump -dd '${expression}'`, () => {
      assert.deepEqual(compileFilter(matchers), tcpdumpProgram(expression));
    });
  }

  const equivalent: [string, LinkMatcher[]][] = [
    [
      `ether src ${SLEEPER_MAC} or ether src ${PROXY_MAC}`,
      [{ kind: 'source-mac', macs: [SLEEPER_MAC, PROXY_MAC] }],
    ],
    [
      'arp host 10.77.0.10 or arp host 10.77.0.20',
      [{ kind: 'arp', addresses: [SLEEPER_V4, PROXY_V4], field: 'either' }],
    ],
    [
      `ip6[6] = 58 and ip6[7] = 255 and (ip6[40] = 135 or ip6[40] = 136) and ((${v6Words(SLEEPER_LL, 48)}) or (${v6Words('fd77::10', 48)}))`,
      [{ kind: 'ndp', targets: [SLEEPER_LL, 'fd77::10'] }],
    ],
    [
      `ip6[6] = 58 and ip6[7] = 255 and (ip6[40] = 135 or ip6[40] = 136) and ((${v6Words('fd77::10', 8)}) or (${v6Words('fd77::10', 48)}))`,
      [{ kind: 'ndp', targets: ['fd77::10'], field: 'either' }],
    ],
    [
      `(udp and dst host 10.77.0.10 and (udp dst port 137 or udp dst port 5353)) or (ip6[6] = 17 and ip6 dst host fd77::10 and (ip6[42:2] = 137 or ip6[42:2] = 5353))`,
      [{ kind: 'udp', destinations: [SLEEPER_V4, 'fd77::10'], ports: [137, 5353] }],
    ],
    [
      `(tcp and dst host 10.77.0.10) or (ip6[6] = 6 and ip6 dst host ${SLEEPER_LL})`,
      [{ kind: 'tcp', destinations: [SLEEPER_V4, SLEEPER_LL] }],
    ],
  ];
  for (const [expression, matchers] of equivalent) {
    test(`same verdicts as tcpdump '${expression.slice(0, 60)}…' on the corpus`, () => {
      const theirs = tcpdumpProgram(expression);
      assert.ok(theirs, expression);
      const ours = compileFilter(matchers);
      for (const { name, data } of corpus) {
        assert.equal(runBpf(ours, data) > 0, runBpf(theirs, data) > 0, `${name}: ${data.toString('hex')}`);
      }
    });
  }
});
