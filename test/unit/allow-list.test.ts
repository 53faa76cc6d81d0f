// The registration allow-list: parsing a free-text list into subnets and MACs (reporting the rest).
// Admitting by it is the engine's job: test/unit/core/registration-policy.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAllowList } from '../../src/service/allow-list';

describe('allow-list', () => {
  test('parses subnets, bare addresses and MACs in any spelling; reports the rest', () => {
    const { allow, invalid } = parseAllowList(
      '192.168.1.0/24, fe80::/10\n10.0.0.7 AA-BB-CC-DD-EE-FF;0a0b0c0d0e0f x 1.2.3.4/33 ::1/129 1.2.3.4/a',
    );
    assert.deepEqual(allow.subnets, ['192.168.1.0/24', 'fe80::/10', '10.0.0.7']);
    assert.deepEqual(allow.macs, ['aa:bb:cc:dd:ee:ff', '0a:0b:0c:0d:0e:0f']);
    assert.deepEqual(invalid, ['x', '1.2.3.4/33', '::1/129', '1.2.3.4/a']);
  });
});
