// A process that builds a LAN, prints its run record as one JSON line and waits to be killed: the
// integration test SIGKILLs it to prove that the next TestLan.create() reaps what it left.
import { TestLan } from '../lan';

async function main(): Promise<void> {
  const lan = await TestLan.create({ hosts: ['a:1', 'b:2'] });
  process.stdout.write(
    JSON.stringify({ suffix: lan.suffix, namespaces: lan.namespaces, mode: lan.mode }) + '\n',
  );
  setInterval(() => undefined, 60_000);
}

main().catch((e: unknown) => {
  process.stderr.write(`lan-owner: ${String(e)}\n`);
  process.exit(1);
});
