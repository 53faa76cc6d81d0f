// What the mdns nodes accept from their settings and messages, checked and converted (kept out of the
// node files so it can be unit tested without Node-RED).
import type { AdvertiseOptions } from './advertise-service';
import type { ServiceInstance } from './browse-cache';
import { isServiceType, type TxtObject, type TxtValue } from '../core/mdns/service-records';

/** "_http._tcp, _ipp._tcp" -> list; empty -> [] (all types). */
export function parseTypes(text: string): string[] {
  return (text ?? '')
    .split(/[\s,]+/)
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

export function instanceView(i: ServiceInstance): Record<string, unknown> {
  return { ...i, addresses: [...i.addresses], txt: { ...i.txt } };
}

function isTxtObject(value: unknown): value is TxtObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every(
    (v: unknown) => typeof v === 'string' || typeof v === 'boolean' || Buffer.isBuffer(v),
  );
}

/** TXT values from a message: numbers become text, null/undefined drop the key. */
export function txtFrom(value: unknown): TxtObject | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const out: Record<string, TxtValue> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v === 'number') out[k] = String(v);
    else if (typeof v === 'string' || typeof v === 'boolean' || Buffer.isBuffer(v)) out[k] = v;
    else if (v !== null && v !== undefined) return undefined;
  }
  return out;
}

/** Checks a service description; returns the error text or undefined. */
export function checkService(o: Partial<AdvertiseOptions>): string | undefined {
  if (!o.name || Buffer.byteLength(o.name) > 63) return 'the service name must be 1 to 63 bytes';
  if (!o.type || !isServiceType(o.type)) return 'the type must look like _http._tcp';
  if (!Number.isInteger(o.port) || (o.port ?? -1) < 0 || (o.port ?? 0) > 65535)
    return 'the port must be 0-65535';
  if (o.txt !== undefined && !isTxtObject(o.txt)) return 'TXT must be an object of strings/booleans';
  return undefined;
}
