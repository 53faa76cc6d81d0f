// The sleep proxy nodes when the interface goes down and comes back (issue 10, faults): Node-RED in
// the proxy host of the test LAN (ProxyLan); `ip link set eth0 down` turns the flow node red with the
// reason and the config node logs it, `up` turns it green again by itself (src/service/supervisor.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { lanUnavailableReason } from '../support/lan';
import { nextStatus, ProxyLan } from './proxy-lan-fixture';

describe('sleep proxy nodes when the interface goes down and up', { skip: lanUnavailableReason() }, () => {
  let it: ProxyLan;

  before(async () => {
    it = await ProxyLan.start(() => ({}));
  });
  after(() => it?.close());

  test('red "eth0 is down" and an error log line, then green again', async () => {
    const logs: string[] = [];
    it.red.on('log', (_id: unknown, level: unknown, text: unknown) =>
      logs.push(`${String(level)} ${String(text)}`),
    );
    const proxy = it.lan.host('proxy');
    await proxy.exec('ip', ['link', 'set', 'eth0', 'down']);
    const down = await nextStatus(it.red, (s) => s.fill === 'red');
    assert.deepEqual(down, { fill: 'red', shape: 'ring', text: 'eth0 is down' });
    for (let i = 0; i < 30 && !logs.some((l) => /^error .*eth0 is down/.test(l)); i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.ok(
      logs.some((l) => /^error .*eth0 is down/.test(l)),
      logs.join('\n'),
    );
    await proxy.exec('ip', ['link', 'set', 'eth0', 'up']);
    const up = await nextStatus(it.red, (s) => s.fill === 'green');
    assert.equal(up.text, '0 sleeping');
  });
});
