// What the client learns by listening on one interface for a few seconds (sps-protocol.md §1.3, §1.4):
// the sleep proxies (`_sleep-proxy._udp` instances resolved to SRV port and addresses) and the services
// this host advertises (every type from `_services._dns-sd._udp`, kept when the SRV target is this host).
// Uses src/discovery's BrowseService; both browsers are stopped before it returns.
import { setTimeout as delay } from 'node:timers/promises';
import { dnsNameEquals } from '../wire/dns-name';
import type { ServiceInstance } from '../discovery/browse-cache';
import { BrowseService } from '../discovery/browse-service';
import { qualifiedHost } from '../core/mdns/service-records';

export const SLEEP_PROXY_TYPE = '_sleep-proxy._udp';

export interface Discovery {
  readonly proxies: readonly ServiceInstance[];
  readonly services: readonly ServiceInstance[];
}

export interface DiscoverOptions {
  readonly ifname: string;
  readonly hostname: string;
  readonly browseMs: number;
  /** Skip browsing for proxies (one was given). */
  readonly proxies?: boolean;
  /** Skip browsing for this host's services. */
  readonly services?: boolean;
}

export async function discover(o: DiscoverOptions): Promise<Discovery> {
  const wanted = [
    o.proxies === false ? undefined : BrowseService.start({ interface: o.ifname, types: [SLEEP_PROXY_TYPE] }),
    o.services === false ? undefined : BrowseService.start({ interface: o.ifname, types: [] }),
  ];
  const settled = await Promise.allSettled(wanted);
  const browsers = settled.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
  try {
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    await delay(o.browseMs);
    const [proxyBrowser, serviceBrowser] = browsers;
    const host = qualifiedHost(o.hostname);
    return {
      proxies: proxyBrowser?.list() ?? [],
      services: (serviceBrowser?.list() ?? []).filter(
        (s) => dnsNameEquals(s.host, host) && !dnsNameEquals(s.type, `${SLEEP_PROXY_TYPE}.local`),
      ),
    };
  } finally {
    await Promise.all(browsers.map((b) => b?.stop()));
  }
}
