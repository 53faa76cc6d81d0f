// A LAN host registers itself with the proxy as macOS would before sleeping (sleeper-registration.ts,
// sent from port 5353 by the sps-client agent), checks the reply, then falls silent.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseRegistrationReply } from '../../src/wire/sps-registration';
import type { LanHost } from '../support/lan';
import type * as Client from './agents/sps-client-agent';
import { sleeperRegistration, type SleeperSpec } from './sleeper-registration';

const CLIENT = join(__dirname, 'agents', 'sps-client-agent.js');

export type OwnSleeperSpec = Omit<SleeperSpec, 'host' | 'ipv4' | 'mac'>;

/** Registers `sleeper` (its name, IPv4 and MAC, plus `spec`) at proxy:port, then puts it to sleep. */
export async function registerAndSleep(
  sleeper: LanHost,
  proxy: { readonly ipv4: string; readonly port: number },
  spec: OwnSleeperSpec,
): Promise<void> {
  const payload = sleeperRegistration({ host: sleeper.name, ipv4: sleeper.ipv4, mac: sleeper.mac, ...spec });
  const client = await sleeper.runNode<typeof Client>(CLIENT);
  try {
    const [reply] = await client.call('register', proxy.ipv4, proxy.port, [payload], 5353, 3000);
    assert.ok(reply, `${sleeper.name} got a reply`);
    const parsed = parseRegistrationReply(reply.data);
    assert.ok(parsed.ok && parsed.value.rcode === 0, `${sleeper.name} was accepted`);
  } finally {
    await client.close();
  }
  await sleeper.sleep();
}
