// avahi-daemon as a third-party mDNS responder in a LAN host, without D-Bus (learnt from
// /work/shared/testlan/avahi.sh). Each daemon gets its own config (host name, only eth0, no D-Bus, no
// wide-area, no rate limit to speak of) and static services as .service files in a temporary folder.
// avahi-daemon hard-codes /run/avahi-daemon and /etc/avahi/services, so it runs in a private mount
// namespace where a tmpfs covers /run and both paths are bind mounts of our own folders: nothing of the
// machine's /run or /etc changes. stop() sends SIGTERM, which makes avahi withdraw its services with
// goodbye packets, then removes the folder.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NsEndpoint } from './endpoint';
import { waitForExit, which } from './exec';

export interface AvahiService {
  /** Instance name. */
  readonly name: string;
  /** "_http._tcp". */
  readonly type: string;
  readonly port: number;
  readonly txt?: readonly string[];
}

export interface AvahiOptions {
  /** host-name= of the daemon (default: the endpoint's namespace name). */
  readonly hostName: string;
  readonly services?: readonly AvahiService[];
  /** Startup limit (default 8000 ms): avahi probes its host name and every service first. */
  readonly timeoutMs?: number;
}

/** Why avahi tests cannot run here (Debian: apt-get install avahi-daemon), or undefined. */
export function avahiUnavailableReason(): string | undefined {
  if (!which('avahi-daemon')) return 'avahi-daemon not installed (apt-get install avahi-daemon)';
  if (!which('unshare')) return 'unshare (util-linux) missing';
  return undefined;
}

const xml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

function serviceFile(s: AvahiService): string {
  const txt = (s.txt ?? []).map((t) => `    <txt-record>${xml(t)}</txt-record>\n`).join('');
  return `<?xml version="1.0" standalone='no'?>
<!DOCTYPE service-group SYSTEM "avahi-service.dtd">
<service-group>
  <name>${xml(s.name)}</name>
  <service>
    <type>${xml(s.type)}</type>
    <port>${s.port}</port>
${txt}  </service>
</service-group>
`;
}

function config(hostName: string): string {
  return `[server]
host-name=${hostName}
domain-name=local
use-ipv4=yes
use-ipv6=no
allow-interfaces=eth0
enable-dbus=no
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
`;
}

export class AvahiDaemon {
  private log = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {
    const collect = (b: Buffer) => (this.log += b.toString('utf8'));
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
  }

  static async start(host: NsEndpoint, options: AvahiOptions): Promise<AvahiDaemon> {
    const dir = mkdtempSync(join(tmpdir(), 'sps-avahi-'));
    const run = join(dir, 'run');
    const services = join(dir, 'services');
    mkdirSync(run);
    mkdirSync(services);
    writeFileSync(join(dir, 'avahi-daemon.conf'), config(options.hostName));
    for (const [i, s] of (options.services ?? []).entries())
      writeFileSync(join(services, `s${i}.service`), serviceFile(s));
    const script =
      'mount -t tmpfs tmpfs /run && mkdir /run/avahi-daemon && mount --bind "$1" /run/avahi-daemon && ' +
      'mount --bind "$2" /etc/avahi/services && exec avahi-daemon -f "$3" --no-chroot --no-drop-root ' +
      '--no-rlimits --no-proc-title --debug';
    const child = host.spawn('unshare', [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      script,
      'sh',
      run,
      services,
      join(dir, 'avahi-daemon.conf'),
    ]);
    const daemon = new AvahiDaemon(child, dir);
    try {
      await daemon.ready(options.services?.length ?? 0, options.timeoutMs ?? 8000);
    } catch (err) {
      await daemon.stop();
      throw err;
    }
    return daemon;
  }

  output(): string {
    return this.log;
  }

  private ready(services: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve, reject) => {
      const check = () => {
        const established = this.log.match(/successfully established/g)?.length ?? 0;
        if (/startup complete/i.test(this.log) && established >= services) return resolve();
        if (this.child.exitCode !== null || this.child.signalCode !== null)
          return reject(new Error(`avahi-daemon exited: ${this.log}`));
        if (Date.now() > deadline)
          return reject(new Error(`avahi-daemon not ready in ${timeoutMs} ms: ${this.log}`));
        setTimeout(check, 50);
      };
      check();
    });
  }

  /** SIGTERM (avahi says goodbye for its records), wait for the exit, remove the folder. */
  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    await waitForExit(this.child, 4000);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
