// Every frame of every real capture through parseFrame, checked against tshark's decode of the same
// frame, and re-emitted from the innermost repr to the same bytes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Frame, encodeFrame, parseFrame } from '../../../src/wire/frame';
import { FIXTURE_FILES, type FixtureFrame, field, loadFixtureFrames, tsharkDecodes } from './fixture-frames';

const frames = loadFixtureFrames();
const name = (f: FixtureFrame): string => `${f.file}#${f.frame}`;

// The captures were taken on veth/bridge ports of a network-namespace testbed, where the sender's
// UDP checksums are offloaded and never finished: `tshark -o udp.check_checksum:TRUE` flags
// 236 frames over the nine captures (31+24+66+37+31+41+1+3+2, filter udp.checksum.status==0 ||
// icmpv6.checksum.status==0), every one of them UDP. parseFrame must report exactly those as
// 'bad-checksum' and parse them with transport checksums unchecked, the way the capture path treats
// frames flagged TP_STATUS_CSUMNOTREADY.
const TSHARK_BAD_CHECKSUMS = 236;
const strict = new Map(frames.map((f) => [f, parseFrame(f.data)]));
const lax = new Map(frames.map((f) => [f, parseFrame(f.data, { verifyTransportChecksums: false })]));
const offloaded = (f: FixtureFrame): boolean => !strict.get(f)!.ok;

function parsed(f: FixtureFrame): Frame {
  const result = lax.get(f)!;
  if (!result.ok) assert.fail(`${name(f)}: ${result.error.message}`);
  return result.value;
}

const MAC = '([0-9a-f]{2}(?::[0-9a-f]{2}){5})';

