import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  finishChecksum,
  internetChecksum,
  ipv4PseudoHeaderSum,
  ipv6PseudoHeaderSum,
  onesComplementSum,
  pseudoHeaderSum,
  pseudoHeaderVersion,
  transportChecksum,
} from '../../../src/wire/checksum';
import { ipv4ToBytes, ipv6ToBytes } from '../../../src/wire/address';
import { ETH, NS, UDP4 } from './vectors';

describe('checksum', () => {
  test('RFC 1071 §3 worked example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2', () => {
    const data = Buffer.from('0001f203f4f5f6f7', 'hex');
    assert.equal(onesComplementSum(data) % 0xffff, 0xddf2);
    assert.equal(internetChecksum(data), ~0xddf2 & 0xffff);
  });

  test('an odd trailing byte is padded with zero', () => {
    assert.equal(internetChecksum(Buffer.from([0x12, 0x34, 0x56])), finishChecksum(0x1234 + 0x5600));
  });

  test('folding carries: ffff + ffff + 0002 folds to 0002, complement fffd', () => {
    assert.equal(finishChecksum(0xffff + 0xffff + 0x0002), ~0x0002 & 0xffff);
  });

  test('a header including its correct checksum sums to zero (IPv4 header of a scapy frame)', () => {
    assert.equal(internetChecksum(UDP4, ETH, ETH + 20), 0);
  });

  test('empty range gives ffff', () => {
    assert.equal(internetChecksum(Buffer.alloc(0)), 0xffff);
  });

  test('pseudo-header from text equals the one from bytes', () => {
    const src4 = ipv4ToBytes('10.77.0.10')!;
    const dst4 = ipv4ToBytes('224.0.0.251')!;
    assert.equal(
      pseudoHeaderSum({ src: '10.77.0.10', dst: '224.0.0.251' }, 17, 20),
      ipv4PseudoHeaderSum(src4, dst4, 17, 20),
    );
    assert.equal(pseudoHeaderSum({ src: src4, dst: dst4 }, 17, 20), ipv4PseudoHeaderSum(src4, dst4, 17, 20));
    const src6 = ipv6ToBytes('::')!;
    const dst6 = ipv6ToBytes('ff02::1:ff00:a')!;
    assert.equal(
      pseudoHeaderSum({ src: '::', dst: 'ff02::1:ff00:a' }, 58, 32),
      ipv6PseudoHeaderSum(src6, dst6, 58, 32),
    );
  });

  test('IPv6 pseudo-header carries a 32-bit length', () => {
    const zero = Buffer.alloc(16);
    assert.equal(ipv6PseudoHeaderSum(zero, zero, 17, 0x12345), 0x1 + 0x2345 + 17);
  });

  test('transport checksum over a scapy NS verifies to zero', () => {
    const icmp = NS.subarray(ETH + 40);
    assert.equal(
      transportChecksum(icmp, 0, icmp.length, { src: 'fe80::53:50ff:fe00:14', dst: 'ff02::1:ff00:a' }, 58),
      0,
    );
  });

  test('pseudoHeaderVersion tells the family', () => {
    assert.equal(pseudoHeaderVersion({ src: '1.2.3.4', dst: '5.6.7.8' }), 4);
    assert.equal(pseudoHeaderVersion({ src: Buffer.alloc(16), dst: Buffer.alloc(16) }), 6);
  });

  test('a bad context is a programming error and throws', () => {
    assert.throws(() => pseudoHeaderSum({ src: '1.2.3.4', dst: '::1' }, 17, 8), RangeError);
    assert.throws(() => pseudoHeaderSum({ src: 'nope', dst: '1.2.3.4' }, 17, 8), RangeError);
    assert.throws(() => pseudoHeaderSum({ src: Buffer.alloc(5), dst: Buffer.alloc(5) }, 17, 8), RangeError);
  });
});
