// Synchronous teardown when the process ends without destroy(): on 'exit', and on SIGINT, SIGTERM
// and SIGHUP (a listener replaces Node's default "terminate", so after tearing down we re-raise
// the signal when nobody else listens). SIGKILL cannot be caught: the run ledger covers it.
const hooks = new Set<() => void>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let installed = false;

function runAll(): void {
  for (const hook of [...hooks]) {
    hooks.delete(hook);
    try {
      hook();
    } catch {
      // keep tearing down the others
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  for (const s of SIGNALS) process.off(s, onSignal);
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

/** Registers `hook` to run once at exit; returns its removal. */
export function onExitTeardown(hook: () => void): () => void {
  if (!installed) {
    installed = true;
    process.on('exit', runAll);
    for (const s of SIGNALS) process.on(s, onSignal);
  }
  hooks.add(hook);
  return () => hooks.delete(hook);
}
