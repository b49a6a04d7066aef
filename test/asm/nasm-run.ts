// Runs the real NASM on the same text the tests give xensim's assembler: NASM is the oracle.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { assemble, AssembleOptions, AssembleResult } from '../../src/asm';

export interface NasmRun {
  bytes?: Buffer;
  /** NASM's stderr (errors and warnings) */
  messages: string;
}

/** Assemble with `nasm -f bin`; `files` are extra files (for %include) beside the main one. */
export function nasm(source: string, files: Record<string, string> = {}, args: string[] = []): NasmRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-asm-'));
  try {
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    const src = path.join(dir, 'main.asm');
    const out = path.join(dir, 'main.bin');
    fs.writeFileSync(src, source);
    const r = spawnSync('nasm', ['-f', 'bin', ...args, '-o', out, 'main.asm'], { cwd: dir, encoding: 'utf8' });
    const messages = (r.stderr ?? '') + (r.error ? String(r.error) : '');
    return r.status === 0 ? { bytes: fs.readFileSync(out), messages } : { messages };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Our assembler on the same inputs, with an in-memory file system. */
export function ours(source: string, files: Record<string, string> = {}, options: AssembleOptions = {}): AssembleResult {
  return assemble(source, {
    file: 'main.asm',
    readFile: (p) => files[p.replace(/^\.\//, '')],
    readBinary: (p) => (files[p] === undefined ? undefined : new Uint8Array(Buffer.from(files[p], 'utf8'))),
    ...options,
  });
}

export const hex = (b: Uint8Array | undefined): string => (b ? Buffer.from(b).toString('hex') : '<none>');
