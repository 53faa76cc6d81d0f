import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  formatSpsName,
  parseSpsName,
  rankSpsName,
  SPS_METRIC_INVALID,
  spsNameProblem,
} from '../../../src/wire/sps-name';

describe('SPS instance names', () => {
  test('70-35-60-63.1 Apple TV', () => {
    assert.deepEqual(rankSpsName('70-35-60-63.1 Apple TV'), {
      valid: true,
      prototype: false,
      metric: 703560,
      features: 1,
    });
    assert.deepEqual(parseSpsName('70-35-60-63.1 Apple TV'), {
      ok: true,
      value: {
        intent: 70,
        portability: 35,
        marginalPower: 60,
        totalPower: 63,
        features: 1,
        prettyName: 'Apple TV',
      },
      bytes: 22,
    });
  });

  test('10-34-10-70 SleepProxyServer (KFIX): valid, no feature suffix, features 0', () => {
    assert.deepEqual(rankSpsName('10-34-10-70 SleepProxyServer'), {
      valid: true,
      prototype: false,
      metric: 103410,
      features: 0,
    });
    const p = parseSpsName('10-34-10-70 SleepProxyServer');
    assert.ok(p.ok);
    assert.deepEqual(
      [p.value.features, p.value.totalPower, p.value.prettyName],
      [undefined, 70, 'SleepProxyServer'],
    );
  });

  test('Sleep Proxy Server (RCL): invalid, metric 1 000 000', () => {
    assert.deepEqual(rankSpsName('Sleep Proxy Server'), {
      valid: false,
      prototype: false,
      metric: SPS_METRIC_INVALID,
      features: 0,
    });
    assert.equal(parseSpsName('Sleep Proxy Server').ok, false);
  });

  test('prototype 80-99-99-99.0 x: never chosen', () => {
    assert.deepEqual(rankSpsName('80-99-99-99.0 x'), {
      valid: true,
      prototype: true,
      metric: SPS_METRIC_INVALID,
      features: 0,
    });
    assert.deepEqual(rankSpsName('80-99-99-98.0 x').metric, 809999);
    assert.match(
      spsNameProblem({ intent: 80, portability: 99, marginalPower: 99, totalPower: 99, prettyName: 'x' }) ??
        '',
      /prototype/,
    );
    assert.equal(
      formatSpsName({
        intent: 80,
        portability: 99,
        marginalPower: 99,
        totalPower: 99,
        features: 0,
        prettyName: 'x',
      }),
      '80-99-99-99.0 x',
    );
  });

  test("Apple's byte-level reading: only AA and BB digits are checked; a '.' at 12 enables features", () => {
    assert.deepEqual(rankSpsName('12-34'), {
      valid: true,
      prototype: false,
      metric: 123400 - 480 - 48,
      features: 0,
    });
    assert.equal(rankSpsName('1234').valid, false, 'label shorter than 5');
    assert.equal(rankSpsName('12x34-56-78.1 a').valid, true, 'separators are not checked');
    assert.equal(rankSpsName('12-3x-56-78.1 a').valid, false);
    assert.equal(rankSpsName('20-35-10-67.1').features, 1, 'exactly 13 bytes');
    assert.equal(rankSpsName('20-35-10-67.').features, 0, 'feature byte missing');
    assert.equal(rankSpsName('20-35-10-67,1 x').features, 0);
    assert.equal(rankSpsName('20-35-10-67.a x').features, 49, "Apple's arithmetic on a non-digit");
  });

  test('pretty names with spaces and UTF-8', () => {
    const name = '20-35-10-67.1 Wohnzimmer – Müller’s Pi (2)';
    const p = parseSpsName(name);
    assert.ok(p.ok);
    assert.equal(p.value.prettyName, 'Wohnzimmer – Müller’s Pi (2)');
    assert.equal(p.bytes, Buffer.byteLength(name));
    assert.equal(formatSpsName(p.value), name);
    assert.deepEqual(rankSpsName(name), { valid: true, prototype: false, metric: 203510, features: 1 });
    assert.equal(rankSpsName('ü0-35-10-67.1 x').valid, false);
  });

  test('format round-trip, zero padding, 63-byte label limit, range checks', () => {
    for (const repr of [
      { intent: 20, portability: 35, marginalPower: 10, totalPower: 67, features: 1, prettyName: 'Node-RED' },
      { intent: 10, portability: 34, marginalPower: 10, totalPower: 70, prettyName: 'SleepProxyServer' },
      { intent: 5, portability: 0, marginalPower: 9, totalPower: 99, features: 0, prettyName: '' },
    ]) {
      const text = formatSpsName(repr);
      const back = parseSpsName(text);
      assert.ok(back.ok);
      assert.deepEqual(back.value, { ...repr, features: repr.features });
      assert.equal(rankSpsName(text).valid, true);
    }
    assert.equal(
      formatSpsName({ intent: 5, portability: 0, marginalPower: 9, totalPower: 99, prettyName: 'x' }),
      '05-00-09-99 x',
    );
    const long = formatSpsName({
      intent: 20,
      portability: 35,
      marginalPower: 10,
      totalPower: 67,
      features: 1,
      prettyName: 'ü'.repeat(40),
    });
    assert.ok(Buffer.byteLength(long) <= 63);
    assert.equal(Buffer.byteLength(long), 62, 'cut on a character boundary');
    assert.throws(
      () =>
        formatSpsName({ intent: 100, portability: 35, marginalPower: 10, totalPower: 67, prettyName: 'x' }),
      RangeError,
    );
    assert.throws(
      () =>
        formatSpsName({
          intent: 20,
          portability: 35,
          marginalPower: 10,
          totalPower: 67,
          features: 10,
          prettyName: 'x',
        }),
      RangeError,
    );
    assert.match(
      spsNameProblem({ intent: 20, portability: -1, marginalPower: 10, totalPower: 67, prettyName: 'x' }) ??
        '',
      /portability/,
    );
    assert.equal(
      spsNameProblem({
        intent: 20,
        portability: 35,
        marginalPower: 10,
        totalPower: 67,
        features: 1,
        prettyName: 'x',
      }),
      undefined,
    );
  });
});
