// Where the wake on lan node finds a sleeper by name: a module-level registry of sources, which the
// sleep proxy engine fills (one source per running proxy) so that "wake the-nas" works for any host
// that registered with it. Sources are asked in registration order; the first answer wins.
export interface SleeperEntry {
  /** The sleeper's MAC (as registered). */
  readonly mac: string;
  /** The MAC to put in the magic packet, when it differs (Apple's "wake MAC" of the Owner option). */
  readonly wakeMac?: string;
  /** SecureOn password from the Owner option, when the sleeper gave one. */
  readonly password?: Buffer;
  readonly ipv4?: string;
}

export interface SleeperSource {
  lookup(name: string): SleeperEntry | undefined;
}

const sources = new Set<SleeperSource>();

/** Adds a source; the returned function removes it (call it on close). */
export function registerSleeperSource(source: SleeperSource): () => void {
  sources.add(source);
  return () => {
    sources.delete(source);
  };
}

/** The first registered source's entry for `name` (names compare case-insensitively, ".local" optional). */
export function lookupSleeper(name: string): SleeperEntry | undefined {
  const wanted = name.trim();
  if (wanted === '') return undefined;
  const variants = [wanted, wanted.replace(/\.local\.?$/i, ''), `${wanted.replace(/\.$/, '')}.local`];
  for (const source of sources) {
    for (const v of variants) {
      const hit = source.lookup(v) ?? source.lookup(v.toLowerCase());
      if (hit) return hit;
    }
  }
  return undefined;
}
