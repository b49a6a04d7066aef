// Assembler throughput on a generated 10,000-line program, beside nasm on the same file in
// the same run (nasm's time includes its process start; both are wall-clock, best of N).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { best } from './timing';
import { assemble } from '../src/asm';

/** A deterministic mix of what guests contain: code, jumps both ways, data, macros, locals. */
export function generate(lines: number): string {
  let seed = 1;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const regs = ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp'];
  const r = (): string => regs[rnd(regs.length)];
  const out = ['bits 32', 'org 0x100000', '%macro save 2', '  push %1', '  push %2', '%endmacro', 'section .text'];
  let fn = 0;
  while (out.length < lines) {
    out.push(`f${fn}:`);
    for (let k = 0; k < 20 && out.length < lines; k++) {
      switch (rnd(10)) {
        case 0: out.push(`  mov ${r()}, [${r()}+${r()}*4+${rnd(300)}]`); break;
        case 1: out.push(`  add ${r()}, ${rnd(1000) - 500}`); break;
        case 2: out.push(`  jnz f${Math.max(0, fn - rnd(3))}`); break;
        case 3: out.push(`  jmp f${fn + 1 + rnd(3)}`); break;
        case 4: out.push(`  save ${r()}, ${r()}`); break;
        case 5: out.push(`.l${k}: dec ${r()}`); break;
        case 6: out.push(`  call f${rnd(fn + 5)}`); break;
        case 7: out.push(`  mov dword [d${rnd(50)}], ${rnd(70000)}`); break;
        case 8: out.push(`  lea ${r()}, [${r()}+${rnd(100)}]`); break;
        default: out.push(`  xor ${r()}, ${r()}`);
      }
    }
    fn++;
  }
  for (let k = 0; k < 4; k++) out.push(`f${fn + k}:`);
  out.push('  ret', 'section .data');
  for (let i = 0; i < 50; i++) out.push(`d${i}: dd ${i}, 'abcd'`);
  return out.join('\n') + '\n';
}

export default async function bench(): Promise<void> {
  const source = generate(10_000);
  const lines = source.split('\n').length - 1;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-bench-'));
  try {
    const file = path.join(dir, 'gen.asm');
    fs.writeFileSync(file, source);
    let ours: Uint8Array = new Uint8Array(0);
    const tOurs = best(5, () => {
      const r = assemble(source, { file: 'gen.asm' });
      if (r.errors.length) throw new Error(`generated source does not assemble: ${r.errors[0].message}`);
      ours = r.image;
    });
    const tNasm = best(3, () => execFileSync('nasm', ['-f', 'bin', '-o', path.join(dir, 'gen.bin'), file]));
    const same = Buffer.compare(Buffer.from(ours), fs.readFileSync(path.join(dir, 'gen.bin'))) === 0;
    const rate = (ms: number): string => `${Math.round(lines / (ms / 1000)).toLocaleString('en')} lines/s`;
    console.log(`assemble ${lines} lines: xensim ${tOurs.toFixed(1)} ms (${rate(tOurs)}), nasm ${tNasm.toFixed(1)} ms (${rate(tNasm)})`);
    console.log(`ratio xensim/nasm time: ${(tOurs / tNasm).toFixed(2)}; bytes identical: ${same}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
