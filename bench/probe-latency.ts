// Request/reply latency on the wire for a proxied address against the kernel answering for its own
// address, with the same probe tool, alternating rounds so both see the same noise. Timestamps come
// from one tcpdump on the waker's bridge port: requests leave the waker and replies return to it on
// that one interface, so one clock measures both.
import { capture } from '../test/support/lan';
import { parsePcap } from '../test/support/pcap';
import { cliProxy, proxyLan, type ProxyLan } from './proxy-lan';
import { ratioRow, type BenchRow } from './row';
import { summarize } from './stats';
import { exchangesOf, pairLatencies, type FrameClass } from './wire-pairs';

export interface ProbeSpec {
  readonly name: string;
  /** pcap-filter for the capture. */
  readonly filter: string;
  readonly classify: (frame: Buffer) => FrameClass | undefined;
  /** Runs the probe tool in the waker: `count` requests for `address`. */
  readonly probe: (stage: ProxyLan<unknown>, address: string, count: number) => Promise<void>;
  readonly proxied: string;
  readonly reference: { readonly name: string; readonly address: string };
}

export const LATENCY_TARGET = 'p50 ratio <= 1.5, p99 ratio <= 3';

export async function probeLatency(
  stage: ProxyLan<unknown>,
  spec: ProbeSpec,
  rounds: number,
  perRound: number,
): Promise<BenchRow> {
  const { lan, waker } = stage;
  const proxied: number[] = [];
  const reference: number[] = [];
  let unanswered = 0;
  const measure = async (address: string, into: number[]) => {
    const cap = await capture(lan.bridge, spec.filter, { iface: lan.bridge.portOf(waker) });
    await spec.probe(stage, address, perRound);
    const pairs = pairLatencies(parsePcap(await cap.stop()).records, exchangesOf(waker.mac, spec.classify));
    into.push(...pairs.latenciesMs);
    unanswered += pairs.unanswered;
  };
  for (let r = 0; r < rounds; r++) {
    await measure(spec.proxied, proxied);
    await measure(spec.reference.address, reference);
  }
  if (proxied.length === 0 || reference.length === 0) throw new Error(`${spec.name}: no replies captured`);
  return ratioRow(
    {
      name: spec.name,
      unit: 'ms',
      value: summarize(proxied),
      reference: { name: spec.reference.name, value: summarize(reference) },
      samples: proxied.length,
      target: LATENCY_TARGET,
      ...(unanswered ? { note: `${unanswered} requests unanswered` } : {}),
    },
    (ratio) => ratio.median <= 1.5 && ratio.p99 <= 3,
  );
}

/** The row on a fresh stage: `trials` probes each way, in four alternating rounds. */
export async function probeLatencyRow(
  trials: number,
  spec: (stage: ProxyLan<unknown>) => ProbeSpec,
): Promise<BenchRow[]> {
  const stage = await proxyLan(cliProxy);
  try {
    return [await probeLatency(stage, spec(stage), 4, Math.max(10, Math.ceil(trials / 4)))];
  } finally {
    await stage.close();
  }
}
