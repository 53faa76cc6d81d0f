// Where `ip netns` works and how to run a command inside a named network namespace.
//
// As root, namespaces are the machine's own (/run/netns/<name>). Without root, a long-lived helper
// `unshare --user --map-root-user --net --mount` owns a private tmpfs on /run/netns; every command
// then enters the helper's user, mount and network namespaces with nsenter, where it is root over
// everything it creates and `ip netns add/exec` work as usual. The helper reads its stdin until
// EOF, so it ends when its owner does, even on SIGKILL, and its namespaces go with it.
//
// Commands run inside a namespace get a parent-death signal (setpriv --pdeathsig KILL) when setpriv
// exists, so they die with the test process instead of holding a namespace alive.
import { spawn, type ChildProcess } from 'node:child_process';
import { checked, waitForOutput, which } from './exec';
import { isSameProcess, processNamespace, processStartTime } from './procfs';

export type LanMode = 'root' | 'userns';

export const currentMode = (): LanMode => (process.getuid?.() === 0 ? 'root' : 'userns');

export interface HelperRecord {
  readonly pid: number;
  readonly start: number;
  readonly userInode: number;
}

type Argv = [file: string, args: string[]];

// The helper mounts over /run/netns when it exists; otherwise over /run (then creates netns/),
// since an unprivileged user cannot create /run/netns on the host.
const HELPER_SCRIPT = `
if [ -d /run/netns ]; then mount -t tmpfs -o mode=0755 sps-netns /run/netns || exit 1
else mount -t tmpfs -o mode=0755 sps-run /run && mkdir /run/netns || exit 1; fi
echo ready
exec cat >/dev/null`;

/** `name` as an absolute path when found (non-root PATHs often lack the sbin directories). */
export const tool = (name: string): string => which(name) ?? name;

export const USERNS_UNSHARE_ARGS = ['--user', '--map-root-user', '--net', '--mount'];

export class NetnsContext {
  private readonly pdeathsig: string[];

  private constructor(
    readonly mode: LanMode,
    private readonly helper?: { readonly process: ChildProcess; readonly record: HelperRecord },
  ) {
    const setpriv = which('setpriv');
    this.pdeathsig = setpriv ? [setpriv, '--pdeathsig', 'KILL', '--'] : [];
  }

  static async open(mode: LanMode = currentMode()): Promise<NetnsContext> {
    if (mode === 'root') return new NetnsContext('root');
    const child = spawn(tool('unshare'), [...USERNS_UNSHARE_ARGS, 'sh', '-c', HELPER_SCRIPT], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    try {
      await waitForOutput(child, /^ready$/m, { timeoutMs: 5000 });
    } catch (e) {
      child.kill('SIGKILL');
      throw new Error(`test LAN: unprivileged namespace helper failed: ${(e as Error).message}`);
    }
    const pid = child.pid ?? -1;
    const start = processStartTime(pid);
    const userInode = processNamespace(pid, 'user');
    if (start === undefined || userInode === undefined) throw new Error('test LAN: helper vanished');
    // it must not keep the test process alive; its stdin stays open until we exit
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr])
      (s as { unref?: () => void } | null)?.unref?.();
    return new NetnsContext('userns', { process: child, record: { pid, start, userInode } });
  }

  get helperRecord(): HelperRecord | undefined {
    return this.helper?.record;
  }

  /** A command in the context's own namespaces: where `ip netns add` and `ip link add` run. */
  base(cmd: string, args: readonly string[]): Argv {
    if (!this.helper) return [tool(cmd), [...args]];
    const pid = String(this.helper.record.pid);
    return [
      tool('nsenter'),
      ['-t', pid, '-U', '-m', '-n', '--preserve-credentials', '--', tool(cmd), ...args],
    ];
  }

  /** A command inside network namespace `ns`; it keeps our fds (IPC channel) and environment. */
  inNs(ns: string, cmd: string, args: readonly string[]): Argv {
    const [file, rest] = this.base('ip', ['netns', 'exec', ns, tool(cmd), ...args]);
    if (this.pdeathsig.length === 0) return [file, rest];
    // setpriv goes after nsenter: entering a user namespace clears the parent-death signal
    if (this.helper) {
      const cut = rest.indexOf('--') + 1;
      return [file, [...rest.slice(0, cut), ...this.pdeathsig, ...rest.slice(cut)]];
    }
    const [setpriv = '', ...pre] = this.pdeathsig;
    return [setpriv, [...pre, file, ...rest]];
  }

  /** Runs `ip -batch -` with `lines`, in namespace `ns` or in the base context. */
  async ipBatch(lines: readonly string[], ns?: string): Promise<void> {
    if (lines.length === 0) return;
    const [file, args] = this.base('ip', [...(ns ? ['-n', ns] : []), '-batch', '-']);
    await checked(file, args, { input: lines.join('\n') + '\n' });
  }

  async sysctl(ns: string, settings: readonly string[]): Promise<void> {
    const [file, args] = this.inNs(ns, 'sysctl', ['-e', '-q', '-w', ...settings]);
    await checked(file, args);
  }

  /** The file that pins netns `ns`, readable from outside the helper (for its inode). */
  netnsPath(ns: string): string {
    return this.helper ? `/proc/${this.helper.record.pid}/root/run/netns/${ns}` : `/run/netns/${ns}`;
  }

  /** Ends the helper (and so every namespace it owns once nothing else is inside). */
  close(): void {
    const h = this.helper?.record;
    if (h && isSameProcess(h.pid, h.start)) process.kill(h.pid, 'SIGKILL');
  }
}
