// Run as a plain script (node sleep-proxy-status-probe.js STATE_DIR), typically without CAP_NET_RAW:
// loads a flow whose config node uses the loopback interface, waits for the flow node's first red
// or green status and prints it, with the config node's error log lines, as one JSON line. The link
// is the part that needs the capability and opens before any socket that could send.
import { helper, startServer, stopServer } from '../../support/node-red';

interface Status {
  fill?: string;
  text?: string;
}

async function main(): Promise<void> {
  const stateDir = process.argv[2];
  await startServer();
  const flow = [
    { id: 'f1', type: 'tab' },
    { id: 'cfg', type: 'sleep-proxy-config', interface: 'lo', stateDir, port: '0' },
    { id: 'sp', z: 'f1', type: 'sleep proxy', proxy: 'cfg', wires: [[]] },
  ];
  await helper.load(
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    [require('../../../nodes/sleep-proxy-config'), require('../../../nodes/sleep-proxy')],
    flow as Parameters<typeof helper.load>[1],
  );
  const node = helper.getNode('sp') as unknown as { status: { getCalls(): { args: [Status] }[] } };
  let status: Status | undefined;
  for (let i = 0; i < 500 && !status; i++) {
    status = node.status
      .getCalls()
      .map((c) => c.args[0])
      .find((s) => s.fill === 'red' || s.fill === 'green');
    if (!status) await new Promise((r) => setTimeout(r, 10));
  }
  const errors = helper
    .log()
    .args.map((a: unknown[]) => a[0] as { level: number; msg: unknown; type: string })
    .filter((l: { level: number; type: string }) => l.type === 'sleep-proxy-config' && l.level === 20)
    .map((l: { msg: unknown }) => String(l.msg));
  await stopServer();
  process.stdout.write(`${JSON.stringify({ status, errors })}\n`);
}

main().catch((error: Error) => {
  process.stdout.write(`${JSON.stringify({ crash: error.message })}\n`);
  process.exitCode = 1;
});
