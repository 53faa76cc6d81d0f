// Kernel settings the sleep proxy relies on, read and (for routes) changed in the current network
// namespace.
//
// Why: on a host with IP forwarding on (every Docker host), a waker's SYN for a proxied address
// arrives at our MAC (we answer ARP/NDP for it) and the kernel, not being that address, forwards
// it: back out of the same interface, so it sends an ICMP redirect, then fails to resolve the
// sleeping host and sends "host unreachable" — which aborts the waker's connect() before the
// sleeper has woken. A blackhole route per proxied address (/32, /128) makes the kernel drop those
// packets silently, while our packet socket still sees them (AF_PACKET taps run before routing).
// Link-local IPv6 addresses are never forwarded, so they need no route.
//
// Contract:
// - readKernelSettings(ifname): forwarding (v4 for the interface, v6 as ip6_forward decides it) and
//   whether redirects would be sent; `blackholesNeeded` per family. Typed error when /proc says no.
// - BlackholeRoutes: add/remove a blackhole route per address with `ip route`, tagged with our
//   routing protocol number (so `flushStale()` can clear what a SIGKILLed run left, and we never
//   touch a route we did not make: an existing different route is an 'exists' error). Results are
//   values, never throws. Without CAP_NET_ADMIN the error is 'permission' with the fix in `fix`.
//   close() removes every route this instance added.
// Side effect to know: a blackhole route also stops this host's own traffic to the sleeper (sends
// fail with EINVAL), so the service removes it the moment the sleeper is handed back.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';

/** rtnetlink protocol number that marks our routes (unassigned in iproute2's rt_protos). */
export const SPS_ROUTE_PROTOCOL = 211;

export type KernelErrorCode = 'permission' | 'exists' | 'unavailable' | 'invalid' | 'no-interface' | 'failed';

export const NET_ADMIN_FIX =
  'grant CAP_NET_ADMIN (setcap cap_net_raw,cap_net_admin+ep $(readlink -f $(which node)); systemd ' +
  'AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN; docker --cap-add NET_ADMIN), or turn IP forwarding ' +
  'off (sysctl -w net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0), or add the routes yourself: ' +
  'ip route add blackhole <sleeper IPv4>/32; ip -6 route add blackhole <sleeper IPv6>/128';

export class KernelError extends Error {
  override name = 'KernelError';
  constructor(
    readonly code: KernelErrorCode,
    message: string,
    /** What the user can do about it (permission errors). */
    readonly fix?: string,
    options?: { cause?: unknown },
  ) {
    super(fix ? `${message}; to fix: ${fix}` : message, options);
  }
}

export type KernelResult<T = void> = { ok: true; value: T } | { ok: false; error: KernelError };

export interface KernelSettings {
  readonly ifname: string;
  /** net.ipv4.conf.<if>.forwarding (what ip_forward sets): SYNs to proxied IPv4 addresses get forwarded. */
  readonly ipv4Forwarding: boolean;
  /** net.ipv6.conf.all.forwarding, or <if>.force_forwarding where the kernel has it. */
  readonly ipv6Forwarding: boolean;
  /** conf.all or conf.<if> send_redirects: a forwarded SYN also draws an ICMP redirect. */
  readonly ipv4SendRedirects: boolean;
  readonly blackholesNeeded: { readonly ipv4: boolean; readonly ipv6: boolean };
}

const PROC = '/proc/sys/net';

export async function readKernelSettings(ifname: string): Promise<KernelResult<KernelSettings>> {
  if (!/^[^/\s.][^/\s]{0,15}$/.test(ifname)) {
    return {
      ok: false,
      error: new KernelError('invalid', `kernel settings: bad interface name "${ifname}"`),
    };
  }
  try {
    const v4Forward = await readFlag(`${PROC}/ipv4/conf/${ifname}/forwarding`);
    const v6All = await readFlag(`${PROC}/ipv6/conf/all/forwarding`, false);
    const v6Force = await readFlag(`${PROC}/ipv6/conf/${ifname}/force_forwarding`, false);
    const redirects =
      (await readFlag(`${PROC}/ipv4/conf/all/send_redirects`)) ||
      (await readFlag(`${PROC}/ipv4/conf/${ifname}/send_redirects`));
    const ipv6Forwarding = v6All || v6Force;
    return {
      ok: true,
      value: {
        ifname,
        ipv4Forwarding: v4Forward,
        ipv6Forwarding,
        ipv4SendRedirects: redirects,
        blackholesNeeded: { ipv4: v4Forward, ipv6: ipv6Forwarding },
      },
    };
  } catch (e) {
    const code = (e as { code?: unknown }).code === 'ENOENT' ? 'no-interface' : 'failed';
    return {
      ok: false,
      error: new KernelError(code, `kernel settings for ${ifname}: ${String(e)}`, undefined, { cause: e }),
    };
  }
}

