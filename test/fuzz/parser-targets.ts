// One fuzz target per wire parser. The contract under test (src/wire/result.ts): a parser returns a
// result for every input, ok or a WireError, and never throws; what parses can be emitted again
// (frames, DNS messages); derived values stay in range (leases clamped, ranks finite). A parser
// target is one step on no state, except IPv4 reassembly, whose state is the point.
import { encodeDnsMessage, parseDnsMessage, type ParsedDnsMessage } from '../../src/wire/dns';
import { LEASE_PARSE_CLAMP, parseEdnsOptions, parseLeaseOption, parseOwnerOption } from '../../src/wire/edns';
import { encodeFrame, parseFrame } from '../../src/wire/frame';
import { Ipv4Reassembler } from '../../src/wire/ipv4-reassembly';
import { parseIpv4Frame } from '../../src/relay/broadcast-datagram';
import { parseMeshMessage } from '../../src/wire/relay-mesh';
import { type Parsed, WireError } from '../../src/wire/result';
import { encodeKeepaliveRdata, parseKeepaliveRdata } from '../../src/wire/sps-keepalive';
import { parseOwnerOptions } from '../../src/wire/sps-owner';
import { formatSpsName, parseSpsName, rankSpsName, spsNameProblem } from '../../src/wire/sps-name';
import { parseRegistration, parseRegistrationReply } from '../../src/wire/sps-registration';
import type { FuzzStep, FuzzTarget } from './fuzzer';
import { seeds } from './seeds';
import { dnsShape, ednsShape, frameShape, meshShape, noShape } from './shape';

export const MESH_KEY = Buffer.from('fuzz mesh key, 32 bytes long....');

export class InvariantError extends Error {
  override name = 'InvariantError';
}

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}

/** The parser contract, and a signature of the outcome (digits folded so counts do not flood it). */
export function outcome<T>(what: string, r: Parsed<T>, describe: (v: T) => string = () => ''): string {
  check(r && typeof r.ok === 'boolean', `${what}: not a result`);
  if (r.ok) return `${what}:ok:${describe(r.value)}`;
  check(r.error instanceof WireError, `${what}: error is not a WireError`);
  return `${what}:${r.error.reason}:${r.error.detail.replace(/\d+/g, '#')}`;
}

const one = (steps: readonly FuzzStep[]): FuzzStep => steps[0];

const frameTarget: FuzzTarget = {
  name: 'frame',
  maxSteps: 1,
  get ops() {
    return { frame: { seeds: seeds().frames, shapeOf: frameShape } };
  },
  execute(steps) {
    const { data, variant } = one(steps);
    const r = parseFrame(data, { verifyTransportChecksums: (variant & 1) === 0 });
    if (r.ok) {
      // Whatever parses is a repr the encoder accepts, and it encodes to the same kind of frame,
      // with valid checksums (the proxy re-emits captured frames this way).
      const again = parseFrame(encodeFrame(r.value), { verifyTransportChecksums: true });
      check(again.ok && again.value.kind === r.value.kind, `re-encoded ${r.value.kind} frame does not parse`);
    }
    return outcome('frame', r, (f) => `${f.kind}${'ip' in f && f.ip ? `/v${f.ip.version}` : ''}`);
  },
};

const dnsTarget: FuzzTarget = {
  name: 'dns',
  maxSteps: 1,
  get ops() {
    const s = seeds();
    return { mdns: { seeds: [...s.mdns, ...s.registrations, ...s.replies], shapeOf: dnsShape } };
  },
  execute(steps) {
    const r = parseDnsMessage(one(steps).data);
    if (r.ok) {
      // What parses encodes again (we re-emit parsed records) to a message with the same sections.
      const again = parseDnsMessage(encodeDnsMessage(r.value));
      const sizes = (m: ParsedDnsMessage): string =>
        [m.questions, m.answers, m.authorities, m.additionals].map((x) => x.length).join('/');
      check(again.ok && sizes(again.value) === sizes(r.value), 're-encoded DNS message differs');
    }
    return outcome('dns', r, (m) => {
      const counts = [m.questions, m.answers, m.authorities, m.additionals].map((x) => Math.min(x.length, 3));
      return `${counts.join('/')}:${[...new Set(m.skipped.map((s) => s.error.reason))].sort().join(',')}`;
    });
  },
};

const registrationTarget: FuzzTarget = {
  name: 'sps-registration',
  maxSteps: 1,
  get ops() {
    const s = seeds();
    return {
      registration: { seeds: s.registrations, shapeOf: dnsShape },
      reply: { seeds: s.replies.length ? s.replies : s.registrations, shapeOf: dnsShape },
    };
  },
  execute(steps) {
    const { op, data } = one(steps);
    if (op === 'reply') return outcome('reply', parseRegistrationReply(data), (v) => `${v.rcode}`);
    const r = parseRegistration(data);
    if (!r.ok && r.formErr) {
      check(Number.isInteger(r.formErr.id) && r.formErr.id >= 0 && r.formErr.id <= 0xffff, 'formErr id');
      return `registration:formErr:${r.formErr.reason}`;
    }
    return outcome('registration', r, (v) => {
      check(Number.isFinite(v.lease) && v.lease >= 0, `lease ${v.lease}`);
      return `${Math.min(v.records.length, 3)}:${v.skipped.length > 0}`;
    });
  },
};

