/**
 * Differential test generator: straight-line sequences of user-mode integer instructions over
 * random register, flag and memory state, as NASM text. Deterministic from a seed.
 *
 * Conventions that keep every access inside the 2 KiB memory block (so qemu-i386 never
 * segfaults): EBP points into the block and is never written (except by balanced
 * enter/leave, pusha/popa); ESP starts near the block's top; memory operands are [ebp+disp8],
 * absolute [BLK+n], [ebp+esi*k+disp] right after `and esi, 0x7f`, or 16-bit addressed
 * ([bp+si+d], [bx+di+d], …: the block lies below 64 KiB) after similar setup.
 *
 * Each instruction carries the flags it defines and the flags the SDM leaves undefined; the
 * comparison masks the flags left undefined at the end of the sequence. Instructions that read
 * flags are preceded by a defining `cmp` whenever some flag is undefined at that point.
 *
 * Not generated: cmpxchg8b — qemu-i386 7.2 aborts on some sequences ending in it (assertion
 * `IOPL(dc) == iopl` in i386_tr_init_disas_context); it is covered by unit tests instead.
 */

/** Below 64 KiB so 16-bit addressing (0x67) reaches it too; qemu-i386 maps .bss there. */
export const BLK = 0x00008000;
export const BLK_SIZE = 2048;
export const EBP_OFF = 768;
export const ESP_OFF = 1984;

const C = 0x1;
const P = 0x4;
const A = 0x10;
const Z = 0x40;
const S = 0x80;
const O = 0x800;
const D = 0x400;
const ALL = C | P | A | Z | S | O;
/** Flags compared: the arithmetic ones and DF. */
export const COMPARED_FLAGS = ALL | D;

/** Small seeded PRNG (mulberry32): the tests need randomness but must be reproducible. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  int(n: number): number {
    return this.u32() % n;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }
}

/** xorshift32 used by the harness (in asm) and by us to fill the memory block. */
export function fillBlock(seed: number, out: Uint8Array): void {
  let x = seed >>> 0 || 1;
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let i = 0; i < out.length; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    dv.setUint32(i, x, true);
  }
}

export interface DiffCase {
  index: number;
  /** Seed of the memory block contents. */
  memSeed: number;
  /** Initial EAX..EDI (ESP and EBP are fixed by convention). */
  regs: number[];
  /** Initial EFLAGS (arithmetic flags and DF only). */
  flags: number;
  lines: string[];
  /** Flags whose final value is SDM-undefined for this sequence. */
  undef: number;
}

interface Ins {
  text: string;
  /** Flags written with defined values. */
  def: number;
  /** Flags written with SDM-undefined values. */
  undef: number;
  /** Reads arithmetic flags. */
  reads?: boolean;
  /** Setup lines emitted first (their flag effects are given in pre). */
  pre?: Ins[];
}

const R32 = ['eax', 'ecx', 'edx', 'ebx', 'esi', 'edi'];
const R16 = ['ax', 'cx', 'dx', 'bx', 'si', 'di'];
const R8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
const SRC32 = [...R32, 'ebp', 'esp'];
const SRC16 = [...R16, 'bp', 'sp'];
const SIZES = ['byte', 'word', 'dword'];
const CONDS = ['o', 'no', 'b', 'ae', 'e', 'ne', 'be', 'a', 's', 'ns', 'p', 'np', 'l', 'ge', 'le', 'g'];

function reg(rng: Rng, size: number, src = false): string {
  if (size === 0) return rng.pick(R8);
  if (size === 1) return rng.pick(src ? SRC16 : R16);
  return rng.pick(src ? SRC32 : R32);
}

function immOf(rng: Rng, size: number): string {
  const v = rng.chance(0.3) ? rng.pick([0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff]) : rng.u32();
  const m = size === 0 ? 0xff : size === 1 ? 0xffff : 0xffffffff;
  return '0x' + ((v & m) >>> 0).toString(16);
}

