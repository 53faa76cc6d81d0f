// A process for the SIGKILL test (test/integration/store-kill.test.ts), run as
// `node journal-burst-agent.js <dir>` (no IPC, so nothing but the kernel stands between a SIGKILL and
// the files). It opens the journal, reports the replay on one line
// (`open <snapshot upTo> <first n> <last n> <count>`), then appends {n, pad} entries forever with 32
// in flight, printing `ack <n>` as each append resolves (stdout on a pipe is synchronous on Linux, so
// a printed ack was acknowledged before the kill). Every 150 entries it compacts into
// {upTo: <entries so far>}, so the kill also lands inside compactions.
import { Journal } from '../../../src/io/store';

interface Entry {
  readonly n: number;
  readonly pad: string;
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: journal-burst-agent <dir>');
  const opened = await Journal.open<Entry, { upTo: number }>(dir, { name: 'burst' });
  if (!opened.ok) throw opened.error;
  const { journal, snapshot, entries } = opened;
  let next = (entries.at(-1)?.n ?? (snapshot ? snapshot.upTo - 1 : -1)) + 1;
  process.stdout.write(
    `open ${snapshot?.upTo ?? -1} ${entries[0]?.n ?? -1} ${entries.at(-1)?.n ?? -1} ${entries.length}\n`,
  );
  const pad = 'x'.repeat(200);
  const one = async (): Promise<void> => {
    for (;;) {
      const n = next++;
      if (n > 0 && n % 150 === 0) void journal.compact({ upTo: n });
      await journal.append({ n, pad });
      process.stdout.write(`ack ${n}\n`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, one));
}

main().catch((e: unknown) => {
  process.stderr.write(`journal-burst-agent: ${String(e)}\n`);
  process.exit(1);
});
