// The headless command's options: SnowSignal's flags, environment variables and defaults.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRelayArgs } from '../../../src/relay/cli';

test("SnowSignal's defaults", () => {
  const { options, logLevel } = parseRelayArgs([], {});
  assert.equal(options.interface, 'eth0');
  assert.deepEqual(options.ports, [5076]);
  assert.deepEqual(options.mesh, { port: 7124, peers: [], serviceName: undefined });
  assert.equal(options.key, undefined);
  assert.equal(logLevel, 'info');
});

test('environment variables, and flags winning over them', () => {
  const env = {
    TARGET_INTERFACE: 'ens3',
    BDCAST_PORT: '5065',
    MESH_PORT: '7000',
    LOGLEVEL: 'DEBUG',
    SERVICENAME: 'relays',
    OTHER_RELAYS: 'a b',
    MESH_KEY: 'k',
  };
  const fromEnv = parseRelayArgs([], env);
  assert.equal(fromEnv.options.interface, 'ens3');
  assert.deepEqual(fromEnv.options.ports, [5065]);
  assert.deepEqual(fromEnv.options.mesh, { port: 7000, peers: ['a', 'b'], serviceName: 'relays' });
  assert.equal(fromEnv.logLevel, 'debug');
  assert.equal(fromEnv.options.key, 'k');
  const flags = parseRelayArgs(
    [
      '-t',
      'eth1',
      '-b',
      '5076,5065',
      '-m',
      '7124',
      '--other-relays',
      '10.0.0.2',
      'relay-c:7200',
      '-ll',
      'warning',
    ],
    env,
  );
  assert.equal(flags.options.interface, 'eth1');
  assert.deepEqual(flags.options.ports, [5076, 5065]);
  assert.deepEqual(flags.options.mesh?.peers, ['10.0.0.2', 'relay-c:7200']);
  assert.equal(flags.options.mesh?.port, 7124);
  assert.equal(flags.logLevel, 'warning');
  assert.deepEqual(parseRelayArgs(['--target-interface=eth2', '--rate-limit', '10']).options.rateLimit, {
    perSecond: 10,
    burst: 20,
  });
});

test('bad options are errors, not guesses', () => {
  assert.throws(() => parseRelayArgs(['-b', 'x']), /broadcast port/);
  assert.throws(() => parseRelayArgs(['-ll', 'loud']), /log level/);
  assert.throws(() => parseRelayArgs(['--nope']), /unknown option/);
  assert.throws(() => parseRelayArgs(['-t']), /needs a value/);
});

test('IPv6 groups: --ipv6-group (repeatable, or a list) or IPV6_GROUP, canonical, multicast only', () => {
  assert.equal(parseRelayArgs([]).options.ipv6Groups, undefined);
  assert.deepEqual(parseRelayArgs([], { IPV6_GROUP: 'FF15:0::4B50, ff02::1' }).options.ipv6Groups, [
    'ff15::4b50',
    'ff02::1',
  ]);
  const flags = parseRelayArgs(['--ipv6-group', 'ff15::4b50', '--ipv6-group=ff05::1,ff02::1'], {
    IPV6_GROUP: 'ff02::2',
  });
  assert.deepEqual(flags.options.ipv6Groups, ['ff15::4b50', 'ff05::1', 'ff02::1']);
  assert.throws(() => parseRelayArgs(['--ipv6-group', 'fd78:1::10']), /ipv6 group: not an IPv6 multicast/);
  assert.throws(() => parseRelayArgs([], { IPV6_GROUP: '10.0.0.1' }), /ipv6 group/);
});
