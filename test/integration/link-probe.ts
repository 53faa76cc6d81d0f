// A one-shot script for link.test.ts, run in a test-LAN host as a plain process (optionally with
// reduced privileges): `node link-probe.js <mode> <ifname>`. Prints one JSON line and ends on its
// own: the test's timeout catches a process that a link keeps alive.
//   open       openLink, report the outcome (error class and code), close.
//   lifecycle  open with accept-all, send a frame, wait 200 ms, close; report stats and what
//              still keeps the event loop alive.
//   unref      open and unref() without closing: must not keep the process alive either.
import { acceptAll, openLink } from '../../src/io/link';

function report(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

function main(mode: string | undefined, ifname = 'eth0'): void {
  let link;
  try {
    link = openLink(ifname, { filter: acceptAll() });
  } catch (error) {
    const e = error as { name?: string; code?: string; message?: string };
    report({ outcome: 'error', name: e.name, code: e.code, message: e.message });
    return;
  }
  if (mode === 'open') {
    link.close();
    report({ outcome: 'ok' });
    return;
  }
  if (mode === 'unref') {
    link.unref();
    report({ outcome: 'ok', open: !link.closed });
    return;
  }
  const frame = Buffer.alloc(60);
  frame.fill(0xff, 0, 6);
  Buffer.from(link.mac.split(':').map((h) => parseInt(h, 16))).copy(frame, 6);
  frame.writeUInt16BE(0x88b5, 12);
  const sent = link.send(frame);
  const opened = link;
  setTimeout(() => {
    opened.close();
    setImmediate(() =>
      report({ outcome: 'ok', sent, stats: opened.stats(), resources: process.getActiveResourcesInfo() }),
    );
  }, 200);
}

main(process.argv[2], process.argv[3]);
