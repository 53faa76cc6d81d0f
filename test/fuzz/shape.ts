// Where the headers and length fields of an input are, so the mutator can aim at them: truncation at
// every header boundary and length fields set to 0, max or off by one. A best-effort walk over the
// seed's bytes (the seeds are well formed; a mutated input just yields fewer hints), never a parser:
// every read is bounds-checked and every loop bounded, and a wrong hint only costs a dull mutation.

/** A length, count or header-size field: `bits` wide (4 = a nibble at `shift`), big-endian. */
export interface LengthField {
  readonly offset: number;
  readonly bits: 4 | 8 | 16;
  readonly shift?: 0 | 4;
}

export interface Shape {
  readonly boundaries: number[];
  readonly lengths: LengthField[];
}

export type ShapeOf = (buf: Buffer) => Shape;

const empty = (): Shape => ({ boundaries: [], lengths: [] });

const u16 = (b: Buffer, at: number): number => (at + 2 <= b.length ? b.readUInt16BE(at) : -1);

/** An Ethernet frame: Ethernet, ARP, IPv4 (IHL, total length), IPv6, UDP (and DNS in it), TCP, ICMPv6/NDP. */
export function frameShape(buf: Buffer, base = 0): Shape {
  const s = empty();
  const eth = base + 14;
  if (buf.length < eth) return s;
  s.boundaries.push(eth);
  const etherType = u16(buf, base + 12);
  if (etherType === 0x0806) {
    s.boundaries.push(eth + 8, eth + 28);
    s.lengths.push({ offset: eth + 4, bits: 8 }, { offset: eth + 5, bits: 8 });
    return s;
  }
  let l4 = -1;
  let protocol = -1;
  if (etherType === 0x0800 && buf.length > eth) {
    const ihl = (buf[eth] & 0xf) * 4;
    s.boundaries.push(eth + 20, eth + ihl);
    s.lengths.push({ offset: eth, bits: 4, shift: 0 }, { offset: eth + 2, bits: 16 });
    l4 = eth + ihl;
    protocol = buf.length > eth + 9 ? buf[eth + 9] : -1;
  } else if (etherType === 0x86dd) {
    s.boundaries.push(eth + 40);
    s.lengths.push({ offset: eth + 4, bits: 16 });
    l4 = eth + 40;
    protocol = buf.length > eth + 6 ? buf[eth + 6] : -1;
  }
  if (l4 < 0 || l4 > buf.length) return s;
  if (protocol === 17) {
    s.boundaries.push(l4 + 8);
    s.lengths.push({ offset: l4 + 4, bits: 16 });
    merge(s, dnsShape(buf, l4 + 8));
  } else if (protocol === 6 && buf.length > l4 + 12) {
    const dataOffset = (buf[l4 + 12] >> 4) * 4;
    s.boundaries.push(l4 + 20, l4 + dataOffset);
    s.lengths.push({ offset: l4 + 12, bits: 4, shift: 4 });
  } else if (protocol === 58) {
    s.boundaries.push(l4 + 4, l4 + 8, l4 + 24);
    // NDP options: type, length in units of 8 bytes.
    for (let at = l4 + 24, n = 0; at + 2 <= buf.length && n < 16; n++) {
      s.lengths.push({ offset: at + 1, bits: 8 });
      s.boundaries.push(at, at + 2);
      if (buf[at + 1] === 0) break;
      at += buf[at + 1] * 8;
    }
  }
  return s;
}

/** A DNS message at `base`: header, counts, label lengths, record boundaries, RDLENGTH, EDNS option lengths. */
export function dnsShape(buf: Buffer, base = 0): Shape {
  const s = empty();
  if (buf.length < base + 12) return s;
  s.boundaries.push(base + 12);
  for (const at of [4, 6, 8, 10]) s.lengths.push({ offset: base + at, bits: 16 });
  const questions = u16(buf, base + 4);
  const records = u16(buf, base + 6) + u16(buf, base + 8) + u16(buf, base + 10);
  let at = base + 12;
  const name = (): void => {
    for (let n = 0; n < 128 && at < buf.length; n++) {
      const len = buf[at];
      s.lengths.push({ offset: at, bits: 8 });
      if (len === 0) return void at++;
      if ((len & 0xc0) === 0xc0) return void (at += 2);
      at += 1 + len;
    }
  };
  for (let q = 0; q < Math.min(questions, 64) && at < buf.length; q++) {
    name();
    at += 4;
    s.boundaries.push(at);
  }
  for (let r = 0; r < Math.min(records, 256) && at + 10 <= buf.length; r++) {
    name();
    const type = u16(buf, at);
    const rdlength = u16(buf, at + 8);
    if (rdlength < 0) break;
    s.lengths.push({ offset: at + 8, bits: 16 });
    at += 10;
    s.boundaries.push(at, at + rdlength);
    if (type === 41) merge(s, ednsShape(buf, at, at + rdlength));
    at += rdlength;
  }
  return s;
}

/** EDNS options in an OPT record's RDATA: code, length, data. */
export function ednsShape(buf: Buffer, start = 0, end = buf.length): Shape {
  const s = empty();
  for (let at = start, n = 0; at + 4 <= Math.min(end, buf.length) && n < 64; n++) {
    s.lengths.push({ offset: at + 2, bits: 16 });
    s.boundaries.push(at, at + 4);
    at += 4 + buf.readUInt16BE(at + 2);
  }
  return s;
}

/** A relay mesh message: "SS" + frame, or "SA" + version, sender, counter, HMAC + frame. */
export function meshShape(buf: Buffer): Shape {
  if (buf.length >= 2 && buf[0] === 0x53 && buf[1] === 0x41) {
    const s = frameShape(buf, 52);
    s.boundaries.push(2, 4, 12, 20, 52);
    return s;
  }
  const s = frameShape(buf, 2);
  s.boundaries.push(2);
  return s;
}

export const noShape: ShapeOf = () => empty();

function merge(into: Shape, from: Shape): void {
  into.boundaries.push(...from.boundaries);
  into.lengths.push(...from.lengths);
}
