// The proxy as a bench agent (the service in a child process in the proxy host) rather than the
// `sleep-proxy` command, for rows that read what the command does not print (see the agent).
import { join } from 'node:path';
import type { LanHost, NodeChild } from '../test/support/lan';
import type { SleepProxyServiceOptions } from '../src/service/sleep-proxy-service';
import type * as ProxyService from './agents/proxy-service-agent';
import { PORT, type ProxyStarter } from './proxy-lan';

const SERVICE = join(__dirname, 'agents', 'proxy-service-agent.js');

export type Service = NodeChild<typeof ProxyService>;

export const agentProxy = (limits?: SleepProxyServiceOptions['limits']): ProxyStarter<Service> => ({
  async start(host: LanHost, stateDir: string) {
    const child = await host.runNode<typeof ProxyService>(SERVICE);
    await child.call('start', 'eth0', stateDir, PORT, limits);
    return child;
  },
  takeover: (child, address, timeoutMs) => child.call('takeover', address, timeoutMs),
  stop: (child) => child.close(),
});
