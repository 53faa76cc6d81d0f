// Codec throughput on the real captures, each against a reference decoding the same bytes in the same
// run: our DNS walk against dns-packet's decode (which does less: no RDLENGTH bounds, no Owner/Lease
// validation, no reverse-name parsing), and the full frame peel on its own.
import dnsPacket from 'dns-packet';
import { parseDnsMessage } from '../src/wire/dns';
import { parseFrame } from '../src/wire/frame';
import { parseRegistration } from '../src/wire/sps-registration';
import { fixturePath } from '../test/support/paths';
import { readPcap } from '../test/support/pcap';
import { udpDatagrams } from '../test/support/udp-payloads';
import { summarize, type Summary } from './stats';

export interface CodecResult {
  readonly name: string;
  readonly inputs: number;
  /** nanoseconds per input */
  readonly ours: Summary;
  readonly reference?: { readonly name: string; readonly ns: Summary; readonly ratioMedian: number };
}

const CAPTURES = [
  'mdnsresponder-registration.pcap',
  'mdnsresponder-2600-registration.pcap',
  'mdnsresponder-registration-multipacket.pcap',
  'mdnsresponder-wake.pcap',
  'mdnsresponder-2600-wake.pcap',
];

/** ns per input over `trials` trials of enough repetitions to last ~20 ms each. */
function measure(inputs: readonly Buffer[], decode: (b: Buffer) => unknown, trials: number): Summary {
  let reps = 1;
  for (;;) {
    const start = process.hrtime.bigint();
    for (let r = 0; r < reps; r++) for (const input of inputs) decode(input);
    if (Number(process.hrtime.bigint() - start) > 20e6) break;
    reps *= 2;
  }
  const samples: number[] = [];
  for (let t = 0; t < trials; t++) {
    const start = process.hrtime.bigint();
    for (let r = 0; r < reps; r++) for (const input of inputs) decode(input);
    samples.push(Number(process.hrtime.bigint() - start) / (reps * inputs.length));
  }
  return summarize(samples);
}

function compare(
  name: string,
  inputs: Buffer[],
  ours: (b: Buffer) => unknown,
  reference: { name: string; decode: (b: Buffer) => unknown } | undefined,
  trials: number,
): CodecResult {
  const oursNs = measure(inputs, ours, trials);
  if (!reference) return { name, inputs: inputs.length, ours: oursNs };
  const refNs = measure(inputs, reference.decode, trials);
  return {
    name,
    inputs: inputs.length,
    ours: oursNs,
    reference: { name: reference.name, ns: refNs, ratioMedian: oursNs.median / refNs.median },
  };
}

export function benchCodecs(trials: number): CodecResult[] {
  const datagrams = CAPTURES.flatMap((c) => udpDatagrams(fixturePath(c)));
  const updates = datagrams.filter((d) => d.dstPort === 5354).map((d) => d.payload);
  const mdns = datagrams.filter((d) => d.dstPort === 5353).map((d) => d.payload);
  const frames = CAPTURES.flatMap((c) => readPcap(fixturePath(c)).records.map((r) => r.data));
  const dnsPacketDecode = { name: 'dns-packet decode', decode: (b: Buffer) => dnsPacket.decode(b) };
  return [
    compare('SPS registration parse', updates, (b) => parseRegistration(b), dnsPacketDecode, trials),
    compare('mDNS message parse', mdns, (b) => parseDnsMessage(b), dnsPacketDecode, trials),
    compare('frame parse (Ethernet..transport)', frames, (b) => parseFrame(b), undefined, trials),
  ];
}