/** A memory operand, with the setup it needs (masking an index register) as a pre instruction. */
function mem(rng: Rng, size: number): { text: string; pre?: Ins } {
  const sz = SIZES[size];
  const seg = rng.chance(0.1) ? rng.pick(['ds:', 'ss:', 'es:']) : '';
  const k = rng.int(12);
  const d = rng.int(240) - 120;
  const disp = (v: number) => `${v < 0 ? '-' : '+'}${Math.abs(v)}`;
  if (k < 6) return { text: `${sz} [${seg}ebp${disp(d)}]` };
  if (k < 8) {
    const o = rng.int(BLK_SIZE - 64);
    return { text: `${sz} [${seg}0x${(BLK + o).toString(16)}]` };
  }
  const maskEsi: Ins = { text: 'and esi, 0x7f', def: C | P | Z | S | O, undef: A };
  if (k < 10) {
    const scale = rng.pick([1, 2, 4]);
    return { text: `${sz} [${seg}ebp+esi*${scale}${disp(rng.int(100) - 50)}]`, pre: maskEsi };
  }
  // 16-bit addressing (0x67 prefix): BP points into the block, SI/DI are masked or set from EBP.
  const form = rng.int(5);
  const d16 = disp(rng.int(100) - 50);
  switch (form) {
    case 0:
      return { text: `${sz} [${seg}bp+si${d16}]`, pre: maskEsi };
    case 1:
      return { text: `${sz} [${seg}bp+di${d16}]`, pre: { text: 'and edi, 0x7f', def: C | P | Z | S | O, undef: A } };
    case 2:
      return { text: `${sz} [${seg}bp${d16}]` };
    case 3:
      return { text: `${sz} [${seg}si${d16}]`, pre: { text: `lea esi, [ebp${disp(rng.int(200) - 100)}]`, def: 0, undef: 0 } };
    default:
      return {
        text: `${sz} [${seg}bx+di${d16}]`,
        pre: { text: `lea ebx, [ebp${disp(rng.int(200) - 100)}]\nand edi, 0x7f`, def: C | P | Z | S | O, undef: A },
      };
  }
}

/** r/m operand: register or memory. */
function rm(rng: Rng, size: number): { text: string; pre?: Ins; isMem: boolean } {
  if (rng.chance(0.5)) return { text: reg(rng, size), isMem: false };
  return { ...mem(rng, size), isMem: true };
}

function withPre(ins: Ins, ...pre: (Ins | undefined)[]): Ins {
  const p = pre.filter((x): x is Ins => x !== undefined);
  return p.length ? { ...ins, pre: [...p, ...(ins.pre ?? [])] } : ins;
}

const ALU = ['add', 'or', 'adc', 'sbb', 'and', 'sub', 'xor', 'cmp'];

function genAlu(rng: Rng): Ins {
  const op = rng.pick(ALU);
  const size = rng.int(3);
  const logic = op === 'and' || op === 'or' || op === 'xor';
  const flags = { def: logic ? ALL & ~A : ALL, undef: logic ? A : 0, reads: op === 'adc' || op === 'sbb' };
  const lock = op !== 'cmp' && rng.chance(0.15) ? 'lock ' : '';
  switch (rng.int(5)) {
    case 0: {
      const m = mem(rng, size);
      return withPre({ text: `${lock}${op} ${m.text}, ${reg(rng, size, true)}`, ...flags }, m.pre);
    }
    case 1: {
      const m = rm(rng, size);
      return withPre({ text: `${op} ${reg(rng, size)}, ${m.text}`, ...flags }, m.pre);
    }
    case 2: {
      const m = mem(rng, size);
      return withPre({ text: `${lock}${op} ${m.text}, ${immOf(rng, size)}`, ...flags }, m.pre);
    }
    case 3: {
      // imm8 sign-extended form (83 /r) and the short accumulator forms
      const r = size === 0 ? 'al' : rng.chance(0.5) ? reg(rng, size) : size === 1 ? 'ax' : 'eax';
      const v = rng.int(256) - 128;
      return { text: `${op} ${r}, ${size === 0 ? v & 0xff : v}`, ...flags };
    }
    default:
      return { text: `${op} ${reg(rng, size)}, ${reg(rng, size, true)}`, ...flags };
  }
}

function genUnary(rng: Rng): Ins {
  const size = rng.int(3);
  const m = rm(rng, size);
  const op = rng.pick(['inc', 'dec', 'neg', 'not']);
  const lock = m.isMem && rng.chance(0.2) ? 'lock ' : '';
  const def = op === 'not' ? 0 : op === 'neg' ? ALL : ALL & ~C;
  return withPre({ text: `${lock}${op} ${m.text}`, def, undef: 0 }, m.pre);
}

