// The classic-BPF encoding and assembler: byte layout of struct sock_filter, jump offsets, and
// branch relaxation past the 8-bit jump range, checked by running programs in the interpreter.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BPF_ABS,
  BPF_B,
  BPF_H,
  BPF_JEQ,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_MAXINSNS,
  BPF_RET,
  BPF_W,
  BpfAssembler,
  bpfJump,
  bpfStmt,
  checkBpf,
  decodeBpf,
  disassembleBpf,
  encodeBpf,
  isConditionalJump,
} from '../../../src/io/link/bpf';
import { acceptAll, dropAll } from '../../../src/io/link/bpf-filter';
import { runBpf } from '../../support/bpf-interpreter';

describe('encodeBpf', () => {
  test('writes struct sock_filter: u16 code, u8 jt, u8 jf, u32 k, host order', () => {
    const program = [bpfStmt(BPF_LD | BPF_H | BPF_ABS, 12), bpfJump(BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, 1, 2)];
    assert.deepEqual(
      encodeBpf(program, true),
      Buffer.from('28000000' + '0c000000' + '15000102' + 'dd860000', 'hex'),
    );
    assert.deepEqual(
      encodeBpf(program, false),
      Buffer.from('00280000' + '0000000c' + '00150102' + '000086dd', 'hex'),
    );
  });

  test('host order is what this machine uses (little-endian on x64/arm64/armv7)', () => {
    const hostLittle = new Uint16Array(new Uint8Array([1, 0]).buffer)[0] === 1;
    assert.deepEqual(encodeBpf(acceptAll(0x40000)), encodeBpf(acceptAll(0x40000), hostLittle));
  });

  test('decode inverts encode, k kept unsigned', () => {
    const program = [
      bpfStmt(BPF_LD | BPF_W | BPF_ABS, 30),
      bpfJump(BPF_JMP | BPF_JEQ, 0xfe800000, 0, 1),
      bpfStmt(BPF_RET, -1),
    ];
    assert.deepEqual(decodeBpf(encodeBpf(program)), [
      program[0],
      program[1],
      { ...program[2], k: 0xffffffff },
    ]);
    assert.throws(() => decodeBpf(Buffer.alloc(9)), RangeError);
  });

  test('acceptAll and dropAll are single returns', () => {
    assert.equal(runBpf(acceptAll(), Buffer.alloc(60)), 0x40000);
    assert.equal(runBpf(acceptAll(128), Buffer.alloc(60)), 128);
    assert.equal(runBpf(dropAll(), Buffer.alloc(60)), 0);
    assert.equal(encodeBpf(dropAll()).length, 8);
  });
});

describe('checkBpf', () => {
  test('accepts a well-formed program and names what is wrong otherwise', () => {
    assert.equal(checkBpf(acceptAll()), undefined);
    assert.match(checkBpf([]) ?? '', /length 0/);
    assert.match(checkBpf([bpfStmt(BPF_LD | BPF_B | BPF_ABS, 0)]) ?? '', /not a return/);
    assert.match(
      checkBpf([bpfJump(BPF_JMP | BPF_JEQ, 1, 0, 5), bpfStmt(BPF_RET, 0)]) ?? '',
      /leaves the program/,
    );
    assert.match(
      checkBpf(Array.from({ length: BPF_MAXINSNS + 1 }, () => bpfStmt(BPF_RET, 0))) ?? '',
      /length 4097/,
    );
  });
});

