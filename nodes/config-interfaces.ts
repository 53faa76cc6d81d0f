// The interfaces a sleep-proxy-config node serves, from its saved settings: the `interfaces` list (an
// array, or names separated by commas or spaces, as a hand-written flow may have it), else the single
// `interface` of flows saved before there was a list (they load and run unchanged), else the default.
// Duplicates are dropped: each interface's engine owns its journal files in the shared state directory.
export interface InterfaceSettings {
  readonly interfaces?: unknown;
  /** Flows saved before several interfaces: one name. */
  readonly interface?: unknown;
}

function names(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/[\s,]+/) : [];
  return items
    .filter((n): n is string => typeof n === 'string')
    .map((n) => n.trim())
    .filter((n) => n !== '');
}

/** At least one name: `fallback()` (the first external interface) when the settings name none. */
export function configInterfaces(def: InterfaceSettings, fallback: () => string): string[] {
  const listed = names(def.interfaces);
  const chosen = listed.length > 0 ? listed : names(def.interface);
  return chosen.length > 0 ? [...new Set(chosen)] : [fallback()];
}
