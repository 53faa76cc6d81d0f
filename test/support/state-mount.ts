// A tmpfs state directory that only the processes of one test see: a holder process in a LAN host
// (`ip netns exec` gives it a mount namespace of its own) mounts it and sleeps; proxies join its
// namespaces (startSleepProxy's `mountsOf`), and the test remounts it read-only or fills it with run().
// The tmpfs goes away with the holder.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { LanHost } from './lan';

export class StateMount {
  private constructor(
    private readonly holder: ChildProcess,
    readonly dir: string,
  ) {}

  /** Mounts a tmpfs (`options`, e.g. "size=256k") on the existing directory `dir`, inside `host`. */
  static async create(host: LanHost, dir: string, options: string): Promise<StateMount> {
    const script = `mount -t tmpfs -o "${options}" sps-state "${dir}" && echo mounted && exec sleep 86400`;
    const holder = host.spawn('sh', ['-c', script]);
    let stderr = '';
    holder.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const mounted = once(holder.stdout!, 'data').then(() => true);
    if (!(await Promise.race([mounted, once(holder, 'exit').then(() => false)])))
      throw new Error(`state mount: ${stderr}`);
    return new StateMount(holder, dir);
  }

  get pid(): number {
    return this.holder.pid ?? 0;
  }

  /** Runs a command inside the holder's mount namespace; its stdout. */
  run(cmd: string, args: readonly string[]): string {
    return execFileSync('nsenter', ['-t', String(this.pid), '-m', '--', cmd, ...args], { encoding: 'utf8' });
  }

  /** The bytes of a file in the mount. */
  read(path: string): Buffer {
    return Buffer.from(this.run('base64', ['-w0', path]), 'base64');
  }

  close(): void {
    this.holder.kill('SIGKILL');
  }
}
