// Hostile input into every handler: mutated and truncated fixture frames, registrations and mDNS
// packets, fed with a seeded PRNG into an engine that holds a sleeper. Nothing may throw.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mulberry32, randomBytes, randomInt, type Random } from '../../support/prng';
import {
  captureDatagrams,
  updateDatagrams,
  REGISTRATION_CAPTURES,
  WAKE_CAPTURES,
} from '../../support/sps-fixtures';
import { loadFixtureFrames } from '../wire/fixture-frames';
import {
  arpRequest,
  FROM,
  neighborSolicitation,
  PEER_MAC,
  PEER_V4,
  PEER_V6,
  proxying,
  registration,
  runUntil,
  SLEEPER_V4,
  SLEEPER_V6,
  syn,
  T0,
} from './harness';

const SEED = 0x5eed5;

function mutate(random: Random, input: Buffer): Buffer {
  const out = Buffer.from(input);
  switch (randomInt(random, 4)) {
    case 0:
      return out.subarray(0, randomInt(random, out.length + 1));
    case 1:
      for (let i = randomInt(random, 8) + 1; i > 0 && out.length > 0; i--)
        out[randomInt(random, out.length)] = randomInt(random, 256);
      return out;
    case 2:
      return Buffer.concat([out, randomBytes(random, randomInt(random, 32))]);
    default:
      return randomBytes(random, randomInt(random, 200));
  }
}

describe('engine fuzz', () => {
  test(`mutated inputs never throw (seed ${SEED})`, () => {
    const random = mulberry32(SEED);
    const frames = [
      ...loadFixtureFrames().map((f) => f.data),
      arpRequest(PEER_MAC, PEER_V4, SLEEPER_V4),
      neighborSolicitation(PEER_MAC, PEER_V6, SLEEPER_V6),
      syn(SLEEPER_V4, 22),
    ];
    const updates = [
      ...REGISTRATION_CAPTURES.flatMap((c) => updateDatagrams(c).map((d) => d.payload)),
      registration(),
    ];
    const mdns = [...REGISTRATION_CAPTURES, ...WAKE_CAPTURES].flatMap((c) =>
      captureDatagrams(c)
        .filter((d) => d.dstPort === 5353)
        .map((d) => d.payload),
    );
    let proxy = proxying();
    let now = T0 + 5000;
    for (let i = 0; i < 4000; i++) {
      now += randomInt(random, 500);
      if (i % 500 === 0) proxy = proxying();
      const pick = <T>(list: readonly T[]): T => list[randomInt(random, list.length)];
      switch (randomInt(random, 4)) {
        case 0:
          proxy.handleFrame(mutate(random, pick(frames)), now, { checksumPartial: random() < 0.5 });
          break;
        case 1:
          proxy.handleRegistration(mutate(random, pick(updates)), FROM, now);
          break;
        case 2:
          proxy.handleMdns(
            mutate(random, pick(mdns)),
            { address: random() < 0.5 ? SLEEPER_V4 : '10.77.0.99', port: 5353 },
            now,
          );
          break;
        default:
          runUntil(proxy, now);
      }
      proxy.drainActions();
      proxy.drainEvents();
    }
    assert.ok(proxy.counters.malformedFrames + proxy.counters.malformedMdns + proxy.counters.formErr > 0);
  });
});