function genTest(rng: Rng): Ins {
  const size = rng.int(3);
  const m = rm(rng, size);
  const src = rng.chance(0.5) ? reg(rng, size, true) : immOf(rng, size);
  return withPre({ text: `test ${m.text}, ${src}`, def: ALL & ~A, undef: A }, m.pre);
}

function genShift(rng: Rng): Ins {
  const op = rng.pick(['shl', 'shr', 'sar', 'sal', 'rol', 'ror', 'rcl', 'rcr']);
  const size = rng.int(3);
  const bits = 8 << size;
  const m = rm(rng, size);
  const form = rng.int(3);
  const count = form === 0 ? 1 : rng.chance(0.8) ? rng.int(32) : rng.int(256);
  const masked = count & 0x1f;
  const text = form === 0 ? `${op} ${m.text}, 1` : form === 1 ? `${op} ${m.text}, ${count}` : `${op} ${m.text}, cl`;
  const pre: Ins[] = [];
  if (m.pre) pre.push(m.pre);
  if (form === 2) pre.push({ text: `mov cl, ${count}`, def: 0, undef: 0 });
  let def = 0;
  let undef = 0;
  const rot = op === 'rol' || op === 'ror' || op === 'rcl' || op === 'rcr';
  if (masked !== 0) {
    if (rot) {
      const eff = op === 'rcl' || op === 'rcr' ? (size === 2 ? masked : masked % (bits + 1)) : masked;
      if (eff !== 0) def = C;
      if (masked === 1) def |= O;
      else undef |= O;
    } else {
      def = C | S | Z | P;
      undef = A;
      if (masked === 1) def |= O;
      else undef |= O;
      if ((op === 'shl' || op === 'sal' || op === 'shr') && masked >= bits) {
        def &= ~C;
        undef |= C;
      }
    }
  }
  return { text, def, undef, reads: op === 'rcl' || op === 'rcr', pre };
}

function genShiftDouble(rng: Rng): Ins {
  const op = rng.pick(['shld', 'shrd']);
  const size = 1 + rng.int(2);
  const bits = 8 << size;
  const m = rm(rng, size);
  const count = rng.int(size === 1 ? 17 : 32);
  const useCl = rng.chance(0.5);
  const src = reg(rng, size, true);
  if (useCl && (src === 'cx' || src === 'ecx' || m.text === 'cx' || m.text === 'ecx')) return genShiftDouble(rng);
  const pre: Ins[] = [];
  if (m.pre) pre.push(m.pre);
  if (useCl) pre.push({ text: `mov cl, ${count}`, def: 0, undef: 0 });
  let def = 0;
  let undef = 0;
  if (count !== 0) {
    def = C | S | Z | P;
    undef = A;
    if (count === 1) def |= O;
    else undef |= O;
  }
  void bits;
  return { text: `${op} ${m.text}, ${src}, ${useCl ? 'cl' : count}`, def, undef, pre };
}

function genMul(rng: Rng): Ins {
  const size = rng.int(3);
  const flags = { def: C | O, undef: S | Z | A | P };
  const k = rng.int(4);
  if (k === 0 || size === 0) {
    const m = rm(rng, size);
    return withPre({ text: `${rng.pick(['mul', 'imul'])} ${m.text}`, ...flags }, m.pre);
  }
  const m = rm(rng, size);
  if (k === 1) return withPre({ text: `imul ${reg(rng, size)}, ${m.text}`, ...flags }, m.pre);
  const imm = k === 2 ? rng.int(256) - 128 : immOf(rng, size);
  return withPre({ text: `imul ${reg(rng, size)}, ${m.text}, ${imm}`, ...flags }, m.pre);
}