async function readFlag(path: string, missing?: boolean): Promise<boolean> {
  try {
    return (await readFile(path, 'utf8')).trim() !== '0';
  } catch (e) {
    if (missing !== undefined && (e as { code?: unknown }).code === 'ENOENT') return missing;
    throw e;
  }
}

export interface BlackholeOptions {
  /** The iproute2 `ip` command (default: found on PATH, then /usr/sbin, /sbin). */
  readonly ip?: string;
  readonly protocol?: number;
}

export type BlackholeOutcome = 'added' | 'present' | 'not-needed';

export class BlackholeRoutes {
  private readonly routes = new Set<string>();
  private readonly protocol: string;

  constructor(private readonly opts: BlackholeOptions = {}) {
    this.protocol = String(opts.protocol ?? SPS_ROUTE_PROTOCOL);
  }

  /** Addresses this instance currently holds a route for. */
  get addresses(): readonly string[] {
    return [...this.routes];
  }

  /** 'not-needed' for IPv6 link-local (never forwarded); 'present' if ours was already there. */
  async add(address: string): Promise<KernelResult<BlackholeOutcome>> {
    const prefix = prefixOf(address);
    if (!prefix.ok) return prefix;
    if (prefix.value === undefined) return { ok: true, value: 'not-needed' };
    if (this.routes.has(address)) return { ok: true, value: 'present' };
    const r = await this.ip(prefix.value.family, [
      'route',
      'add',
      'blackhole',
      prefix.value.dst,
      'proto',
      this.protocol,
    ]);
    if (r.ok) {
      this.routes.add(address);
      return { ok: true, value: 'added' };
    }
    if (r.error.code !== 'exists') return r;
    // ours from a run that died? then adopt it; anything else at that prefix is the user's
    const shown = await this.ip(prefix.value.family, [
      'route',
      'show',
      'exact',
      prefix.value.dst,
      'type',
      'blackhole',
      'proto',
      this.protocol,
    ]);
    if (shown.ok && shown.value.trim() !== '') {
      this.routes.add(address);
      return { ok: true, value: 'present' };
    }
    return r;
  }

  async remove(address: string): Promise<KernelResult> {
    const prefix = prefixOf(address);
    if (!prefix.ok) return prefix;
    if (prefix.value === undefined || !this.routes.has(address)) return { ok: true, value: undefined };
    const r = await this.ip(prefix.value.family, [
      'route',
      'del',
      'blackhole',
      prefix.value.dst,
      'proto',
      this.protocol,
    ]);
    // "No such process": someone removed it already, which is what we wanted
    if (!r.ok && !/No such process/i.test(r.error.message)) return r;
    this.routes.delete(address);
    return { ok: true, value: undefined };
  }

  /** Removes every blackhole route with our protocol number (leftovers of a killed run). */
  async flushStale(): Promise<KernelResult> {
    for (const family of ['-4', '-6'] as const) {
      const r = await this.ip(family, ['route', 'flush', 'type', 'blackhole', 'proto', this.protocol]);
      if (!r.ok) return r;
    }
    return { ok: true, value: undefined };
  }

  /** Removes every route this instance added; the first error, if any, after trying them all. */
  async close(): Promise<KernelResult> {
    let first: KernelResult = { ok: true, value: undefined };
    for (const address of [...this.routes]) {
      const r = await this.remove(address);
      if (!r.ok && first.ok) first = r;
    }
    return first;
  }

  private ip(family: '-4' | '-6', args: string[]): Promise<KernelResult<string>> {
    const file = this.opts.ip ?? IP_COMMAND;
    return new Promise((resolve) => {
      execFile(file, [family, ...args], { timeout: 5000 }, (err, stdout, stderr) => {
        if (!err) return resolve({ ok: true, value: stdout });
        const text = `${file} ${family} ${args.join(' ')}: ${stderr.trim() || err.message}`;
        resolve({ ok: false, error: ipError(err, stderr, text) });
      });
    });
  }
}

const IP_COMMAND = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find(isExecutable) ?? 'ip';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function ipError(err: Error & { code?: unknown }, stderr: string, text: string): KernelError {
  if (err.code === 'ENOENT') {
    return new KernelError('unavailable', `${text} (iproute2 "ip" not found)`, 'install iproute2');
  }
  if (/Operation not permitted|Permission denied/i.test(stderr)) {
    return new KernelError('permission', text, NET_ADMIN_FIX, { cause: err });
  }
  if (/File exists/i.test(stderr)) return new KernelError('exists', text, undefined, { cause: err });
  return new KernelError('failed', text, undefined, { cause: err });
}

function prefixOf(address: string): KernelResult<{ family: '-4' | '-6'; dst: string } | undefined> {
  const version = isIP(address);
  if (version === 4) return { ok: true, value: { family: '-4', dst: `${address}/32` } };
  if (version === 6) {
    if (/^fe[89ab]/i.test(address)) return { ok: true, value: undefined };
    return { ok: true, value: { family: '-6', dst: `${address}/128` } };
  }
  return {
    ok: false,
    error: new KernelError('invalid', `blackhole route: "${address}" is not an IP address`),
  };
}
