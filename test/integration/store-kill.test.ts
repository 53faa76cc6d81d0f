// SIGKILL during a burst of journal appends (and compactions): a child appends with 32 appends in
// flight and prints each acknowledged number; the test kills it mid-burst with SIGKILL, reopens the
// journal and checks that every acknowledged entry is there, that nothing is replayed twice and
// that the replay is an unbroken run of numbers. Three rounds on the same directory, so each
// restart also replays what the kill before it left behind.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Journal } from '../../src/io/store';
import { waitForExit } from '../support/lan/exec';

const AGENT = join(__dirname, 'agents', 'journal-burst-agent.js');
const dir = mkdtempSync(join(tmpdir(), 'sps-kill-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the agent until it has acknowledged `minAcks` entries, then SIGKILLs it; returns the acks. */
async function burstAndKill(minAcks: number): Promise<{ acked: number[]; opened: string }> {
  const child = spawn(process.execPath, [AGENT, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acked: number[] = [];
  let opened = '';
  let err = '';
  let partial = '';
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`agent exited early (${code}): ${err}`)));
    child.stdout.on('data', (b: Buffer) => {
      const lines = (partial + b.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('ack ')) acked.push(Number(line.slice(4)));
        else if (line.startsWith('open ')) opened = line;
      }
      if (acked.length >= minAcks) {
        child.kill('SIGKILL');
        resolve();
      }
    });
  });
  await waitForExit(child, 2000);
  // acks printed before the kill but still in the pipe are acknowledged too
  for (const line of partial.split('\n')) if (/^ack \d+$/.test(line)) acked.push(Number(line.slice(4)));
  return { acked, opened };
}

describe('journal under SIGKILL', () => {
  test('every acknowledged entry survives a SIGKILL mid-burst, three times over', async (t) => {
    let total = 0;
    for (let round = 0; round < 3; round++) {
      const { acked, opened } = await burstAndKill(400 + round * 137);
      const r = await Journal.open<{ n: number }, { upTo: number }>(dir, { name: 'burst' });
      assert.ok(r.ok, 'reopens');
      const { journal, snapshot, entries, damage } = r;
      await journal.close();
      const first = snapshot?.upTo ?? 0;
      const numbers = entries.map((e) => e.n);
      numbers.forEach((n, i) => assert.equal(n, first + i, `round ${round}: replay is an unbroken run`));
      const last = numbers.at(-1) ?? first - 1;
      const maxAck = Math.max(...acked);
      assert.ok(last >= maxAck, `round ${round}: last durable ${last} < last acknowledged ${maxAck}`);
      for (const d of damage) assert.equal(d.kind, 'torn', `round ${round}: only a torn tail, never damage`);
      t.diagnostic(
        `round ${round}: ${opened}; killed after ${acked.length} acks (max ${maxAck}); replay: snapshot upTo ${first}, entries ${numbers[0]}..${last}, damage ${JSON.stringify(damage)}`,
      );
      total += acked.length;
    }
    assert.ok(total > 1000);
  });
});