const ownerTarget: FuzzTarget = {
  name: 'sps-owner',
  maxSteps: 1,
  get ops() {
    return { mdns: { seeds: seeds().mdns, shapeOf: dnsShape } };
  },
  execute(steps) {
    return outcome('owner', parseOwnerOptions(one(steps).data), (owners) => `${Math.min(owners.length, 2)}`);
  },
};

const ednsTarget: FuzzTarget = {
  name: 'edns',
  maxSteps: 1,
  get ops() {
    const s = seeds();
    return {
      opt: { seeds: s.optRdata, shapeOf: ednsShape },
      owner: { seeds: s.ownerOptions, shapeOf: noShape },
      lease: { seeds: s.leaseOptions, shapeOf: noShape },
    };
  },
  execute(steps) {
    const { op, data } = one(steps);
    if (op === 'owner') return outcome('owner', parseOwnerOption(data), (o) => `${o.password?.length ?? 0}`);
    if (op === 'lease')
      return outcome('lease', parseLeaseOption(data), (seconds) => {
        check(Number.isInteger(seconds) && seconds >= 0 && seconds <= LEASE_PARSE_CLAMP, `lease ${seconds}`);
        return '';
      });
    return outcome('opt', parseEdnsOptions(data), (o) => `${Math.min(o.length, 3)}`);
  },
};

const spsNameTarget: FuzzTarget = {
  name: 'sps-name',
  maxSteps: 1,
  get ops() {
    return { name: { seeds: seeds().spsNames, shapeOf: noShape } };
  },
  execute(steps) {
    const label = one(steps).data.toString(one(steps).variant & 1 ? 'latin1' : 'utf8');
    const rank = rankSpsName(label);
    check(Number.isFinite(rank.metric) && Number.isFinite(rank.features), 'rank not finite');
    return outcome('sps-name', parseSpsName(label), (repr) => {
      // A name whose fields are in range formats back to one label that parses the same (the
      // pretty name cut to fit the label).
      if (spsNameProblem(repr) === undefined) {
        const text = formatSpsName(repr);
        const again = parseSpsName(text);
        check(Buffer.byteLength(text) <= 63, 'formatted name longer than a DNS label');
        check(again.ok && repr.prettyName.startsWith(again.value.prettyName), 'format/parse round trip');
        check(again.value.intent === repr.intent && again.value.features === repr.features, 'fields lost');
      }
      return `${rank.valid}:${rank.prototype}:${repr.features !== undefined}`;
    });
  },
};

const keepaliveTarget: FuzzTarget = {
  name: 'sps-keepalive',
  maxSteps: 1,
  get ops() {
    return { rdata: { seeds: seeds().keepaliveRdata, shapeOf: noShape } };
  },
  execute(steps) {
    return outcome('keepalive', parseKeepaliveRdata(one(steps).data), (k) => {
      // A usable record encodes back to one that parses the same.
      const again = parseKeepaliveRdata(encodeKeepaliveRdata(k));
      check(again.ok && JSON.stringify(again.value) === JSON.stringify(k), 'keepalive round trip');
      return k.local.includes(':') ? '6' : '4';
    });
  },
};

const meshTarget: FuzzTarget = {
  name: 'relay-mesh',
  maxSteps: 1,
  get ops() {
    return { mesh: { seeds: seeds().meshMessages, shapeOf: meshShape } };
  },
  execute(steps) {
    const { data, variant } = one(steps);
    const r = parseMeshMessage(data, variant & 1 ? MESH_KEY : undefined);
    return outcome('mesh', r, (m) => {
      check(m.frame.length >= 14, 'mesh frame shorter than an Ethernet header');
      return m.kind;
    });
  },
};

const REASSEMBLY_MAX = 4;

const reassemblyTarget: FuzzTarget = {
  name: 'ipv4-reassembly',
  maxSteps: 8,
  get ops() {
    return { fragment: { seeds: seeds().broadcastFrames, shapeOf: frameShape } };
  },
  execute(steps) {
    const reassembler = new Ipv4Reassembler({ maxDatagrams: REASSEMBLY_MAX, timeoutMs: 30_000 });
    let now = 1_000_000;
    const outcomes: string[] = [];
    for (const step of steps) {
      now += step.dt;
      const packet = parseIpv4Frame(step.data);
      outcomes.push(outcome('ipv4', packet));
      if (!packet.ok) continue;
      const r = reassembler.add(packet.value, now);
      check(reassembler.pending <= REASSEMBLY_MAX, `pending ${reassembler.pending}`);
      if (r.status === 'complete') {
        check(r.datagram.payload.length <= 65_515, 'datagram above 64 KiB');
        check(
          r.datagram.fragmentOffset === 0 && !r.datagram.moreFragments,
          'complete datagram is a fragment',
        );
      }
      outcomes.push(r.status === 'dropped' ? r.reason : r.status);
    }
    return [...new Set(outcomes)].sort().join(',');
  },
};

export const PARSER_TARGETS: readonly FuzzTarget[] = [
  frameTarget,
  dnsTarget,
  registrationTarget,
  ownerTarget,
  ednsTarget,
  spsNameTarget,
  keepaliveTarget,
  meshTarget,
  reassemblyTarget,
];