/** div/idiv with setup that rules out #DE (qemu-user would die of SIGFPE). */
function genDiv(rng: Rng): Ins {
  const size = rng.int(3);
  const signed = rng.chance(0.5);
  const divisor = [['cl', 'bl', 'dh', 'bh'], ['cx', 'bx', 'si', 'di'], ['ecx', 'ebx', 'esi', 'edi']][size];
  const d = rng.pick(divisor);
  const pre: Ins[] = [];
  const setDiv = { text: `or ${d}, ${signed ? 2 : 1}`, def: ALL & ~A, undef: A };
  // Signed: an even divisor with bit 1 set has |divisor| >= 2 (never -1), so no quotient overflow.
  const even = { text: `and ${d}, ${['0xfe', '0xfffe', '0xfffffffe'][size]}`, def: ALL & ~A, undef: A };
  if (signed) {
    pre.push({ text: ['cbw', 'cwd', 'cdq'][size], def: 0, undef: 0 });
  } else if (size === 0) {
    pre.push({ text: 'movzx eax, al', def: 0, undef: 0 });
  } else {
    pre.push({ text: size === 1 ? 'xor dx, dx' : 'xor edx, edx', def: ALL & ~A, undef: A });
  }
  pre.push(setDiv);
  if (signed) pre.push(even);
  if (signed) {
    // |divisor| >= 2 keeps the quotient in range for a sign-extended dividend.
    return { text: `idiv ${d}`, def: 0, undef: ALL, pre };
  }
  return { text: `div ${d}`, def: 0, undef: ALL, pre };
}

function genBit(rng: Rng): Ins {
  const op = rng.pick(['bt', 'bts', 'btr', 'btc']);
  const size = 1 + rng.int(2);
  const flags = { def: C, undef: O | S | A | P };
  const lock = op !== 'bt' && rng.chance(0.2) ? 'lock ' : '';
  if (rng.chance(0.5)) {
    const m = rm(rng, size);
    return withPre({ text: `${m.isMem ? lock : ''}${op} ${m.text}, ${rng.int(256)}`, ...flags }, m.pre);
  }
  if (rng.chance(0.5)) return { text: `${op} ${reg(rng, size)}, ${reg(rng, size, true)}`, ...flags };
  // memory with a register bit offset: keep the offset small (signed) so the access stays in the block
  const m = mem(rng, size);
  if (m.pre) return genBit(rng); // the offset register must not be clobbered by the operand's setup
  const r = rng.pick(size === 1 ? ['cx', 'dx', 'bx'] : ['ecx', 'edx', 'ebx']);
  return withPre(
    { text: `${lock}${op} ${m.text}, ${r}`, ...flags },
    { text: `and ${r}, 0x1ff`, def: ALL & ~A, undef: A },
    { text: `sub ${r}, 0x100`, def: ALL, undef: 0 },
    m.pre,
  );
}

function genBsf(rng: Rng): Ins {
  const size = 1 + rng.int(2);
  const m = rm(rng, size);
  return withPre({ text: `${rng.pick(['bsf', 'bsr'])} ${reg(rng, size)}, ${m.text}`, def: Z, undef: C | O | S | A | P }, m.pre);
}

function genCond(rng: Rng): Ins {
  const cc = rng.pick(CONDS);
  if (rng.chance(0.5)) {
    const m = rm(rng, 0);
    return withPre({ text: `set${cc} ${m.text}`, def: 0, undef: 0, reads: true }, m.pre);
  }
  const size = 1 + rng.int(2);
  const m = rm(rng, size);
  return withPre({ text: `cmov${cc} ${reg(rng, size)}, ${m.text}`, def: 0, undef: 0, reads: true }, m.pre);
}

