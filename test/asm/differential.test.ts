import * as assert from 'assert';
import { nasm, ours } from './nasm-run';

/**
 * Seeded random programs mixing what the front end handles (labels, local labels, forward and
 * backward jumps, data with label arithmetic, times, align, sections, macros, equ), assembled
 * by NASM and by us: the bytes must agree. Each seed is one test, so a failure names it.
 */
function program(seed: number): string {
  // xorshift32: an LCG's low bits repeat in short cycles and would starve some branches
  let s = seed * 2654435761 >>> 0 || 1;
  const rnd = (n: number): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)];
  const regs = ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp'];
  const labels = Array.from({ length: 12 }, (_, i) => `L${i}`);
  const out = [
    // every third seed is 16-bit code (32-bit registers then take NASM's 66/67 prefixes)
    `bits ${seed % 3 === 0 ? 16 : 32}`, `org 0x${(rnd(16) * 0x1000).toString(16)}`, '%macro twice 1', '  %1', '  %1', '%endmacro', 'K equ L3 - L1',
    '%macro pair 2', '  %%a: db %1', '  dd %2, %%a', '%endmacro',
    'struc rec', '  .a: resb 1', '  .b: resw 1', '  alignb 4', '  .c: resd 1', 'endstruc',
  ];
  const sections = ['.text', '.data', '.text', '.rodata', '.text'];
  let defined = 0;
  for (let i = 0; i < 150; i++) {
    const lab = labels[defined];
    switch (rnd(26)) {
      case 0:
        if (defined < labels.length) out.push(`${labels[defined++]}:`);
        break;
      case 1: out.push(`  jmp ${pick(labels)}`); break;
      case 2: out.push(`  ${pick(['jz', 'jnz', 'jc', 'jle', 'ja'])} ${pick(labels)}`); break;
      case 3: out.push(`  times ${rnd(140)} nop`); break;
      case 4: out.push(`  dd ${pick(labels)}, ${pick(labels)} - ${pick(labels)}, $ - $$`); break;
      case 5: out.push(`  mov ${pick(regs)}, [${pick(regs.slice(0, 7))} + ${pick(labels)} - ${pick(labels)}]`); break;
      case 6: out.push(`  push ${pick([pick(labels), `${rnd(300)}`, `${pick(labels)} - ${pick(labels)}`])}`); break;
      case 7: out.push(`  align ${pick([2, 4, 8, 16])}`); break;
      case 8: if (seed % 2) out.push(`section ${pick(sections)}`); break; // even seeds: one section
      case 9: out.push(`  twice {add ${pick(regs)}, ${rnd(256) - 128}}`); break;
      case 10: out.push(`.l${i}: db ${rnd(256)}, '${String.fromCharCode(97 + rnd(26))}'`); break;
      case 11: out.push(`  call ${pick(labels)}`); break;
      case 12: out.push(`  mov dword [${pick(labels)}], K`); break;
      case 13: out.push(rnd(2) ? `  ${pick(['inc', 'dec', 'neg', 'not'])} ${pick(regs)}` : `  ${pick(['push byte', 'mov al,', 'db', 'add eax, byte', 'dw'])} ${rnd(140000) - 70000 >> rnd(12)}`); break;
      case 14: out.push(`  lea ${pick(regs)}, [${pick(regs.slice(0, 7))}*${pick([1, 2, 4, 8])} + ${rnd(1000)}]`); break;
      case 16: out.push(`  %rep ${rnd(4)}`, `    db ${rnd(256)}`, '  %endrep'); break;
      case 17: out.push(`  %if ${rnd(2)}`, `    dw ${rnd(65536)}`, '  %else', `    dd ${pick(labels)}`, '  %endif'); break;
      case 18: out.push(`.x${i}: dd .x${i}, $ - .x${i}`); break;
      case 19: out.push(`  dd (${rnd(100)} << ${rnd(8)}) | ${rnd(100)}, ${rnd(1000) - 500} // ${pick([-3, -2, -1, 1, 2, 3])}, ${rnd(1000)} %% ${rnd(5) + 1}`); break;
      case 20: out.push(`  jmp short $ + ${rnd(100)}`); break;
      case 21: out.push(`  times ${rnd(5)} dw $ - $$`); break;
      case 22: out.push(`  mov ${pick(regs)}, [${pick(['fs:', 'es:', 'ss:', ''])}${pick(regs)} + ${rnd(300)}]`); break;
      case 23: out.push(`  pair ${rnd(256)}, ${pick(labels)}`); break;
      case 24: out.push(`  dq ${rnd(1 << 30) * 7}, 'ab', ${pick(labels)}`); break;
      case 25: out.push(`  istruc rec`, `    at rec.b, dw ${rnd(65536)}`, `  iend`); break;
      default: out.push(`  ${pick(['cmp', 'sub', 'and', 'or', 'xor'])} ${pick(regs)}, ${pick(['byte 5', '1000', `${rnd(256) - 128}`, lab ?? 'L0'])}`);
    }
  }
  while (defined < labels.length) out.push(`${labels[defined++]}: ret`);
  return out.join('\n') + '\n';
}

describe('asm: seeded random programs against nasm -f bin', () => {
  const n = Number(process.env.XENSIM_ASM_DIFF_SEEDS ?? 40);
  for (let seed = 1; seed <= n; seed++) {
    it(`seed ${seed}`, () => {
      const src = program(seed);
      const want = nasm(src);
      const got = ours(src);
      if (!want.bytes) {
        // NASM rejected it (e.g. a short conditional jump cannot reach): so must we
        assert.ok(got.errors.length > 0, `nasm failed but we did not:\n${want.messages}`);
        return;
      }
      assert.deepStrictEqual(got.errors.map((e) => `${e.line}:${e.col}: ${e.message}`), []);
      const a = Buffer.from(got.image);
      if (!a.equals(want.bytes)) {
        let i = 0;
        while (i < a.length && a[i] === want.bytes[i]) i++;
        const line = got.lineMap.lookup(got.origin + i)?.line ?? 0;
        assert.fail(`first difference at image byte ${i}, line ${line}: ${src.split('\n')[line - 1]}`);
      }
      const theirs = [...want.messages.matchAll(/main\.asm:(\d+): warning: (.*?)(?: \[-w\+[a-z-]+\])?$/gm)].map((m) => `${m[1]}: ${m[2]}`);
      assert.deepStrictEqual(got.warnings.map((w) => `${w.line}: ${w.message}`), theirs);
    });
  }
});
