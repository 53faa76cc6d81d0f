// Creating a run of namespaces (TestLan, TestSegments): the ledger entry is written before anything
// exists, exit hooks tear the run down if the process ends, and a failed build tears down what it
// made and rethrows. Shared so that every kind of test network follows the same lifecycle.
import { onExitTeardown } from './exit-hooks';
import { NetnsContext, type LanMode } from './netns';
import { namespaceInode } from './procfs';
import { newRunRecord, removeRun, teardownRun, writeRun, type RunRecord } from './runs';

export interface BuiltRun {
  readonly context: NetnsContext;
  readonly record: RunRecord;
  /** Call on destroy(), before tearing the run down. */
  readonly removeExitHook: () => void;
}

export async function buildRun(
  suffix: string,
  mode: LanMode,
  namespaces: readonly string[],
  build: (context: NetnsContext) => Promise<void>,
): Promise<BuiltRun> {
  let record = newRunRecord(suffix, mode, namespaces);
  writeRun(record);
  let context: NetnsContext | undefined;
  const teardown = (): void => {
    teardownRun(record);
    context?.close();
    removeRun(suffix);
  };
  const removeExitHook = onExitTeardown(teardown);
  try {
    context = await NetnsContext.open(mode);
    const helper = context.helperRecord;
    if (helper) writeRun((record = { ...record, helper }));
    await build(context);
    if (helper) {
      const ctx = context;
      const netInodes = record.namespaces.map((ns) => namespaceInode(ctx.netnsPath(ns)) ?? -1);
      writeRun((record = { ...record, netInodes }));
    }
  } catch (e) {
    removeExitHook();
    teardown();
    throw e;
  }
  return { context, record, removeExitHook };
}