function genMove(rng: Rng): Ins {
  const none = { def: 0, undef: 0 };
  switch (rng.int(8)) {
    case 0: {
      const size = rng.int(3);
      const m = rm(rng, size);
      return withPre(rng.chance(0.5) ? { text: `mov ${reg(rng, size)}, ${m.text}`, ...none } : { text: `mov ${m.isMem ? m.text : reg(rng, size)}, ${rng.chance(0.5) ? reg(rng, size, true) : immOf(rng, size)}`, ...none }, m.pre);
    }
    case 1: {
      const ss = rng.int(2);
      const m = rm(rng, ss);
      const ds = ss + 1 + rng.int(2 - ss);
      return withPre({ text: `${rng.pick(['movzx', 'movsx'])} ${reg(rng, ds)}, ${m.text}`, ...none }, m.pre);
    }
    case 2: {
      const size = 1 + rng.int(2);
      const base = rng.pick([...SRC32, '']);
      const idx = rng.pick([...R32, 'ebp', '']);
      const parts = [base, idx ? `${idx}*${rng.pick([1, 2, 4, 8])}` : '', `${rng.u32() | 0}`].filter((x) => x);
      return { text: `lea ${reg(rng, size)}, [${parts.join('+').replace(/\+-/g, '-')}]`, ...none };
    }
    case 3: {
      const size = rng.int(3);
      const m = rm(rng, size);
      const lock = m.isMem && rng.chance(0.3) ? 'lock ' : '';
      return withPre({ text: `${lock}xchg ${m.text}, ${reg(rng, size)}`, ...none }, m.pre);
    }
    case 4:
      return { text: `bswap ${reg(rng, 2)}`, ...none };
    case 5: {
      const size = rng.int(3);
      const m = rm(rng, size);
      const lock = m.isMem && rng.chance(0.3) ? 'lock ' : '';
      return withPre({ text: `${lock}xadd ${m.text}, ${reg(rng, size)}`, def: ALL, undef: 0 }, m.pre);
    }
    case 6: {
      const size = rng.int(3);
      const m = rm(rng, size);
      const lock = m.isMem && rng.chance(0.3) ? 'lock ' : '';
      const r = reg(rng, size);
      // half the time make the compare succeed
      const pre: Ins[] = [];
      if (rng.chance(0.5) && !m.text.includes('esi') && !/^(e?ax|al|ah)$/.test(m.text)) {
        pre.push({ text: `mov ${['al', 'ax', 'eax'][size]}, ${m.text}`, def: 0, undef: 0 });
      }
      return withPre({ text: `${lock}cmpxchg ${m.text}, ${r}`, def: ALL, undef: 0, pre }, m.pre);
    }
    default:
      return { text: rng.pick(['cbw', 'cwde', 'cwd', 'cdq', 'nop', 'pause']), ...none };
  }
}

function genStack(rng: Rng): Ins {
  const none = { def: 0, undef: 0 };
  switch (rng.int(7)) {
    case 0:
      return { text: `push ${reg(rng, 1 + rng.int(2), true)}`, ...none };
    case 1:
      return { text: `pop ${reg(rng, 1 + rng.int(2))}`, ...none };
    case 2:
      return { text: rng.chance(0.5) ? `push dword ${immOf(rng, 2)}` : `push word ${rng.int(65536)}`, ...none };
    case 3: {
      const size = 1 + rng.int(2);
      const m = mem(rng, size);
      return withPre({ text: `${rng.pick(['push', 'pop'])} ${m.text}`, ...none }, m.pre);
    }
    case 4:
      return { text: rng.chance(0.5) ? 'pushad\npopad' : 'pushaw\npopaw', ...none };
    case 5: {
      const lvl = rng.int(4);
      return { text: `enter ${rng.int(64)}, ${lvl}\nleave`, ...none };
    }
    default:
      return { text: `push ${reg(rng, 2, true)}\npop ${reg(rng, 2)}`, ...none };
  }
}

/**
 * Segment registers hold Linux's user selectors under qemu-i386 (CS 0x23; DS/ES/SS/GS 0x2b;
 * FS 0): the harness sets ours the same, with a matching GDT. Only those values are loaded.
 */
function genSegment(rng: Rng): Ins {
  const none = { def: 0, undef: 0 };
  const data = ['ds', 'es', 'ss', 'gs'];
  const o16 = rng.chance(0.3) ? 'o16 ' : '';
  switch (rng.int(5)) {
    case 0:
      return { text: `${o16}push ${rng.pick([...data, 'cs', 'fs'])}\n${o16}pop ${o16 ? rng.pick(R16) : rng.pick(R32)}`, ...none };
    case 1:
      return { text: `${o16}push ${rng.pick(data)}\n${o16}pop ${rng.pick(data)}`, ...none };
    case 2:
      return { text: `mov ${rng.pick([...R16, ...R32])}, ${rng.pick([...data, 'cs', 'fs'])}`, ...none };
    case 3: {
      const r = rng.pick(['ax', 'cx', 'dx', 'bx', 'si', 'di']);
      return { text: `mov ${r}, 0x2b\nmov ${rng.pick(data)}, ${r}`, ...none };
    }
    default: {
      const d = rng.int(200) - 100;
      const at = (k: number) => `[ebp${d + k < 0 ? '-' : '+'}${Math.abs(d + k)}]`;
      const op = rng.pick(['les', 'lds', 'lss', 'lgs']);
      const r = rng.pick(R32);
      return { text: `mov word ${at(4)}, 0x2b\n${op} ${r}, ${at(0)}`, ...none };
    }
  }
}

