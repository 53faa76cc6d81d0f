// Classic BPF (the `struct sock_filter` programs of SO_ATTACH_FILTER): instruction encoding, a
// label-based assembler that resolves jump offsets, and a disassembler for logs and tests. Pure:
// no I/O, so the filters built from it are unit tested with an interpreter.
//
// Kernel facts this file relies on (linux/filter.h, Documentation/networking/filter.rst):
// - An instruction is 8 bytes: u16 code, u8 jt, u8 jf, u32 k, in HOST byte order (the kernel reads
//   the struct as is), so encodeBpf writes little-endian on x64/arm64/armv7 and big-endian on a
//   big-endian host. Packet loads (ld/ldh/ldb [k]) read the frame in network order.
// - Conditional jumps are forward only, relative to the next instruction, and jt/jf are 8 bits:
//   at most 255 instructions ahead. `ja` has a 32-bit offset. The assembler inserts `ja`
//   trampolines where a conditional target is further away, so callers never see the limit.
// - A program has 1..BPF_MAXINSNS (4096) instructions and must end in a return.

export interface BpfInstruction {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

export type BpfProgram = readonly BpfInstruction[];

/** The kernel's limit on classic BPF program length (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;
export const BPF_INSTRUCTION_BYTES = 8;

// Instruction classes, sizes, modes, operations and sources (linux/bpf_common.h).
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_MISC = 0x07;

export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;

export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_LEN = 0x80;
export const BPF_MSH = 0xa0;

export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;

export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;

export const BPF_K = 0x00;
export const BPF_X = 0x08;
export const BPF_A = 0x10;

export const BPF_TAX = 0x00;
export const BPF_TXA = 0x80;

export const bpfClass = (code: number): number => code & 0x07;
export const bpfSize = (code: number): number => code & 0x18;
export const bpfMode = (code: number): number => code & 0xe0;
export const bpfOp = (code: number): number => code & 0xf0;
export const bpfSrc = (code: number): number => code & 0x08;

export const bpfStmt = (code: number, k: number): BpfInstruction => ({ code, jt: 0, jf: 0, k: k >>> 0 });
export const bpfJump = (code: number, k: number, jt: number, jf: number): BpfInstruction => ({
  code,
  jt,
  jf,
  k: k >>> 0,
});

/** True for conditional jumps (the ones with 8-bit jt/jf); `ja` is not one. */
export const isConditionalJump = (code: number): boolean =>
  bpfClass(code) === BPF_JMP && bpfOp(code) !== BPF_JA;

const HOST_IS_LITTLE_ENDIAN = new Uint16Array(new Uint8Array([1, 0]).buffer)[0] === 1;

/** The program as `struct sock_filter[]` in host byte order, ready for SO_ATTACH_FILTER. */
export function encodeBpf(program: BpfProgram, littleEndian = HOST_IS_LITTLE_ENDIAN): Buffer {
  const out = Buffer.alloc(program.length * BPF_INSTRUCTION_BYTES);
  const view = new DataView(out.buffer, out.byteOffset, out.length);
  program.forEach(({ code, jt, jf, k }, i) => {
    const at = i * BPF_INSTRUCTION_BYTES;
    view.setUint16(at, code, littleEndian);
    view.setUint8(at + 2, jt);
    view.setUint8(at + 3, jf);
    view.setUint32(at + 4, k >>> 0, littleEndian);
  });
  return out;
}

export function decodeBpf(bytes: Uint8Array, littleEndian = HOST_IS_LITTLE_ENDIAN): BpfInstruction[] {
  if (bytes.length % BPF_INSTRUCTION_BYTES !== 0) throw new RangeError('BPF: length is not a multiple of 8');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const program: BpfInstruction[] = [];
  for (let at = 0; at < bytes.length; at += BPF_INSTRUCTION_BYTES) {
    program.push({
      code: view.getUint16(at, littleEndian),
      jt: view.getUint8(at + 2),
      jf: view.getUint8(at + 3),
      k: view.getUint32(at + 4, littleEndian),
    });
  }
  return program;
}

/**
 * Structural checks the kernel also makes (sk_chk_filter): length, jump targets inside the
 * program, a return at the end. Returns a reason, or undefined when the program is acceptable.
 */
export function checkBpf(program: BpfProgram): string | undefined {
  if (program.length === 0 || program.length > BPF_MAXINSNS)
    return `length ${program.length} not in 1..${BPF_MAXINSNS}`;
  for (let pc = 0; pc < program.length; pc++) {
    const { code, jt, jf, k } = program[pc];
    if (bpfClass(code) !== BPF_JMP) continue;
    const offsets = bpfOp(code) === BPF_JA ? [k] : [jt, jf];
    if (bpfOp(code) !== BPF_JA && (jt > 255 || jf > 255)) return `jump offset at ${pc} does not fit 8 bits`;
    if (offsets.some((offset) => pc + 1 + offset >= program.length))
      return `jump at ${pc} leaves the program`;
  }
  if (bpfClass(program[program.length - 1].code) !== BPF_RET) return 'the last instruction is not a return';
  return undefined;
}

/** A jump target; place() binds it to the next instruction emitted. */
export class BpfLabel {
  /** Index of the instruction this label stands before, once placed. */
  at = -1;
}

interface Pending {
  code: number;
  k: number;
  /** Conditional jumps: targets; undefined means the next instruction. */
  jt?: BpfLabel;
  jf?: BpfLabel;
  /** `ja`: target. */
  ja?: BpfLabel;
}

/**
 * Builds a program from statements and jumps to labels. assemble() lays it out, relaxing
 * conditional jumps that reach further than 255 instructions into a jump to a nearby `ja`.
 */
export class BpfAssembler {
  private readonly items: Pending[] = [];
  private readonly labels: BpfLabel[] = [];

