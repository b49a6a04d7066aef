/** Running the real tools once for a whole corpus: nasm -f bin and objdump -D. */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface NasmResult {
  /** each line's bytes, as nasm assembled it */
  bytes: Uint8Array[];
  /** each line's address */
  starts: number[];
  /** the whole image of the instructions */
  image: Uint8Array;
}

function tmpdir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-asm-'));
}

/**
 * Assembles all lines in ONE nasm run: each line gets a label, and a table of the labels'
 * addresses follows the code, so each instruction's bytes are cut out exactly.
 */
export function nasmAssemble(lines: readonly string[], bits: 16 | 32 = 32): NasmResult {
  const errors = nasmErrors(lines, bits);
  if (errors.size) throw new Error(`nasm rejects corpus lines: ${[...errors.entries()].slice(0, 5).map(([i, e]) => `${lines[i]}: ${e}`).join('; ')}`);
  const dir = tmpdir();
  try {
    const src = [`bits ${bits}`, 'org 0', ...lines.map((l, i) => `L${i}: ${l}`), `L${lines.length}:`];
    for (let i = 0; i <= lines.length; i++) src.push(`dd L${i}`);
    fs.writeFileSync(path.join(dir, 'c.asm'), src.join('\n') + '\n');
    execFileSync('nasm', ['-f', 'bin', '-w-all', '-o', path.join(dir, 'c.bin'), path.join(dir, 'c.asm')], { stdio: 'pipe' });
    const out = new Uint8Array(fs.readFileSync(path.join(dir, 'c.bin')));
    const table = new DataView(out.buffer, out.byteOffset + out.length - 4 * (lines.length + 1));
    const starts: number[] = [];
    for (let i = 0; i <= lines.length; i++) starts.push(table.getUint32(i * 4, true));
    const bytes = lines.map((_, i) => out.slice(starts[i], starts[i + 1]));
    return { bytes, starts: starts.slice(0, -1), image: out.slice(0, starts[lines.length]) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The lines nasm rejects, with its message (one nasm run; an empty map when all assemble). */
export function nasmErrors(lines: readonly string[], bits: 16 | 32 = 32): Map<number, string> {
  const dir = tmpdir();
  try {
    fs.writeFileSync(path.join(dir, 'c.asm'), [`bits ${bits}`, ...lines].join('\n') + '\n');
    try {
      execFileSync('nasm', ['-f', 'bin', '-w-all', '-o', path.join(dir, 'c.bin'), path.join(dir, 'c.asm')], { stdio: 'pipe' });
      return new Map();
    } catch (e) {
      const err = String((e as { stderr?: Buffer }).stderr ?? '');
      const out = new Map<number, string>();
      for (const m of err.matchAll(/c\.asm:(\d+): error: (.*)/g)) if (!out.has(Number(m[1]) - 2)) out.set(Number(m[1]) - 2, m[2]);
      return out;
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** nasm's number-overflow warnings by line (one nasm run; each line's distinct messages). */
export function nasmWarnings(lines: readonly string[], bits: 16 | 32 = 32): Map<number, string[]> {
  const dir = tmpdir();
  try {
    fs.writeFileSync(path.join(dir, 'c.asm'), [`bits ${bits}`, ...lines].join('\n') + '\n');
    const r = spawnSync('nasm', ['-f', 'bin', '-o', path.join(dir, 'c.bin'), path.join(dir, 'c.asm')], { encoding: 'utf8' });
    const out = new Map<number, string[]>();
    for (const m of r.stderr.matchAll(/c\.asm:(\d+): warning: (.*?) \[-w\+number-overflow\]/g)) {
      const list = out.get(Number(m[1]) - 2) ?? [];
      if (!list.includes(m[2])) list.push(m[2]);
      out.set(Number(m[1]) - 2, list);
    }
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** objdump -D -b binary -m i386 -M intel over an image: address → text (whitespace normalised). */
export function objdumpBinary(image: Uint8Array, bits: 16 | 32 = 32): Map<number, string> {
  const dir = tmpdir();
  try {
    const file = path.join(dir, 'c.bin');
    fs.writeFileSync(file, image);
    const m = bits === 16 ? 'i8086' : 'i386';
    const text = execFileSync('objdump', ['-D', '-b', 'binary', '-m', m, '-M', 'intel', file], { maxBuffer: 1 << 28 }).toString();
    return parseObjdump(text);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const normalise = (s: string): string => s.replace(/\s+/g, ' ').trim();

export function parseObjdump(text: string): Map<number, string> {
  const map = new Map<number, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([0-9a-f]+):\t[0-9a-f ]+\t(.*)$/.exec(line);
    if (m) map.set(parseInt(m[1], 16), normalise(m[2]));
  }
  return map;
}

/**
 * Disassembles many independent byte strings at once: each is put behind its own ELF symbol,
 * where objdump restarts decoding, so only each string's first instruction is compared.
 * Jump targets print as `<sym+off>` there; they are stripped and addresses re-based on 0x0 format.
 */
export function objdumpChunks(chunks: readonly Uint8Array[], bits: 16 | 32 = 32): { text: string; length: number }[] {
  const dir = tmpdir();
  try {
    const src = ['bits 32', 'section .text'];
    chunks.forEach((c, i) => src.push(`global c${i}`, `c${i}: db ${[...c].join(',')}`));
    fs.writeFileSync(path.join(dir, 'c.asm'), src.join('\n') + '\n');
    execFileSync('nasm', ['-f', 'elf32', '-o', path.join(dir, 'c.o'), path.join(dir, 'c.asm')], { stdio: 'pipe' });
    const mode = bits === 16 ? ['-m', 'i8086'] : [];
    const text = execFileSync('objdump', ['-d', ...mode, '-M', 'intel', path.join(dir, 'c.o')], { maxBuffer: 1 << 28 }).toString();
    const out = chunks.map(() => ({ text: '', length: 0 }));
    let cur = -1;
    let base = 0;
    let open = false;
    for (const line of text.split('\n')) {
      const sym = /^([0-9a-f]+) <c(\d+)>:$/.exec(line);
      if (sym) {
        cur = Number(sym[2]);
        base = parseInt(sym[1], 16);
        continue;
      }
      const m = /^\s*([0-9a-f]+):\t([0-9a-f ]+)\t(.*)$/.exec(line);
      const more = /^\s*([0-9a-f]+):\t([0-9a-f ]+)$/.exec(line);
      if (m && cur >= 0 && parseInt(m[1], 16) === base && out[cur].text === '') {
        // relative targets: "jmp 1f <c3+0x2>" → absolute, from the chunk start (address 0)
        out[cur].text = normalise(m[3].replace(/\s*<[^>]*>$/, '')).replace(/^((?:\S+ )*?[a-z0-9,]+ )([0-9a-f]+)$/, (all, head: string, addr: string) =>
          /^(j|call|loop)/.test(head.trim().split(' ').pop() ?? '') ? `${head}0x${(((parseInt(addr, 16) - base) & (bits === 16 ? 0xffff : -1)) >>> 0).toString(16)}` : all);
        out[cur].length = m[2].trim().split(' ').length;
        open = true;
      } else if (more && open && cur >= 0) out[cur].length += more[2].trim().split(' ').length;
      else open = false;
    }
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
