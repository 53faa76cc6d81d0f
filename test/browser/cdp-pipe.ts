// A minimal Chrome DevTools Protocol client over --remote-debugging-pipe (fd 3 in, fd 4 out,
// messages are JSON terminated by NUL), so the browser test needs no playwright download and no
// WebSocket: spawn Debian's chromium with the pipe, attach to its page, evaluate and screenshot.
import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

interface Reply {
  id?: number;
  result?: Record<string, unknown>;
  error?: { message: string };
}

export class CdpPipe {
  private nextId = 1;
  private buffered = '';
  private readonly pending = new Map<
    number,
    { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }
  >();
  private sessionId: string | undefined;

  constructor(private readonly child: ChildProcess) {
    const out = child.stdio[4] as Readable;
    out.on('data', (chunk: Buffer) => {
      this.buffered += chunk.toString('utf8');
      for (let end = this.buffered.indexOf('\0'); end >= 0; end = this.buffered.indexOf('\0')) {
        const reply = JSON.parse(this.buffered.slice(0, end)) as Reply;
        this.buffered = this.buffered.slice(end + 1);
        const waiter = reply.id === undefined ? undefined : this.pending.get(reply.id);
        if (!waiter) continue;
        this.pending.delete(reply.id!);
        if (reply.error) waiter.reject(new Error(reply.error.message));
        else waiter.resolve(reply.result ?? {});
      }
    });
    child.once('exit', () => {
      for (const w of this.pending.values()) w.reject(new Error('chromium exited'));
      this.pending.clear();
    });
  }

  /** Sends a command to the browser, or to the attached page when `page` is true. */
  send(method: string, params: object = {}, page = true): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const message = { id, method, params, ...(page && this.sessionId ? { sessionId: this.sessionId } : {}) };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      (this.child.stdio[3] as Writable).write(`${JSON.stringify(message)}\0`);
    });
  }

  /** Attaches to the first page target (the one chromium opened at start). */
  async attach(): Promise<void> {
    const { targetInfos } = (await this.send('Target.getTargets', {}, false)) as {
      targetInfos: { targetId: string; type: string }[];
    };
    const page = targetInfos.find((t) => t.type === 'page');
    if (!page) throw new Error('chromium has no page');
    const { sessionId } = (await this.send(
      'Target.attachToTarget',
      { targetId: page.targetId, flatten: true },
      false,
    )) as { sessionId: string };
    this.sessionId = sessionId;
    await this.send('Page.enable');
  }

  /** The value of a page expression (awaited if it is a promise). */
  async evaluate<T>(expression: string): Promise<T> {
    const { result, exceptionDetails } = (await this.send('Runtime.evaluate', {
      expression,
      returnByValue: true,
      awaitPromise: true,
    })) as { result: { value: T }; exceptionDetails?: { text: string } };
    if (exceptionDetails) throw new Error(`page: ${exceptionDetails.text} in ${expression}`);
    return result.value;
  }

  /** Polls a page expression until it is truthy. */
  async waitFor<T>(expression: string, timeoutMs: number, what = expression): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await this.evaluate<T>(expression).catch(() => undefined);
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`browser: no ${what} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async screenshot(): Promise<Buffer> {
    const { data } = (await this.send('Page.captureScreenshot', { format: 'png' })) as { data: string };
    return Buffer.from(data, 'base64');
  }

  async close(): Promise<void> {
    await this.send('Browser.close', {}, false).catch(() => undefined);
  }
}
