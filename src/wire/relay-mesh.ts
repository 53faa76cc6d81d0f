// Mesh messages between UDP broadcast relays (issue 6). Two formats share the mesh port:
//
//   plain (SnowSignal's):  "SS" | captured Ethernet frame
//   authenticated (ours):  "SA" | version 1 | reserved 0 | sender id (8) | counter (8, big-endian)
//                          | HMAC-SHA256 (32) | Ethernet frame
//
// The HMAC covers the 20 header bytes before it and the frame, under a shared key. The counter is
// the sender's monotonic message number (senders start it from their clock, see nextMeshCounter)
// so that a receiver can refuse replays without state surviving restarts. parseMeshMessage never
// throws; with a key it verifies the HMAC ('bad-checksum' on a forged or altered message), without
// one it returns authenticated messages unverified (`verified: false`) and the caller decides.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { type Parsed, fail, ok } from './result';

export const MESH_MAGIC_PLAIN = 'SS';
export const MESH_MAGIC_AUTH = 'SA';
/** SnowSignal's default mesh port. */
export const DEFAULT_MESH_PORT = 7124;
export const MESH_SENDER_ID_LEN = 8;
const AUTH_VERSION = 1;
const MAGIC_LEN = 2;
const SENDER_OFFSET = 4;
const COUNTER_OFFSET = SENDER_OFFSET + MESH_SENDER_ID_LEN;
const MAC_OFFSET = COUNTER_OFFSET + 8;
const MAC_LEN = 32;
/** Bytes an authenticated message adds before the frame. */
export const MESH_AUTH_OVERHEAD = MAC_OFFSET + MAC_LEN;
/** The shortest frame worth carrying: an Ethernet header. */
const MIN_FRAME = 14;
const MAX_COUNTER = Number.MAX_SAFE_INTEGER;

export type MeshMessage =
  | { readonly kind: 'plain'; readonly frame: Buffer }
  | {
      readonly kind: 'auth';
      readonly senderId: Buffer;
      readonly counter: number;
      /** The HMAC was checked against a key (only parseMeshMessage with a key sets this). */
      readonly verified: boolean;
      readonly frame: Buffer;
    };

export function encodePlainMesh(frame: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(MESH_MAGIC_PLAIN, 'latin1'), frame]);
}

export interface AuthMeshSpec {
  readonly senderId: Uint8Array;
  readonly counter: number;
  readonly frame: Uint8Array;
}

/** Throws RangeError on a sender id that is not 8 bytes or a counter out of range (caller's bug). */
export function encodeAuthMesh(spec: AuthMeshSpec, key: Uint8Array): Buffer {
  if (spec.senderId.length !== MESH_SENDER_ID_LEN) throw new RangeError('mesh sender id must be 8 bytes');
  if (!Number.isSafeInteger(spec.counter) || spec.counter < 0)
    throw new RangeError('mesh counter out of range');
  const buf = Buffer.alloc(MESH_AUTH_OVERHEAD + spec.frame.length);
  buf.write(MESH_MAGIC_AUTH, 0, 'latin1');
  buf[MAGIC_LEN] = AUTH_VERSION;
  buf.set(spec.senderId, SENDER_OFFSET);
  buf.writeBigUInt64BE(BigInt(spec.counter), COUNTER_OFFSET);
  buf.set(spec.frame, MESH_AUTH_OVERHEAD);
  meshMac(buf, key).copy(buf, MAC_OFFSET);
  return buf;
}

/** Parses a mesh datagram; with `key`, authenticated messages must carry a valid HMAC. */
export function parseMeshMessage(buf: Buffer, key?: Uint8Array): Parsed<MeshMessage> {
  if (buf.length < MAGIC_LEN) return fail('truncated', 'mesh magic');
  const magic = buf.toString('latin1', 0, MAGIC_LEN);
  if (magic === MESH_MAGIC_PLAIN) {
    if (buf.length < MAGIC_LEN + MIN_FRAME) return fail('truncated', 'mesh frame');
    return ok({ kind: 'plain', frame: buf.subarray(MAGIC_LEN) }, buf.length);
  }
  if (magic !== MESH_MAGIC_AUTH) return fail('malformed', 'mesh: unknown magic');
  if (buf.length < MESH_AUTH_OVERHEAD + MIN_FRAME) return fail('truncated', 'mesh: authenticated header');
  if (buf[MAGIC_LEN] !== AUTH_VERSION) return fail('bad-version', `mesh: version ${buf[MAGIC_LEN]}`);
  const counter = buf.readBigUInt64BE(COUNTER_OFFSET);
  if (counter > BigInt(MAX_COUNTER)) return fail('malformed', 'mesh: counter too large');
  let verified = false;
  if (key) {
    const expected = meshMac(buf, key);
    if (!timingSafeEqual(expected, buf.subarray(MAC_OFFSET, MAC_OFFSET + MAC_LEN)))
      return fail('bad-checksum', 'mesh: HMAC');
    verified = true;
  }
  return ok(
    {
      kind: 'auth',
      senderId: Buffer.from(buf.subarray(SENDER_OFFSET, SENDER_OFFSET + MESH_SENDER_ID_LEN)),
      counter: Number(counter),
      verified,
      frame: buf.subarray(MESH_AUTH_OVERHEAD),
    },
    buf.length,
  );
}

/**
 * The next counter of a sender: strictly above the previous one and at least the clock in
 * microseconds, so that a restarted sender (previous = 0) still counts above what it sent before.
 */
export function nextMeshCounter(previous: number, nowMs: number): number {
  return Math.max(previous + 1, Math.floor(nowMs) * 1000);
}

/** The clock time (ms) a counter was derived from, for the receiver's freshness window. */
export const meshCounterTime = (counter: number): number => Math.floor(counter / 1000);

function meshMac(message: Buffer, key: Uint8Array): Buffer {
  return createHmac('sha256', key)
    .update(message.subarray(0, MAC_OFFSET))
    .update(message.subarray(MESH_AUTH_OVERHEAD))
    .digest();
}
