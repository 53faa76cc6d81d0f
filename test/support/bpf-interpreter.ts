// A classic-BPF interpreter with the kernel's semantics for socket filters (net/core/filter.c),
// so filter programs can be checked against frames without a socket: packet loads read network
// order and a load past the end of the packet ends the program with 0 (drop), as does division by
// zero; ALU is unsigned 32-bit; jumps are relative to the next instruction. Returns the filter's
// verdict: 0 drops, n > 0 keeps the first n bytes.
import {
  BPF_A,
  BPF_ABS,
  BPF_ALU,
  BPF_B,
  BPF_H,
  BPF_IMM,
  BPF_IND,
  BPF_JMP,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_MEM,
  BPF_MISC,
  BPF_MSH,
  BPF_RET,
  BPF_ST,
  BPF_STX,
  BPF_TXA,
  BPF_X,
  type BpfProgram,
  bpfClass,
  bpfMode,
  bpfOp,
  bpfSize,
  bpfSrc,
} from '../../src/io/link/bpf';

class OutOfBounds extends Error {}

function load(packet: Uint8Array, offset: number, size: number): number {
  const width = size === BPF_B ? 1 : size === BPF_H ? 2 : 4;
  if (offset < 0 || offset + width > packet.length) throw new OutOfBounds();
  let value = 0;
  for (let i = 0; i < width; i++) value = value * 256 + packet[offset + i];
  return value >>> 0;
}

function alu(op: number, a: number, operand: number): number {
  const ops: Record<number, () => number> = {
    0x00: () => a + operand,
    0x10: () => a - operand,
    0x20: () => Math.imul(a, operand),
    0x30: () => Math.floor(a / operand),
    0x40: () => a | operand,
    0x50: () => a & operand,
    0x60: () => (operand >= 32 ? 0 : a << operand),
    0x70: () => (operand >= 32 ? 0 : a >>> operand),
    0x80: () => -a,
    0x90: () => a % operand,
    0xa0: () => a ^ operand,
  };
  if ((op === 0x30 || op === 0x90) && operand === 0) throw new OutOfBounds();
  return ops[op]() >>> 0;
}

function jumpTaken(op: number, a: number, operand: number): boolean {
  if (op === 0x10) return a === operand;
  if (op === 0x20) return a > operand;
  if (op === 0x30) return a >= operand;
  return (a & operand) !== 0;
}

export function runBpf(program: BpfProgram, packet: Uint8Array): number {
  let a = 0;
  let x = 0;
  const mem = new Uint32Array(16);
  try {
    for (let pc = 0; pc < program.length; pc++) {
      const { code, jt, jf, k } = program[pc];
      const operand = bpfSrc(code) === BPF_X ? x : k;
      switch (bpfClass(code)) {
        case BPF_LD:
          if (bpfMode(code) === BPF_ABS) a = load(packet, k, bpfSize(code));
          else if (bpfMode(code) === BPF_IND) a = load(packet, x + k, bpfSize(code));
          else if (bpfMode(code) === BPF_LEN) a = packet.length;
          else if (bpfMode(code) === BPF_MEM) a = mem[k];
          else if (bpfMode(code) === BPF_IMM) a = k;
          break;
        case BPF_LDX:
          if (bpfMode(code) === BPF_MSH) x = (load(packet, k, BPF_B) & 0xf) * 4;
          else if (bpfMode(code) === BPF_LEN) x = packet.length;
          else if (bpfMode(code) === BPF_MEM) x = mem[k];
          else x = k;
          break;
        case BPF_ST:
          mem[k] = a;
          break;
        case BPF_STX:
          mem[k] = x;
          break;
        case BPF_ALU:
          a = alu(bpfOp(code), a, operand);
          break;
        case BPF_JMP:
          if (bpfOp(code) === 0x00) pc += k;
          else pc += jumpTaken(bpfOp(code), a, operand) ? jt : jf;
          break;
        case BPF_RET:
          return (code & 0x18) === BPF_A ? a : k;
        case BPF_MISC:
          if (bpfOp(code) === BPF_TXA) a = x;
          else x = a;
          break;
      }
    }
  } catch (error) {
    if (error instanceof OutOfBounds) return 0;
    throw error;
  }
  throw new Error('BPF interpreter: fell off the end of the program');
}