  get length(): number {
    return this.items.length;
  }

  label(): BpfLabel {
    const label = new BpfLabel();
    this.labels.push(label);
    return label;
  }

  place(label: BpfLabel): this {
    if (label.at >= 0) throw new Error('BPF assembler: label placed twice');
    label.at = this.items.length;
    return this;
  }

  stmt(code: number, k = 0): this {
    if (bpfClass(code) === BPF_JMP) throw new Error('BPF assembler: use jump() or goto() for jumps');
    this.items.push({ code, k: k >>> 0 });
    return this;
  }

  /** A conditional jump: to `onTrue` / `onFalse`, or to the next instruction when omitted. */
  jump(code: number, k: number, onTrue?: BpfLabel, onFalse?: BpfLabel): this {
    if (!isConditionalJump(code)) throw new Error('BPF assembler: not a conditional jump');
    this.items.push({ code, k: k >>> 0, jt: onTrue, jf: onFalse });
    return this;
  }

  goto(target: BpfLabel): this {
    this.items.push({ code: BPF_JMP | BPF_JA, k: 0, ja: target });
    return this;
  }

  // Shorthands for the instructions the filters use.
  ldAbs(size: number, offset: number): this {
    return this.stmt(BPF_LD | size | BPF_ABS, offset);
  }
  ldInd(size: number, offset: number): this {
    return this.stmt(BPF_LD | size | BPF_IND, offset);
  }
  /** X = 4 * (P[offset] & 0x0f): the IPv4 header length. */
  ldxMsh(offset: number): this {
    return this.stmt(BPF_LDX | BPF_B | BPF_MSH, offset);
  }
  and(k: number): this {
    return this.stmt(BPF_ALU | BPF_AND | BPF_K, k);
  }
  jeq(k: number, onTrue?: BpfLabel, onFalse?: BpfLabel): this {
    return this.jump(BPF_JMP | BPF_JEQ | BPF_K, k, onTrue, onFalse);
  }
  jset(k: number, onTrue?: BpfLabel, onFalse?: BpfLabel): this {
    return this.jump(BPF_JMP | BPF_JSET | BPF_K, k, onTrue, onFalse);
  }
  ret(k: number): this {
    return this.stmt(BPF_RET | BPF_K, k);
  }

  assemble(): BpfInstruction[] {
    for (const label of this.labels) {
      if (label.at < 0) throw new Error('BPF assembler: a label was used but never placed');
    }
    const items = this.items.map((item) => ({ ...item }));
    const labels = [...this.labels];
    // Make fall-through explicit, so that inserting trampolines keeps "next" meaning "next".
    items.forEach((item, i) => {
      if (!isConditionalJump(item.code)) return;
      for (const key of ['jt', 'jf'] as const) {
        if (item[key] === undefined) {
          const next = new BpfLabel();
          next.at = i + 1;
          labels.push(next);
          item[key] = next;
        }
      }
    });
    relax(items, labels);
    const program = items.map((item, i): BpfInstruction => {
      const offset = (label: BpfLabel | undefined): number => {
        const distance = (label?.at ?? i + 1) - i - 1;
        if (distance < 0) throw new Error(`BPF assembler: backward jump at ${i}`);
        return distance;
      };
      if (item.ja) return bpfStmtJump(offset(item.ja));
      if (isConditionalJump(item.code)) return bpfJump(item.code, item.k, offset(item.jt), offset(item.jf));
      return bpfStmt(item.code, item.k);
    });
    const problem = checkBpf(program);
    if (problem) throw new RangeError(`BPF assembler: ${problem}`);
    return program;
  }
}

const bpfStmtJump = (offset: number): BpfInstruction => ({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: offset });

// Branch relaxation in one backward pass: a conditional branch further than 255 is aimed at a
// `ja target` within reach, an existing one if there is one, else a new one inserted right after
// the branch (fall-through targets are explicit labels by now, so they move along). Going from
// the last jump to the first keeps every decision final: an insertion after jump i moves i's
// successors and their targets together, so only jumps before i, still to be visited, change
// length. And the trampolines are ahead of the earlier jumps, so a long chain of jeq to the same
// accept label shares one trampoline per 256 instructions.
function relax(items: Pending[], labels: BpfLabel[]): void {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    if (!isConditionalJump(item.code)) continue;
    // Twice over: a trampoline inserted for jf pushes a jt target that was just in reach out of it.
    for (let pass = 0; pass < 2; pass++) {
      for (const key of ['jt', 'jf'] as const) {
        const target = item[key];
        if (target !== undefined && target.at - i - 1 > MAX_OFFSET)
          item[key] = trampoline(items, labels, i, target);
      }
    }
  }
}

