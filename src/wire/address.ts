// Text forms of link and IP addresses, as the rest of the code keys its maps by them:
// MACs as lowercase "aa:bb:cc:dd:ee:ff", IPv4 dotted quads, IPv6 in RFC 5952 canonical form.

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function macToString(buf: Uint8Array, offset = 0): string {
  return `${HEX[buf[offset]]}:${HEX[buf[offset + 1]]}:${HEX[buf[offset + 2]]}:${HEX[buf[offset + 3]]}:${HEX[buf[offset + 4]]}:${HEX[buf[offset + 5]]}`;
}

const MAC_RE = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i;
const MAC_BARE_RE = /^[0-9a-f]{12}$/i;

export function isMac(text: string): boolean {
  return MAC_RE.test(text) || MAC_BARE_RE.test(text);
}

/** Accepts "aa:bb:cc:dd:ee:ff", "aa-bb-cc-dd-ee-ff" or "aabbccddeeff"; undefined if not a MAC. */
export function macToBytes(text: string): Buffer | undefined {
  if (!isMac(text)) return undefined;
  return Buffer.from(text.replace(/[:-]/g, ''), 'hex');
}

/** The canonical lowercase colon form of a MAC given in any accepted spelling. */
export function normalizeMac(text: string): string | undefined {
  const bytes = macToBytes(text);
  return bytes && macToString(bytes);
}

export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';

export function ipv4ToString(buf: Uint8Array, offset = 0): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
}

const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(text: string): boolean {
  return IPV4_RE.test(text);
}

export function ipv4ToBytes(text: string): Buffer | undefined {
  if (!isIpv4(text)) return undefined;
  return Buffer.from(text.split('.').map(Number));
}

export function ipv6ToString(buf: Uint8Array, offset = 0): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((buf[offset + 2 * i] << 8) | buf[offset + 2 * i + 1]);
  // RFC 5952: compress the longest run (first of equals) of two or more zero words.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Parses IPv6 text (with "::" and an optional embedded IPv4 tail, no zone); undefined if invalid. */
export function ipv6ToBytes(text: string): Buffer | undefined {
  if (text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let tail: Buffer | undefined;
  let body = text;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    tail = ipv4ToBytes(text.slice(lastColon + 1));
    if (!tail) return undefined;
    body = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string): number[] | undefined => {
    if (s === '') return [];
    const parts = s.split(':');
    if (parts.some((p) => !/^[0-9a-fA-F]{1,4}$/.test(p))) return undefined;
    return parts.map((p) => parseInt(p, 16));
  };
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  if (!head || !rest) return undefined;
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const words = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...rest];
  const out = Buffer.alloc(16);
  words.forEach((w, i) => out.writeUInt16BE(w, 2 * i));
  if (tail) tail.copy(out, 12);
  return out;
}

export function isIpv6(text: string): boolean {
  return ipv6ToBytes(text) !== undefined;
}

/** The canonical form of an IPv6 address given in any valid spelling. */
export function normalizeIpv6(text: string): string | undefined {
  const bytes = ipv6ToBytes(text);
  return bytes && ipv6ToString(bytes);
}