function genFlags(rng: Rng): Ins {
  switch (rng.int(7)) {
    case 0:
      return { text: `push dword 0x${(rng.u32() & (ALL | D)).toString(16)}\npopfd`, def: ALL, undef: 0 };
    case 1:
      return { text: 'pushfd\npop eax', def: 0, undef: 0, reads: true };
    case 2:
      return { text: 'lahf', def: 0, undef: 0, reads: true };
    case 3:
      return { text: 'sahf', def: C | P | A | Z | S, undef: 0 };
    case 4:
      return { text: rng.pick(['clc', 'stc']), def: C, undef: 0 };
    case 5:
      return { text: 'cmc', def: C, undef: 0, reads: true };
    default:
      return { text: rng.pick(['cld', 'std']), def: 0, undef: 0 };
  }
}

function genString(rng: Rng): Ins {
  const op = rng.pick(['movs', 'stos', 'lods', 'cmps', 'scas']);
  const size = rng.int(3);
  const suffix = 'bwd'[size];
  const rep = op === 'cmps' || op === 'scas' ? rng.pick(['', 'repe ', 'repne ']) : rng.pick(['', 'rep ']);
  const pre: Ins[] = [
    { text: `lea esi, [ebp+${rng.int(200) - 100}]`, def: 0, undef: 0 },
    { text: `lea edi, [ebp+${rng.int(200) - 100}]`, def: 0, undef: 0 },
    // at least one iteration, so cmps/scas always define the flags
    { text: `mov ecx, ${1 + rng.int(19)}`, def: 0, undef: 0 },
  ];
  if (rng.chance(0.3)) pre.push({ text: rng.pick(['cld', 'std']), def: 0, undef: 0 });
  if (op === 'scas' && rng.chance(0.5)) pre.push({ text: `mov al, [ebp+${rng.int(50)}]`, def: 0, undef: 0 });
  const flags = op === 'cmps' || op === 'scas' ? { def: ALL, undef: 0 } : { def: 0, undef: 0 };
  const seg = op === 'movs' || op === 'lods' || op === 'cmps' ? (rng.chance(0.2) ? 'ss ' : '') : '';
  // a16: SI/DI/CX instead of ESI/EDI/ECX (the block is below 64 KiB, so SI/DI still point into it)
  const a16 = rng.chance(0.2) ? 'a16 ' : '';
  return { text: `${a16}${seg}${rep}${op}${suffix}`, ...flags, pre };
}

function genBcd(rng: Rng): Ins {
  const op = rng.pick(['daa', 'das', 'aaa', 'aas', 'aam', 'aad']);
  switch (op) {
    case 'daa':
    case 'das':
      return { text: op, def: C | A | S | Z | P, undef: O, reads: true };
    case 'aaa':
    case 'aas':
      return { text: op, def: A | C, undef: O | S | Z | P, reads: true };
    default:
      return { text: `${op} ${1 + rng.int(255)}`, def: S | Z | P, undef: O | A | C };
  }
}

/** Labels are unique within a generated file: case index + a counter. */
let labelPrefix = '';
let labelSeq = 0;

/** Forward branches over one instruction: jcc (short and near), jmp, loop/loopz/loopnz, jecxz. */
function genBranch(rng: Rng): Ins {
  const label = `${labelPrefix}${labelSeq++}`;
  const filler = rng.pick(['inc eax', 'not ebx', 'add esi, 7', 'xor edx, 0x55aa', 'dec edi']);
  const k = rng.int(4);
  if (k === 0) {
    const undef = filler.startsWith('xor') ? A : 0;
    return { text: `${rng.pick(['loop', 'loopz', 'loopnz', 'jecxz'])} ${label}\n${filler}\n${label}:`, def: 0, undef, reads: true };
  }
  if (k === 1) return { text: `jmp ${rng.pick(['short ', 'near '])}${label}\n${filler}\n${label}:`, def: 0, undef: 0 };

  // The filler may be skipped; its flags are all defined except xor's AF, marked undefined.
  const undef = filler.startsWith('xor') ? A : 0;
  return { text: `j${rng.pick(CONDS)} ${rng.pick(['short ', 'near '])}${label}\n${filler}\n${label}:`, def: 0, undef, reads: true };
}