describe('frame: real captures', () => {
  test(`all ${frames.length} frames of ${FIXTURE_FILES.length} captures parse`, () => {
    assert.ok(frames.length > 200);
    for (const f of frames) parsed(f);
    const errors = frames.flatMap((f) => {
      const r = strict.get(f)!;
      return r.ok ? [] : [`${name(f)}: ${r.error.message}`];
    });
    assert.deepEqual(
      errors.filter((e) => !e.endsWith('bad-checksum: udp')),
      [],
      'only unfinished UDP checksums fail',
    );
    assert.equal(errors.length, TSHARK_BAD_CHECKSUMS, 'the frames tshark flags, no more, no less');
  });

  test('every layer agrees with the tshark decode', () => {
    let checked = 0;
    for (const file of FIXTURE_FILES) {
      const texts = tsharkDecodes(file);
      for (const f of frames.filter((x) => x.file === file)) {
        const text = texts.get(f.frame);
        if (!text) continue; // the .txt of the larger captures decode only the interesting frames
        const frame = parsed(f);
        const where = name(f);
        const eth = new RegExp(`Ethernet II, Src: [^\\n]*?\\(${MAC}\\), Dst: [^\\n]*?\\(${MAC}\\)`).exec(
          text,
        );
        assert.ok(eth, where);
        assert.deepEqual([frame.eth.src, frame.eth.dst], [eth[1], eth[2]], where);
        if (frame.kind === 'arp') {
          assert.equal(String(frame.arp.op), field(text, /Opcode: \w+ \((\d+)\)/), where);
          assert.equal(
            frame.arp.senderMac,
            field(text, new RegExp(`Sender MAC address: [^\\n]*\\(${MAC}\\)`)),
            where,
          );
          assert.equal(frame.arp.senderIp, field(text, /Sender IP address: (\S+)/), where);
          assert.equal(
            frame.arp.targetMac,
            field(text, new RegExp(`Target MAC address: [^\\n]*\\(${MAC}\\)`)),
            where,
          );
          assert.equal(frame.arp.targetIp, field(text, /Target IP address: (\S+)/), where);
        }
        checked++;
        if (frame.kind === 'ethernet' || frame.kind === 'arp' || frame.kind === 'wol') continue;
        const ip = /Internet Protocol Version ([46]), Src: (\S+), Dst: (\S+)\n/.exec(text);
        assert.ok(ip, where);
        assert.deepEqual(
          [String(frame.ip.version), frame.ip.src, frame.ip.dst],
          [ip[1], ip[2], ip[3]],
          where,
        );
        if (frame.ip.version === 4) {
          assert.equal(frame.ip.ttl, Number(field(text, /Time to Live: (\d+)/)), where);
          assert.equal(frame.ip.ident, Number(field(text, /Identification: (0x[0-9a-f]+)/)), where);
        } else {
          assert.equal(frame.ip.hopLimit, Number(field(text, /Hop Limit: (\d+)/)), where);
        }
        if (frame.kind === 'udp') {
          const udp = /User Datagram Protocol, Src Port: (\d+), Dst Port: (\d+)/.exec(text);
          assert.ok(udp, where);
          assert.deepEqual([frame.udp.srcPort, frame.udp.dstPort], [Number(udp[1]), Number(udp[2])], where);
          assert.equal(frame.udp.payload.length + 8, Number(field(text, /\n {4}Length: (\d+)/)), where);
        }
        if (frame.kind === 'icmpv6') {
          assert.equal(
            frame.icmpv6.type,
            Number(field(text, /Internet Control Message Protocol v6\n {4}Type: [^\n]*\((\d+)\)/)),
            where,
          );
          if (frame.ndp) {
            assert.equal(frame.ndp.target, field(text, /Target Address: (\S+)/), where);
            if (frame.ndp.type === 136) {
              const flag = (n: string): boolean => field(text, new RegExp(`= ${n}: (Set|Not set)`)) === 'Set';
              assert.deepEqual(
                [frame.ndp.router, frame.ndp.solicited, frame.ndp.override],
                [flag('Router'), flag('Solicited'), flag('Override')],
                where,
              );
              assert.equal(
                frame.ndp.targetLinkLayer,
                field(text, new RegExp(`Link-layer address: ${MAC}`)),
                where,
              );
            }
          }
        }
      }
    }
    assert.ok(checked > 150, `${checked} frames checked`);
  });

  test('re-emitting every frame from its innermost repr gives the captured bytes (minus padding)', () => {
    const counts = new Map<string, number>();
    for (const f of frames) {
      const frame = parsed(f);
      const wire = encodeFrame(frame);
      // Unfinished UDP checksums on the wire; ours are real, so those two bytes are not compared.
      const expected = Buffer.from(f.data.subarray(0, wire.length));
      if (offloaded(f) && frame.kind === 'udp') {
        const at = 14 + (frame.ip.version === 4 ? 20 + frame.ip.options.length : 40) + 6;
        wire.writeUInt16BE(expected.readUInt16BE(at), at);
      }
      assert.deepEqual(wire, expected, name(f));
      assert.ok(
        f.data.subarray(wire.length).every((b) => b === 0),
        `${name(f)}: only zero padding after`,
      );
      const key = frame.kind === 'icmpv6' && frame.ndp ? 'ndp' : frame.kind;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    // What the captures exercise: ARP, NDP (NS with nonce, NA), other ICMPv6, IGMP and MLD (kind ip), UDP.
    for (const kind of ['arp', 'ndp', 'icmpv6', 'ip', 'udp']) assert.ok(counts.get(kind), `no ${kind} frame`);
  });

  test('our UDP checksums for the offloaded SnowSignal datagrams are the ones tcpdump computed', () => {
    // From the .txt: "[bad udp cksum 0x17f6 -> 0x7401!]", "0x0b82 -> 0xd733", "0x17e3 -> 0x2b17".
    const expected: [string, number, number][] = [
      ['snowsignal-mesh.pcap', 1, 0x7401],
      ['snowsignal-relay-segA.pcap', 1, 0xd733],
      ['snowsignal-relay-segA.pcap', 3, 0x2b17],
    ];
    for (const [file, number, checksum] of expected) {
      const f = frames.find((x) => x.file === file && x.frame === number)!;
      assert.ok(offloaded(f));
      const wire = encodeFrame(parsed(f));
      assert.equal(wire.readUInt16BE(14 + 20 + 6), checksum, name(f));
    }
  });

  test('a few fields by hand: the kernel NA of mdnsresponder-wake.pcap frame 17 and the DAD NS of frame 7', () => {
    const na = parsed(frames.find((f) => f.file === 'mdnsresponder-wake.pcap' && f.frame === 17)!);
    assert.ok(na.kind === 'icmpv6' && na.ndp?.type === 136);
    assert.equal(na.ndp.target, 'fe80::53:50ff:fe00:a');
    assert.deepEqual([na.ndp.router, na.ndp.solicited, na.ndp.override], [false, false, true]);
    assert.equal(na.ndp.targetLinkLayer, '02:53:50:00:00:0a');
    const ns = parsed(frames.find((f) => f.file === 'mdnsresponder-wake.pcap' && f.frame === 7)!);
    assert.ok(ns.kind === 'icmpv6' && ns.ndp?.type === 135);
    assert.equal(ns.ip.src, '::');
    assert.equal(ns.ndp.sourceLinkLayer, undefined);
    assert.deepEqual(ns.ndp.otherOptions, [{ type: 14, data: Buffer.from('ba212f217429', 'hex') }]);
  });
});
