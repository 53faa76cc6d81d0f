import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { chooseSps } from '../../../src/client/choose-sps';
import { DEFAULT_METRIC } from '../../../src/service/sleep-proxy-service';
import { formatSpsName } from '../../../src/wire/sps-name';

const order = (names: string[]): string[] => chooseSps(names, (n) => n).map((r) => r.candidate);

describe('choosing a sleep proxy like Apple’s client (sps-protocol.md §1.3)', () => {
  const appleTv = '70-35-60-63.1 Apple TV';
  const ours = '20-35-10-67.0 ours';

  test('a feature-capable Apple TV in the top three beats a better metric without features', () => {
    assert.deepEqual(order([ours, appleTv]), [appleTv, ours]);
  });

  test('only the three lowest metrics are candidates: a fourth Apple TV is never tried', () => {
    const better = ['10-34-10-70 SleepProxyServer', '15-35-10-67.0 other'];
    assert.deepEqual(order([appleTv, ours, ...better]), [...better, ours]);
  });

  test('invalid and prototype (xx-99-99-99) names are never chosen', () => {
    assert.deepEqual(order(['Apple TV', '1-35-10-67.1 short', '10-99-99-99.1 proto', ours]), [ours]);
    assert.deepEqual(order(['10-99-99-99.1 proto']), []);
  });

  test('ties keep browse order; the feature re-sort is stable and ignores metric among the featured', () => {
    assert.deepEqual(order(['20-35-10-67.0 b', '20-35-10-67.0 a']), ['20-35-10-67.0 b', '20-35-10-67.0 a']);
    const f1 = '50-35-10-67.1 f1';
    const f2 = '30-35-10-67.1 f2';
    assert.deepEqual(order([f1, ours, f2]), [f2, f1, ours]);
  });

  test('our advertised name carries feature 1 (keepalive offload) and wins over an Apple TV and featureless proxies', () => {
    const advertised = formatSpsName({ ...DEFAULT_METRIC, prettyName: 'Node-RED' });
    assert.ok(advertised.startsWith('20-35-10-67.1 '), advertised);
    const featureless = '10-34-10-70 SleepProxyServer';
    assert.deepEqual(order([featureless, appleTv, advertised]), [advertised, appleTv, featureless]);
  });

  test('the rank is kept for messages', () => {
    const [best] = chooseSps([appleTv], (n) => n);
    assert.equal(best.rank.metric, 703560);
    assert.equal(best.rank.features, 1);
  });
});
