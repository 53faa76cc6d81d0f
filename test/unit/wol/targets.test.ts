// How the wake on lan node finds its target: neighbour table parsing (ip -j neigh, /proc/net/arp), the
// sleeper directory, and target resolution without any lookup for MACs and registered sleepers.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseIpNeighJson, parseProcNetArp } from '../../../src/io/neighbours';
import { lookupSleeper, registerSleeperSource } from '../../../src/service/sleeper-directory';
import { isLiteralTarget, resolveWakeTarget } from '../../../src/io/wake-target';

describe('neighbour table parsing', () => {
  test('ip -j neigh: entries with a MAC, in any state but FAILED/INCOMPLETE', () => {
    const text = JSON.stringify([
      { dst: '10.0.0.1', dev: 'eth0', lladdr: '02:AA:bb:cc:dd:ee', state: ['REACHABLE'] },
      { dst: '10.0.0.2', dev: 'eth0', state: ['FAILED'] },
      { dst: 'fe80::1', dev: 'eth0', lladdr: '02:00:00:00:00:01', router: null, state: ['STALE'] },
    ]);
    assert.deepEqual(parseIpNeighJson(text), [
      { ip: '10.0.0.1', mac: '02:aa:bb:cc:dd:ee', interface: 'eth0', state: 'REACHABLE' },
      { ip: 'fe80::1', mac: '02:00:00:00:00:01', interface: 'eth0', state: 'STALE' },
    ]);
    assert.deepEqual(parseIpNeighJson('not json'), []);
    assert.deepEqual(parseIpNeighJson('{}'), []);
  });

  test('/proc/net/arp: complete entries only', () => {
    const text = [
      'IP address       HW type     Flags       HW address            Mask     Device',
      '10.77.0.10       0x1         0x2         02:77:00:00:00:0a     *        eth0',
      '10.77.0.99       0x1         0x0         00:00:00:00:00:00     *        eth0',
      '10.77.0.20       0x1         0x6         02:77:00:00:00:14     *        eth0',
      '',
    ].join('\n');
    assert.deepEqual(parseProcNetArp(text), [
      { ip: '10.77.0.10', mac: '02:77:00:00:00:0a', interface: 'eth0', state: 'unknown' },
      { ip: '10.77.0.20', mac: '02:77:00:00:00:14', interface: 'eth0', state: 'PERMANENT' },
    ]);
  });
});

describe('sleeper directory', () => {
  test('a registered source answers by name, with or without .local, until unregistered', () => {
    const entry = { mac: '02:00:00:00:00:10', ipv4: '10.0.0.10' };
    const unregister = registerSleeperSource({ lookup: (n) => (n === 'nas' ? entry : undefined) });
    try {
      assert.equal(lookupSleeper('nas'), entry);
      assert.equal(lookupSleeper('NAS.local'), entry);
      assert.equal(lookupSleeper('other'), undefined);
      assert.equal(lookupSleeper(''), undefined);
    } finally {
      unregister();
    }
    assert.equal(lookupSleeper('nas'), undefined);
  });

  test('the first source that knows the name wins', () => {
    const a = registerSleeperSource({ lookup: () => undefined });
    const b = registerSleeperSource({
      lookup: (n) => (n === 'pc' ? { mac: '02:00:00:00:00:0b' } : undefined),
    });
    const c = registerSleeperSource({
      lookup: (n) => (n === 'pc' ? { mac: '02:00:00:00:00:0c' } : undefined),
    });
    try {
      assert.equal(lookupSleeper('pc')?.mac, '02:00:00:00:00:0b');
    } finally {
      [a, b, c].forEach((u) => u());
    }
  });
});

describe('wake targets', () => {
  test('MACs and addresses are literal targets; names are not', () => {
    assert.ok(isLiteralTarget('02-00-00-00-00-01'));
    assert.ok(isLiteralTarget('10.0.0.1'));
    assert.ok(isLiteralTarget('fe80::1'));
    assert.ok(!isLiteralTarget('nas'));
  });

  test('a MAC needs no lookup; a sleeper gives its wake MAC, password and address', async () => {
    assert.deepEqual(await resolveWakeTarget(' 0200000000AA '), { mac: '02:00:00:00:00:aa', source: 'mac' });
    const password = Buffer.from([1, 2, 3, 4]);
    const unregister = registerSleeperSource({
      lookup: (n) =>
        n === 'mac-mini'
          ? { mac: '02:00:00:00:00:01', wakeMac: '02-00-00-00-00-02', password, ipv4: '10.0.0.5' }
          : undefined,
    });
    try {
      assert.deepEqual(await resolveWakeTarget('mac-mini'), {
        mac: '02:00:00:00:00:02',
        ip: '10.0.0.5',
        password,
        source: 'sleeper',
      });
    } finally {
      unregister();
    }
  });

  test('text that cannot be a host name is refused before any lookup', async () => {
    await assert.rejects(resolveWakeTarget('not a mac'), /not a MAC, IP address, host name or known sleeper/);
    await assert.rejects(resolveWakeTarget('bad_name!'), /not a MAC/);
  });
});
