// `npm run bench [-- ROW...]`: runs the benchmarks (all, or the rows named: codecs, arp, ndp, syn,
// wake, registrations, flood, proxied-flood, mdns, sleepers), prints the table and writes the figures as
// JSON to bench/results/<time>.json so runs can be compared, and the rows alone to bench/results.json: a
// list of {name, unit, value, reference, ratio, target, met, samples, note} (null where a row has
// no reference, ratio or note; a row that could not be measured has value null and met false).
// Each figure comes with a reference measured in the same run where one exists; compare ratios, not
// absolute times, across machines. The LAN rows need root, tcpdump, arping and ndisc6 (they build a
// test LAN, see test/support/lan); the mDNS row also avahi-daemon. BENCH_TRIALS (default 200) sets
// the trials of the latency rows; BENCH_PROFILE=<dir> has the proxy write a CPU profile there.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lanUnavailableReason, toolUnavailableReason } from '../test/support/lan';
import { repoRoot } from '../test/support/paths';
import { benchArpFlood } from './arp-flood';
import { benchArpFloodProxied } from './arp-flood-proxied';
import { benchArpLatency } from './arp-latency';
import { benchCodecs, type CodecResult } from './codecs';
import { benchManySleepers } from './many-sleepers';
import { benchMdnsLatency } from './mdns-latency';
import { benchNdpLatency } from './ndp-latency';
import { benchRegistrations } from './registrations';
import { formatRows, resultRow, unmeasured, type BenchRow } from './row';
import { benchSynToMagic } from './syn-to-magic';
import { benchWakeConnect } from './wake-connect';

const trials = Number(process.env.BENCH_TRIALS ?? 200);
const LAN_ROWS: Record<string, (trials: number) => Promise<BenchRow[]>> = {
  arp: benchArpLatency,
  ndp: benchNdpLatency,
  syn: benchSynToMagic,
  wake: benchWakeConnect,
  registrations: benchRegistrations,
  flood: benchArpFlood,
  'proxied-flood': benchArpFloodProxied,
  mdns: benchMdnsLatency,
  sleepers: benchManySleepers,
};

function printCodecs(codecs: readonly CodecResult[]): void {
  const fmt = (ns: number) => ns.toFixed(0).padStart(7);
  console.log(`codecs (ns per input: min / median / p99)`);
  for (const r of codecs) {
    const ref = r.reference
      ? `  vs ${r.reference.name} ${fmt(r.reference.ns.median)}  ratio ${r.reference.ratioMedian.toFixed(2)}`
      : '';
    console.log(
      `  ${r.name.padEnd(36)} n=${String(r.inputs).padStart(3)} ${fmt(r.ours.min)} ${fmt(r.ours.median)} ${fmt(r.ours.p99)}${ref}`,
    );
  }
}

async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((a) => a !== 'codecs' && !(a in LAN_ROWS));
  if (unknown.length)
    throw new Error(`unknown rows: ${unknown.join(', ')} (codecs, ${Object.keys(LAN_ROWS).join(', ')})`);
  const wants = (name: string) => asked.length === 0 || asked.includes(name);

  const codecs = wants('codecs') ? benchCodecs(50) : [];
  if (codecs.length) printCodecs(codecs);

  const rows: BenchRow[] = [];
  const skipped: Record<string, string> = {};
  const lanReason = lanUnavailableReason() ?? toolUnavailableReason('tcpdump', 'arping', 'ndisc6');
  for (const [name, bench] of Object.entries(LAN_ROWS)) {
    if (!wants(name)) continue;
    if (lanReason) {
      skipped[name] = lanReason;
      continue;
    }
    const started = Date.now();
    try {
      rows.push(...(await bench(trials)));
    } catch (error) {
      skipped[name] = (error as Error).message;
    }
    console.error(`${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  if (rows.length) console.log(formatRows(rows).join('\n'));
  for (const r of rows.filter((x) => x.note)) console.log(`note (${r.name}): ${r.note}`);
  for (const [name, reason] of Object.entries(skipped)) console.log(`not measured: ${name}: ${reason}`);

  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ node: process.version, trials, rows, skipped, codecs }, null, 2));
  // the latest run's rows alone, for a program to check (issue 9: name, value, reference, ratio, target, met)
  const latest = join(repoRoot, 'bench', 'results.json');
  const results = [
    ...rows.map(resultRow),
    ...Object.entries(skipped).map(([name, reason]) => unmeasured(name, reason)),
  ];
  writeFileSync(latest, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`written ${file} and ${latest}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
