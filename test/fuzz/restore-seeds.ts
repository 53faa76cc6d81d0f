// Seeds of the restore target: real engine state. A fresh engine takes every captured registration
// and two hosts described by a flow (wake-only ports, a SecureOn password, an IPv6 address), runs its
// takeover, and hands over what a service would write: its snapshot and its journal entries, as JSON.
import { describeHost } from '../../src/core/manual-registration';
import { makeProxy, SLEEPER_V4, T0 } from '../unit/core/harness';
import { seeds } from './seeds';

export interface RestoreSeeds {
  readonly snapshots: Buffer[];
  readonly entries: Buffer[];
}

let cached: RestoreSeeds | undefined;

export function restoreSeeds(): RestoreSeeds {
  cached ??= load();
  return cached;
}

function load(): RestoreSeeds {
  const proxy = makeProxy();
  const entries: Buffer[] = [];
  const snapshots: Buffer[] = [];
  const collect = (): void => {
    for (const a of proxy.drainActions())
      if (a.type === 'persist') entries.push(Buffer.from(JSON.stringify(a.entry)));
    snapshots.push(Buffer.from(JSON.stringify(proxy.snapshot())));
  };
  let now = T0;
  for (const datagram of seeds().registrations) {
    proxy.handleRegistration(datagram, { address: SLEEPER_V4, port: 5353 }, (now += 100));
    collect();
  }
  const hosts = [
    { name: 'nas', mac: '02:53:50:00:00:21', addresses: ['10.77.0.21'], ports: [22, 445] },
    {
      name: 'pc',
      mac: '02:53:50:00:00:22',
      wakeMac: '02:53:50:00:00:23',
      addresses: ['10.77.0.22', 'fe80::22'],
      services: [{ name: 'PC Web', type: '_http._tcp', port: 80 }],
      password: '01:02:03:04:05:06',
    },
  ];
  for (const host of hosts) {
    const d = describeHost(host);
    if (!d.ok) throw new Error(`restore seeds: ${d.error}`);
    proxy.registerHost(d.value, (now += 100));
    collect();
  }
  for (let next = proxy.nextTimer(); next !== undefined && next < now + 10_000; next = proxy.nextTimer())
    proxy.handleTimer(next);
  collect();
  return { snapshots, entries };
}
