// Can this machine build a test LAN? Test files ask once, at load time:
//   describe('x', { skip: lanUnavailableReason() }, () => ...)
// The probe (cached per process) really creates a namespace with a veth pair and a bridge, as root
// with `ip netns`, otherwise inside `unshare --user --map-root-user --net --mount`.
// In CI (env CI=true) nothing is skipped: the tests run and TestLan.create() fails with the reason,
// so a pipeline cannot go green without its integration tests.
import { spawnSync } from 'node:child_process';
import { newSuffix } from './addressing';
import { which } from './exec';
import { currentMode, tool, USERNS_UNSHARE_ARGS } from './netns';
import { newRunRecord, removeRun, writeRun } from './runs';

let probed: { reason: string | undefined } | undefined;

const inCi = (): boolean => /^(1|true|yes)$/i.test(process.env.CI ?? '');

/** Why no test LAN can be built here (undefined: it can, or we are in CI where failing is right). */
export function lanUnavailableReason(): string | undefined {
  return inCi() ? undefined : probeLan();
}

/** Why tools a test needs are missing, with the same CI rule as lanUnavailableReason(). */
export function toolUnavailableReason(...tools: string[]): string | undefined {
  const lan = lanUnavailableReason();
  if (lan) return lan;
  const missing = tools.filter((t) => which(t) === undefined);
  if (missing.length === 0 || inCi()) return undefined;
  return `not installed: ${missing.join(', ')}`;
}

/** The probe itself, without the CI rule: undefined when a LAN can be created. */
export function probeLan(): string | undefined {
  probed ??= { reason: probeUncached() };
  return probed.reason;
}

function probeUncached(): string | undefined {
  if (process.platform !== 'linux')
    return `test LAN needs Linux network namespaces (this is ${process.platform})`;
  const missing = ['ip', 'sysctl', ...(currentMode() === 'root' ? [] : ['unshare', 'nsenter'])].filter(
    (t) => which(t) === undefined,
  );
  if (missing.length > 0) return `test LAN needs ${missing.join(', ')} (iproute2, procps, util-linux)`;
  return currentMode() === 'root' ? probeRoot() : probeUserns();
}

const probeLinks = (ns: string): string[] => [
  `link add probe0 netns ${ns} type veth peer name probe1 netns ${ns}`,
  `link add probe2 netns ${ns} type bridge`,
];

function probeRoot(): string | undefined {
  const ns = `${newSuffix(process.pid)}-probe`;
  // in the ledger like any run, in case we die between add and del
  const record = newRunRecord(ns, 'root', [ns]);
  writeRun(record);
  try {
    const r = spawnSync(tool('ip'), ['-batch', '-'], {
      input: [`netns add ${ns}`, ...probeLinks(ns)].join('\n') + '\n',
      encoding: 'utf8',
    });
    spawnSync(tool('ip'), ['netns', 'del', ns], { stdio: 'ignore' });
    if (r.status !== 0)
      return `cannot create a network namespace with a veth pair and a bridge: ${r.stderr.trim()}`;
    return undefined;
  } finally {
    removeRun(record.suffix);
  }
}

function probeUserns(): string | undefined {
  const script = [
    'if [ -d /run/netns ]; then mount -t tmpfs tmpfs /run/netns; else mount -t tmpfs tmpfs /run && mkdir /run/netns; fi',
    'ip netns add p',
    ...probeLinks('p').map((l) => `ip ${l}`),
  ].join(' && ');
  const r = spawnSync(tool('unshare'), [...USERNS_UNSHARE_ARGS, 'sh', '-c', script], {
    encoding: 'utf8',
    timeout: 5000,
    env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin` },
  });
  if (r.status === 0) return undefined;
  const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim();
  return `not root, and an unprivileged user+net namespace does not work here: ${why}`;
}
