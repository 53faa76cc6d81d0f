// Agent (run inside a LAN host): sends magic packets with src/io/wake-sender, resolves targets and
// probes for wakefulness, as the wake on lan node does.
import { directedBroadcast, sendWake, type WakeRequest, type WakeResult } from '../../../src/io/wake-sender';
import { resolveWakeTarget, type WakeTarget } from '../../../src/io/wake-target';
import { waitUntilAwake, type ProbeRequest, type ProbeResult } from '../../../src/io/wake-probe';

export function wake(request: WakeRequest): Promise<WakeResult> {
  return sendWake(request);
}

export function directed(ifname: string): string | undefined {
  return directedBroadcast(ifname);
}

export function resolve(target: string, ifname?: string): Promise<WakeTarget> {
  return resolveWakeTarget(target, { interface: ifname });
}

/** Resolves `target` like the node does, then wakes the MAC found. */
export async function wakeTarget(target: string, request: Omit<WakeRequest, 'mac'>): Promise<WakeTarget> {
  const found = await resolveWakeTarget(target, { interface: request.interface });
  await sendWake({ ...request, mac: found.mac });
  return found;
}

export function probe(request: Omit<ProbeRequest, 'signal' | 'onAttempt'>): Promise<ProbeResult> {
  return waitUntilAwake(request);
}
