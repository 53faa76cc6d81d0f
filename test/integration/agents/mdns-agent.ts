// Agent (run inside a LAN host): advertises and browses DNS-SD services with src/discovery, as the
// mdns nodes do. Events come back as 'advertise' (ResponderEvent) and 'browse' (BrowseEvent).
import { emit } from '../../support/lan/agent';
import { AdvertiseService, type AdvertiseOptions } from '../../../src/discovery/advertise-service';
import { BrowseService, type BrowseOptions } from '../../../src/discovery/browse-service';
import type { ServiceInstance } from '../../../src/discovery/browse-cache';

let advertiser: AdvertiseService | undefined;
let browser: BrowseService | undefined;

export async function advertise(options: AdvertiseOptions): Promise<void> {
  advertiser = await AdvertiseService.start(options);
  advertiser.on('event', (e) => emit('advertise', e, advertiser?.name));
}

export function advertised(): { name: string; fqdn: string; host: string; phase?: string } {
  if (!advertiser) throw new Error('not advertising');
  return { name: advertiser.name, fqdn: advertiser.fqdn, host: advertiser.host, phase: advertiser.phase };
}

export async function stopAdvertising(): Promise<void> {
  await advertiser?.stop();
  advertiser = undefined;
}

export async function browse(options: BrowseOptions): Promise<void> {
  browser = await BrowseService.start(options);
  browser.on('event', (e) => emit('browse', e));
}

export function list(): ServiceInstance[] {
  return browser?.list() ?? [];
}

export async function stopBrowsing(): Promise<void> {
  await browser?.stop();
  browser = undefined;
}

export async function shutdown(): Promise<void> {
  await stopAdvertising();
  await stopBrowsing();
}
