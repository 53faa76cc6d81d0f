// Which interface a flow-described host is on (the `sleep` command of a proxy on several interfaces).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { interfaceForHost } from '../../src/service/interface-for-host';

describe('interfaceForHost', () => {
  const subnets = new Map([
    ['eth0', ['192.168.1.2/24', 'fe80::1/64', '2001:db8:1::2/64']],
    ['eth1', ['10.0.0.1/16', 'fe80::2/64']],
    ['wg0', []],
  ]);

  test('the interface whose subnet holds one of the addresses (IPv4 or global IPv6)', () => {
    assert.deepEqual(interfaceForHost(['192.168.1.40'], subnets), { ok: true, ifname: 'eth0' });
    assert.deepEqual(interfaceForHost(['fe80::9', '10.0.200.3'], subnets), { ok: true, ifname: 'eth1' });
    assert.deepEqual(interfaceForHost(['2001:db8:1::9'], subnets), { ok: true, ifname: 'eth0' });
  });

  test('the only interface, whatever the addresses', () => {
    assert.deepEqual(interfaceForHost(['172.16.0.1'], new Map([['eth0', []]])), { ok: true, ifname: 'eth0' });
  });

  test('no subnet, a link-local address only, or two subnets: an error asking for the interface', () => {
    const none = interfaceForHost(['172.16.0.1'], subnets);
    assert.ok(!none.ok);
    assert.match(
      none.error,
      /no interface's subnet holds 172\.16\.0\.1: give msg\.payload\.interface \(one of eth0, eth1, wg0\)/,
    );
    const linkLocal = interfaceForHost(['fe80::9'], subnets);
    assert.ok(!linkLocal.ok);
    const both = interfaceForHost(['192.168.1.40', '10.0.0.9'], subnets);
    assert.ok(!both.ok);
    assert.match(both.error, /fit the subnets of eth0 and eth1/);
  });
});
