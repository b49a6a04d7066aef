// What the language server does per keystroke in a guest (assemble for diagnostics, rescan
// names, answer a completion and a hover) on a generated 2,000-line guest that includes
// xen.inc, beside `nasm -f bin` on the same files in the same run (nasm's time includes its
// process start; both wall-clock, best of N).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { asmCompletion } from '../src/language/completion';
import { checkAsm } from '../src/language/diagnostics';
import { asmHover } from '../src/language/hover';
import { pathToUri, SourceIndex } from '../src/language/sourceIndex';
import { generate } from './asm.bench';
import { best } from './timing';

export default async function bench(): Promise<void> {
  const include = path.resolve(__dirname, '..', 'guest', 'include');
  const source = generate(2_000).replace('bits 32\n', 'bits 32\n%include "xen.inc"\n') + 'hypercall_page: times 4096 db 0\n';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-lsp-bench-'));
  try {
    const file = path.join(dir, 'guest.asm');
    fs.writeFileSync(file, source);
    const uri = pathToUri(file);
    let text = source;
    const index = new SourceIndex((u) => (u === uri ? text : fs.existsSync(new URL(u)) ? fs.readFileSync(new URL(u), 'utf8') : undefined), [include]);
    const lines = text.split('\n');
    const last = { line: lines.length - 3, character: 4 };
    let edits = 0;
    const keystroke = (): void => {
      text = `${source}; edit ${edits++}\n`; // a new text each time, as typing makes
      const check = checkAsm(index, uri);
      if (check.diagnostics.some((d) => d.severity === 1)) throw new Error(`guest does not assemble: ${check.diagnostics[0].message}`);
      asmCompletion(index, uri, text, last);
      asmHover(index, uri, text, { line: 10, character: 3 });
    };
    keystroke();
    const ours = best(10, keystroke);
    const nasm = best(10, () => execFileSync('nasm', ['-f', 'bin', '-I', `${include}/`, '-o', path.join(dir, 'out.bin'), file]));
    console.log(`keystroke (assemble + rescan + completion + hover), ${lines.length} lines + xen.inc: ${ours.toFixed(1)} ms`);
    console.log(`nasm -f bin on the same files (with process start):            ${nasm.toFixed(1)} ms`);
    console.log(`ratio language server / nasm: ${(ours / nasm).toFixed(2)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
