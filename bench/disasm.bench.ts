// Disassembler throughput on the code of the generated 10,000-line program (as the debugger's
// disassembly view and `xensim disasm` use it), beside objdump -D on the same bytes in the
// same run (objdump's time includes its process start; both wall-clock, best of N).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { assemble } from '../src/asm';
import { disassemble } from '../src/asm/disasm';
import { encode, isMnemonic } from '../src/asm/encoder';
import { generate } from './asm.bench';
import { best } from './timing';

export default async function bench(): Promise<void> {
  const r = assemble(generate(10_000), { file: 'gen.asm', encode, isMnemonic });
  if (r.errors.length) throw new Error(`generated source does not assemble: ${r.errors[0].message}`);
  // eight copies: enough bytes that objdump's start-up is not the whole of its time
  const image = new Uint8Array(r.image.length * 8);
  for (let i = 0; i < 8; i++) image.set(r.image, i * r.image.length);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-bench-'));
  try {
    const file = path.join(dir, 'gen.bin');
    fs.writeFileSync(file, image);
    let count = 0;
    const tOurs = best(5, () => {
      count = disassemble(image, 0x100000).length;
    });
    const tObjdump = best(3, () =>
      execFileSync('objdump', ['-D', '-b', 'binary', '-m', 'i386', '-M', 'intel', file], { maxBuffer: 1 << 28 }));
    const rate = (ms: number): string => `${Math.round(count / (ms / 1000)).toLocaleString('en')} instructions/s`;
    console.log(`disassemble ${image.length} bytes (${count} instructions): xensim ${tOurs.toFixed(1)} ms (${rate(tOurs)}), objdump ${tObjdump.toFixed(1)} ms (${rate(tObjdump)})`);
    console.log(`ratio xensim/objdump time: ${(tOurs / tObjdump).toFixed(2)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
