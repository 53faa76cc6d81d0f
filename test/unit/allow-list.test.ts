// The registration allow-list: parsing a free-text list into subnets and MACs (reporting the rest),
// and admitting a registration by its source address or its owner's host MAC.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { allowListCheck, parseAllowList } from '../../src/service/allow-list';

describe('allow-list', () => {
  test('parses subnets, bare addresses and MACs in any spelling; reports the rest', () => {
    const { allow, invalid } = parseAllowList(
      '192.168.1.0/24, fe80::/10\n10.0.0.7 AA-BB-CC-DD-EE-FF;0a0b0c0d0e0f x 1.2.3.4/33 ::1/129 1.2.3.4/a',
    );
    assert.deepEqual(allow.subnets, ['192.168.1.0/24', 'fe80::/10', '10.0.0.7']);
    assert.deepEqual(allow.macs, ['aa:bb:cc:dd:ee:ff', '0a:0b:0c:0d:0e:0f']);
    assert.deepEqual(invalid, ['x', '1.2.3.4/33', '::1/129', '1.2.3.4/a']);
  });

  test('an empty list admits everyone', () => {
    const admits = allowListCheck(parseAllowList(' ').allow);
    assert.equal(admits('203.0.113.9'), true);
    assert.equal(allowListCheck(undefined)('::1'), true);
  });

  test('admits by subnet (IPv4, IPv4-mapped, IPv6 with a zone) or by host MAC', () => {
    const admits = allowListCheck(
      parseAllowList('192.168.1.0/24 fe80::/10 10.0.0.7 02:00:00:00:00:01').allow,
    );
    assert.equal(admits('192.168.1.200'), true);
    assert.equal(admits('::ffff:192.168.1.3'), true);
    assert.equal(admits('fe80::1%eth0'), true);
    assert.equal(admits('10.0.0.7'), true);
    assert.equal(admits('10.0.0.8'), false);
    assert.equal(admits('2001:db8::1'), false);
    assert.equal(admits('10.0.0.8', '02-00-00-00-00-01'), true);
    assert.equal(admits('10.0.0.8', '02:00:00:00:00:02'), false);
    assert.equal(admits('not an address'), false);
  });
});