const MAX_OFFSET = 255;

function trampoline(items: Pending[], labels: BpfLabel[], from: number, target: BpfLabel): BpfLabel {
  const at = (index: number): BpfLabel => {
    const label = new BpfLabel();
    label.at = index;
    labels.push(label);
    return label;
  };
  for (let t = Math.min(from + 1 + MAX_OFFSET, items.length - 1); t > from; t--) {
    if (items[t].ja === target) return at(t);
  }
  for (const label of labels) if (label.at > from) label.at++;
  items.splice(from + 1, 0, { code: BPF_JMP | BPF_JA, k: 0, ja: target });
  return at(from + 1);
}

const SIZE_SUFFIX: Record<number, string> = { [BPF_W]: '', [BPF_H]: 'h', [BPF_B]: 'b' };
const ALU_NAMES: Record<number, string> = {
  [BPF_ADD]: 'add',
  [BPF_SUB]: 'sub',
  [BPF_MUL]: 'mul',
  [BPF_DIV]: 'div',
  [BPF_OR]: 'or',
  [BPF_AND]: 'and',
  [BPF_LSH]: 'lsh',
  [BPF_RSH]: 'rsh',
  [BPF_NEG]: 'neg',
  [BPF_MOD]: 'mod',
  [BPF_XOR]: 'xor',
};
const JUMP_NAMES: Record<number, string> = {
  [BPF_JEQ]: 'jeq',
  [BPF_JGT]: 'jgt',
  [BPF_JGE]: 'jge',
  [BPF_JSET]: 'jset',
};

function operand(code: number, k: number): string {
  switch (bpfMode(code)) {
    case BPF_IMM:
      return `#0x${k.toString(16)}`;
    case BPF_ABS:
      return `[${k}]`;
    case BPF_IND:
      return `[x + ${k}]`;
    case BPF_MEM:
      return `M[${k}]`;
    case BPF_LEN:
      return '#pktlen';
    case BPF_MSH:
      return `4*([${k}]&0xf)`;
    default:
      return '?';
  }
}

function disassembleOne({ code, jt, jf, k }: BpfInstruction, pc: number): string {
  const src = bpfSrc(code) === BPF_X ? 'x' : `#0x${k.toString(16)}`;
  switch (bpfClass(code)) {
    case BPF_LD:
      return `ld${SIZE_SUFFIX[bpfSize(code)] ?? '?'} ${operand(code, k)}`;
    case BPF_LDX:
      return `ldx${bpfMode(code) === BPF_MSH ? 'b' : ''} ${operand(code, k)}`;
    case BPF_ST:
      return `st M[${k}]`;
    case BPF_STX:
      return `stx M[${k}]`;
    case BPF_ALU:
      return bpfOp(code) === BPF_NEG ? 'neg' : `${ALU_NAMES[bpfOp(code)] ?? 'alu?'} ${src}`;
    case BPF_JMP:
      if (bpfOp(code) === BPF_JA) return `ja ${pc + 1 + k}`;
      return `${JUMP_NAMES[bpfOp(code)] ?? 'j?'} ${src} jt ${pc + 1 + jt} jf ${pc + 1 + jf}`;
    case BPF_RET:
      return `ret ${(code & 0x18) === BPF_A ? 'a' : `#${k}`}`;
    default:
      return bpfOp(code) === BPF_TXA ? 'txa' : 'tax';
  }
}

/** One line per instruction, close to `tcpdump -d` (absolute jump targets). */
export function disassembleBpf(program: BpfProgram): string {
  return program.map((insn, pc) => `(${String(pc).padStart(3, '0')}) ${disassembleOne(insn, pc)}`).join('\n');
}
