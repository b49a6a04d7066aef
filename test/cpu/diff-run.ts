/**
 * Differential test runner: the same generated sequences run in qemu-i386 (a static ELF32
 * harness built with nasm + ld, many cases per process) and in our CPU; results are compared.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Cpu } from '../../src/cpu/cpu';
import { BarePlatform, enterFlatProtectedMode } from '../../src/cpu/bare';
import { CS, DS, ES, FS, GS, SS } from '../../src/cpu/consts';
import { ATTR_UNUSABLE, setSegment } from '../../src/cpu/segments';
import { BLK, BLK_SIZE, COMPARED_FLAGS, DiffCase, EBP_OFF, ESP_OFF, fillBlock, generateCase } from './diff-gen';

const REG_NAMES = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const RESULT_SIZE = BLK_SIZE + 36;
const CODE_BASE = 0x100000;
const SLOT = 512;

export interface CaseResult {
  regs: number[];
  eflags: number;
  mem: Uint8Array;
}

function hex(v: number): string {
  return '0x' + (v >>> 0).toString(16);
}

function harnessSource(cases: DiffCase[]): string {
  const out: string[] = [
    'bits 32',
    'section .bss',
    'blk: resb ' + BLK_SIZE,
    'res: resb 36',
    'realesp: resd 1',
    'section .text',
    'global _start',
    '_start:',
  ];
  for (const c of cases) {
    out.push(`; case ${c.index}`, `mov eax, ${hex(c.memSeed)}`, 'call fill', `push dword ${hex(c.flags)}`, 'popfd', 'mov [realesp], esp');
    c.regs.forEach((v, i) => out.push(`mov ${REG_NAMES[i < 4 ? i : i + 2]}, ${hex(v)}`));
    out.push(`mov ebp, ${hex(BLK + EBP_OFF)}`, `mov esp, ${hex(BLK + ESP_OFF)}`);
    out.push(...c.lines);
    REG_NAMES.forEach((r, i) => out.push(`mov [res+${i * 4}], ${r}`));
    out.push('mov esp, [realesp]', 'pushfd', 'pop dword [res+32]', 'cld', 'call emit');
  }
  out.push(
    'mov eax, 1',
    'xor ebx, ebx',
    'int 0x80',
    'fill:',
    'cld',
    'mov edi, blk',
    `mov ecx, ${BLK_SIZE / 4}`,
    '.l: mov edx, eax',
    'shl edx, 13',
    'xor eax, edx',
    'mov edx, eax',
    'shr edx, 17',
    'xor eax, edx',
    'mov edx, eax',
    'shl edx, 5',
    'xor eax, edx',
    'stosd',
    'loop .l',
    'ret',
    'emit:',
    'mov eax, 4',
    'mov ebx, 1',
    'mov ecx, blk',
    `mov edx, ${RESULT_SIZE}`,
    'int 0x80',
    'ret',
  );
  return out.join('\n') + '\n';
}

/** Run the cases under qemu-i386. */
export function runQemu(cases: DiffCase[], dir: string): CaseResult[] {
  const src = path.join(dir, 'h.asm');
  const obj = path.join(dir, 'h.o');
  const exe = path.join(dir, 'h');
  fs.writeFileSync(src, harnessSource(cases));
  execFileSync('nasm', ['-f', 'elf32', '-o', obj, src], { stdio: ['ignore', 'ignore', 'pipe'] });
  execFileSync('ld', ['-m', 'elf_i386', '-static', `-Tbss=${hex(BLK)}`, '-o', exe, obj], { stdio: ['ignore', 'ignore', 'pipe'] });
  const stdout = execFileSync('qemu-i386', [exe], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
  if (stdout.length !== cases.length * RESULT_SIZE) {
    throw new Error(`qemu-i386 produced ${stdout.length} bytes, expected ${cases.length * RESULT_SIZE}`);
  }
  return cases.map((_, k) => {
    const o = k * RESULT_SIZE;
    const mem = new Uint8Array(stdout.subarray(o, o + BLK_SIZE));
    const dv = new DataView(stdout.buffer, stdout.byteOffset + o + BLK_SIZE, 36);
    const regs = REG_NAMES.map((_r, i) => dv.getUint32(i * 4, true));
    return { regs, eflags: dv.getUint32(32, true), mem };
  });
}

/** Assemble every case's sequence into one flat image, case k at CODE_BASE + k*SLOT. */
function assembleSequences(cases: DiffCase[], dir: string): Uint8Array {
  const src = path.join(dir, 's.asm');
  const out = path.join(dir, 's.bin');
  const lines = ['bits 32', `org ${hex(CODE_BASE)}`];
  cases.forEach((c, k) => {
    lines.push(`; case ${c.index}`, ...c.lines, `times ${(k + 1) * SLOT} - ($ - $$) db 0xf4`);
  });
  fs.writeFileSync(src, lines.join('\n') + '\n');
  execFileSync('nasm', ['-f', 'bin', '-o', out, src], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Uint8Array(fs.readFileSync(out));
}

const GDT = 0x1000;

/** The selectors a Linux i386 process sees (CS 0x23, data 0x2b, FS null), with a matching GDT. */
export function linuxUserSegments(cpu: Cpu): void {
  const gdt = new Uint8Array(8 * 6);
  const dv = new DataView(gdt.buffer);
  dv.setUint32(4 * 8, 0x0000ffff, true);
  dv.setUint32(4 * 8 + 4, 0x00cffb00, true); // 0x23: code, DPL 3
  dv.setUint32(5 * 8, 0x0000ffff, true);
  dv.setUint32(5 * 8 + 4, 0x00cff300, true); // 0x2b: data, DPL 3
  (cpu.platform as BarePlatform).bus.load(GDT, gdt);
  cpu.gdtrBase = GDT;
  cpu.gdtrLimit = gdt.length - 1;
  setSegment(cpu, CS, 0x23, 0, 0xffffffff, 0xc0fb);
  for (const s of [ES, SS, DS, GS]) setSegment(cpu, s, 0x2b, 0, 0xffffffff, 0xc0f3);
  setSegment(cpu, FS, 0, 0, 0, ATTR_UNUSABLE);
}

/** Run the cases in our CPU (ring 3, flat segments, like a Linux process under qemu-user). */
export function runOurs(cases: DiffCase[], dir: string): (CaseResult | string)[] {
  const image = assembleSequences(cases, dir);
  const p = new BarePlatform(8 << 20);
  p.intercept = () => true;
  const cpu = new Cpu(p);
  p.bus.load(CODE_BASE, image);
  const blk = new Uint8Array(BLK_SIZE);
  return cases.map((c, k) => {
    fillBlock(c.memSeed, blk);
    p.bus.load(BLK, blk);
    enterFlatProtectedMode(cpu, CODE_BASE + k * SLOT, BLK + ESP_OFF, 3);
    linuxUserSegments(cpu);
    c.regs.forEach((v, i) => (cpu.r[i < 4 ? i : i + 2] = v));
    cpu.r[5] = BLK + EBP_OFF;
    cpu.setEflags(c.flags | 0x202);
    const r = cpu.run(100000);
    const atHlt = p.bus.bytes[cpu.eip >>> 0] === 0xf4;
    if (r.stop !== 'intercept' || r.event?.vector !== 13 || !atHlt) {
      return `stopped with ${r.stop}${r.event ? ` vector ${r.event.vector} error ${r.event.errorCode}` : ''} at eip ${hex(cpu.eip)}`;
    }
    return {
      regs: Array.from(cpu.r, (v) => v >>> 0),
      eflags: cpu.getEflags() >>> 0,
      mem: p.bus.bytes.slice(BLK, BLK + BLK_SIZE),
    };
  });
}

/** Differences between QEMU's and our result, masking the sequence's undefined flags. */
export function compareCase(c: DiffCase, q: CaseResult, o: CaseResult | string): string[] {
  if (typeof o === 'string') return [o];
  const diffs: string[] = [];
  REG_NAMES.forEach((r, i) => {
    if (q.regs[i] !== o.regs[i]) diffs.push(`${r}: qemu ${hex(q.regs[i])} ours ${hex(o.regs[i])}`);
  });
  // DIFF_STRICT=1 also compares SDM-undefined flags (where we aim to produce what QEMU does).
  const mask = process.env.DIFF_STRICT ? COMPARED_FLAGS : COMPARED_FLAGS & ~c.undef;
  if ((q.eflags & mask) !== (o.eflags & mask)) {
    diffs.push(`eflags (mask ${hex(mask)}): qemu ${hex(q.eflags & COMPARED_FLAGS)} ours ${hex(o.eflags & COMPARED_FLAGS)}`);
  }
  for (let i = 0; i < BLK_SIZE; i++) {
    if (q.mem[i] !== o.mem[i]) {
      diffs.push(`mem[${hex(BLK + i)}]: qemu ${hex(q.mem[i])} ours ${hex(o.mem[i])}`);
      break;
    }
  }
  return diffs;
}

export interface DiffReport {
  count: number;
  failures: { c: DiffCase; diffs: string[] }[];
}

/** Generate `count` cases from `seed`, run them in batches, compare. */
export function runDiff(seed: number, count: number, batch = 1000, first = 0): DiffReport {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-diff-'));
  const failures: DiffReport['failures'] = [];
  try {
    for (let start = first; start < first + count; start += batch) {
      const n = Math.min(batch, first + count - start);
      const cases = Array.from({ length: n }, (_, k) => generateCase(seed, start + k));
      const q = runQemu(cases, dir);
      const o = runOurs(cases, dir);
      cases.forEach((c, k) => {
        const diffs = compareCase(c, q[k], o[k]);
        if (diffs.length) failures.push({ c, diffs });
      });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { count, failures };
}

export function describeFailure(f: DiffReport['failures'][number]): string {
  const c = f.c;
  return [
    `case ${c.index}: regs ${c.regs.map(hex).join(' ')} flags ${hex(c.flags)} mem seed ${hex(c.memSeed)} undef ${hex(c.undef)}`,
    ...c.lines.map((l) => '    ' + l),
    ...f.diffs.map((d) => '  ' + d),
  ].join('\n');
}
