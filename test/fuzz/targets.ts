// Every fuzz target, by name: the wire parsers, then the engines that consume them.
import { ENGINE_TARGETS } from './engine-targets';
import type { FuzzTarget } from './fuzzer';
import { PARSER_TARGETS } from './parser-targets';
import { restoreTarget } from './restore-target';

export const TARGETS: readonly FuzzTarget[] = [...PARSER_TARGETS, ...ENGINE_TARGETS, restoreTarget];

export function targetNamed(name: string): FuzzTarget {
  const target = TARGETS.find((t) => t.name === name);
  if (!target) throw new Error(`no fuzz target ${name} (have: ${TARGETS.map((t) => t.name).join(', ')})`);
  return target;
}