describe('BpfAssembler', () => {
  test('resolves labels to offsets relative to the next instruction', () => {
    const asm = new BpfAssembler();
    const yes = asm.label();
    const no = asm.label();
    asm.ldAbs(BPF_H, 12).jeq(0x0806, yes, no).place(yes).ret(42).place(no).ret(0);
    const program = asm.assemble();
    assert.deepEqual(program[1], bpfJump(BPF_JMP | BPF_JEQ | BPF_K, 0x0806, 0, 1));
    assert.match(disassembleBpf(program), /\(001\) jeq #0x806 jt 2 jf 3/);
    const arp = Buffer.alloc(60);
    arp.writeUInt16BE(0x0806, 12);
    assert.equal(runBpf(program, arp), 42);
    assert.equal(runBpf(program, Buffer.alloc(60)), 0);
  });

  test('rejects misuse: unplaced labels, labels placed twice, backward jumps', () => {
    const unplaced = new BpfAssembler();
    unplaced.ldAbs(BPF_B, 0).jeq(1, unplaced.label()).ret(0);
    assert.throws(() => unplaced.assemble(), /never placed/);
    const twice = new BpfAssembler();
    const label = twice.label();
    twice.place(label);
    assert.throws(() => twice.place(label), /placed twice/);
    const backward = new BpfAssembler();
    const top = backward.label();
    backward.place(top).ldAbs(BPF_B, 0).jeq(1, top).ret(0);
    assert.throws(() => backward.assemble(), /backward/);
  });

  // jeq #i at instruction 2i+1 for i < count; each true branch jumps over `gap` filler loads to
  // its own return #(i+1); the false path ends in ret #0.
  function farJumps(count: number, gap: number): ReturnType<BpfAssembler['assemble']> {
    const asm = new BpfAssembler();
    const targets = Array.from({ length: count }, () => asm.label());
    asm.ldAbs(BPF_B, 0);
    targets.forEach((target, i) => asm.jeq(i, target));
    asm.ret(0);
    for (let i = 0; i < gap; i++) asm.ldAbs(BPF_B, 1);
    targets.forEach((target, i) => asm.place(target).ret(i + 1));
    return asm.assemble();
  }

  test('relaxes conditional jumps beyond 255 into trampolines, keeping the semantics', () => {
    for (const [count, gap] of [
      [3, 250],
      [3, 300],
      [40, 1000],
      [300, 10],
    ]) {
      const program = farJumps(count, gap);
      assert.equal(checkBpf(program), undefined);
      assert.ok(program.every(({ code, jt, jf }) => !isConditionalJump(code) || (jt <= 255 && jf <= 255)));
      for (let value = 0; value < Math.min(count + 2, 256); value++) {
        const expected = value < count ? value + 1 : 0;
        assert.equal(
          runBpf(program, Buffer.from([value, 0])),
          expected,
          `count ${count} gap ${gap} value ${value}`,
        );
      }
    }
  });

  test('a trampoline for jf that pushes a jt target just out of reach gets jt one too', () => {
    const asm = new BpfAssembler();
    const near = asm.label();
    const far = asm.label();
    asm.ldAbs(BPF_B, 0).jeq(1, near, far);
    for (let i = 0; i < 255; i++) asm.ldAbs(BPF_B, 1);
    asm.place(near).ret(7);
    for (let i = 0; i < 300; i++) asm.ldAbs(BPF_B, 1);
    asm.place(far).ret(9);
    const program = asm.assemble();
    assert.equal(checkBpf(program), undefined);
    assert.equal(runBpf(program, Buffer.from([1, 0])), 7);
    assert.equal(runBpf(program, Buffer.from([2, 0])), 9);
  });

  test('random programs keep their meaning through relaxation', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let round = 0; round < 60; round++) {
      // Straight-line "segments": segment s loads byte s and branches on it to two later segments
      // (or to the final returns); filler loads between segments stretch the distances.
      const segments = 2 + rand(30);
      const asm = new BpfAssembler();
      const starts = Array.from({ length: segments + 2 }, () => asm.label());
      const branches: [number, number, number][] = [];
      for (let seg = 0; seg < segments; seg++) {
        const pick = (): number => seg + 1 + rand(segments + 2 - seg - 1);
        const [t, f] = [pick(), pick()];
        const value = rand(4);
        branches.push([value, t, f]);
        asm.place(starts[seg]).ldAbs(BPF_B, seg).jeq(value, starts[t], starts[f]);
        const filler = rand(4) === 0 ? rand(300) : rand(20);
        for (let i = 0; i < filler; i++) asm.ldAbs(BPF_B, 0);
      }
      asm.place(starts[segments]).ret(1000);
      asm.place(starts[segments + 1]).ret(2000);
      const program = asm.assemble();
      assert.equal(checkBpf(program), undefined);
      for (let trial = 0; trial < 20; trial++) {
        const packet = Buffer.from(Array.from({ length: segments }, () => rand(4)));
        let seg = 0;
        while (seg < segments) {
          const [value, t, f] = branches[seg];
          seg = packet[seg] === value ? t : f;
        }
        assert.equal(runBpf(program, packet), seg === segments ? 1000 : 2000, `round ${round}`);
      }
    }
  });

  test('leaves near jumps alone: no trampolines when everything is within 255', () => {
    const program = farJumps(3, 200);
    assert.equal(program.length, 1 + 3 + 1 + 200 + 3);
  });

  test('refuses to build more than BPF_MAXINSNS instructions', () => {
    const asm = new BpfAssembler();
    for (let i = 0; i < BPF_MAXINSNS; i++) asm.ldAbs(BPF_B, 0);
    asm.ret(0);
    assert.throws(() => asm.assemble(), RangeError);
  });
});