/** Rarer encodings: arpl, bound (always in range), push imm8, multi-byte nop, 16-bit lea, salc. */
function genMisc(rng: Rng): Ins {
  const none = { def: 0, undef: 0 };
  switch (rng.int(6)) {
    case 0: {
      const m = rm(rng, 1);
      return withPre({ text: `arpl ${m.text.replace(/^word /, 'word ')}, ${rng.pick(R16)}`, def: Z, undef: 0 }, m.pre);
    }
    case 1: {
      const d = rng.int(200) - 100;
      const at = (k: number) => `[ebp${d + k < 0 ? '-' : '+'}${Math.abs(d + k)}]`;
      const o16 = rng.chance(0.3);
      const text = o16
        ? `mov word ${at(0)}, 0x8000\nmov word ${at(2)}, 0x7fff\nbound ${rng.pick(R16)}, ${at(0)}`
        : `mov dword ${at(0)}, 0x80000000\nmov dword ${at(4)}, 0x7fffffff\nbound ${rng.pick(R32)}, ${at(0)}`;
      return { text, ...none };
    }
    case 2:
      return { text: `push byte ${rng.int(256) - 128}\npop ${rng.pick(R32)}`, ...none };
    case 3:
      return { text: rng.pick(['nop dword [eax]', 'nop word [eax+eax*1+0x10]', 'nop eax']), ...none };
    case 4: {
      const base = rng.pick(['bx+si', 'bx+di', 'bp+si', 'bp+di', 'si', 'di', 'bp', 'bx']);
      return { text: `lea ${reg(rng, 1 + rng.int(2))}, [${base}+${rng.int(0x10000)}]`, ...none };
    }
    default:
      return { text: 'salc', def: 0, undef: 0, reads: true };
  }
}

function genXlat(rng: Rng): Ins {
  return { text: 'xlatb', def: 0, undef: 0, pre: [{ text: `lea ebx, [ebp-${rng.int(128)}]`, def: 0, undef: 0 }] };
}

const GENERATORS: [number, (rng: Rng) => Ins][] = [
  [20, genAlu],
  [6, genUnary],
  [4, genTest],
  [12, genShift],
  [5, genShiftDouble],
  [6, genMul],
  [4, genDiv],
  [5, genBit],
  [3, genBsf],
  [6, genCond],
  [12, genMove],
  [5, genStack],
  [5, genFlags],
  [5, genString],
  [3, genBcd],
  [1, genXlat],
  [6, genBranch],
  [3, genSegment],
  [3, genMisc],
];
const TOTAL_WEIGHT = GENERATORS.reduce((a, [w]) => a + w, 0);

function genOne(rng: Rng): Ins {
  let k = rng.int(TOTAL_WEIGHT);
  for (const [w, g] of GENERATORS) {
    if (k < w) return g(rng);
    k -= w;
  }
  return genAlu(rng);
}

function randomReg(rng: Rng): number {
  return rng.chance(0.2) ? rng.pick([0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xff, 0x80, 0x8000, 0xffff]) : rng.u32();
}

/** Case `index` of the stream with `seed`. */
export function generateCase(seed: number, index: number): DiffCase {
  const rng = new Rng((seed * 0x9e3779b1 + index * 0x85ebca6b + 1) >>> 0);
  labelPrefix = `L${index}_`;
  labelSeq = 0;
  const regs = [0, 1, 2, 3, 4, 5].map(() => randomReg(rng));
  const flags = (rng.u32() & ALL) | (rng.chance(0.1) ? D : 0);
  const n = 1 + rng.int(6);
  const lines: string[] = [];
  let undef = 0;
  const emit = (ins: Ins) => {
    for (const p of ins.pre ?? []) emit(p);
    if (ins.reads && undef) {
      const a = rng.pick(R32);
      lines.push(`cmp ${a}, ${rng.pick(R32)}`);
      undef = 0;
    }
    lines.push(...ins.text.split('\n'));
    undef = (undef & ~ins.def) | ins.undef;
  };
  for (let i = 0; i < n; i++) emit(genOne(rng));
  return { index, memSeed: rng.u32() | 1, regs: regs.map((r) => r >>> 0), flags, lines, undef };
}
