/** Test helper: assemble NASM source with the real nasm (an oracle installed here and in CI). */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export function nasm(source: string, format = 'bin'): Uint8Array {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-nasm-'));
  try {
    const src = path.join(dir, 'a.asm');
    const out = path.join(dir, 'a.out');
    fs.writeFileSync(src, source);
    execFileSync('nasm', ['-f', format, '-o', out, src], { stdio: ['ignore', 'ignore', 'pipe'] });
    return new Uint8Array(fs.readFileSync(out));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
