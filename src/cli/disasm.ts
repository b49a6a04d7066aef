import * as fs from 'fs';
import * as path from 'path';
import { decodeOne, Decoded } from '../asm/disasm';
import { CliIO, Command, UsageError } from './command';

const USAGE = 'usage: xensim disasm FILE.bin [--org ADDR] [--bits 16|32]';

function parseAddress(text: string | undefined, flag: string): number {
  if (text === undefined) throw new UsageError(`${flag} needs a value\n${USAGE}`);
  const v = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? parseInt(text, 10) : NaN;
  if (!Number.isFinite(v) || v > 0xffffffff) throw new UsageError(`${flag}: '${text}' is not an address (decimal or 0x hex)`);
  return v;
}

/** One instruction the way `objdump -d` lays it out: address, up to 7 bytes a row, text. */
export function formatLine(d: Decoded): string {
  const hexes = [...d.bytes].map((b) => b.toString(16).padStart(2, '0'));
  const rows: string[] = [];
  for (let i = 0; i < hexes.length; i += 7) {
    const addr = (d.address + i) >>> 0;
    const bytes = (hexes.slice(i, i + 7).join(' ') + ' ').padEnd(21);
    rows.push(`${addr.toString(16).padStart(8)}:\t${bytes}${i === 0 ? '\t' + d.text : ''}`);
  }
  return rows.join('\n');
}

export const disasmCommand: Command = async (args: string[], io: CliIO) => {
  let file: string | undefined;
  let org = 0;
  let bits: 16 | 32 = 32;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--org') org = parseAddress(args[++i], '--org');
    else if (a === '--bits') {
      const b = args[++i];
      if (b !== '16' && b !== '32') throw new UsageError(`--bits must be 16 or 32\n${USAGE}`);
      bits = b === '16' ? 16 : 32;
    } else if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'\n${USAGE}`);
    else if (file === undefined) file = a;
    else throw new UsageError(`one file only\n${USAGE}`);
  }
  if (file === undefined) throw new UsageError(USAGE);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(fs.readFileSync(path.resolve(io.cwd, file)));
  } catch (e) {
    io.stderr(`xensim disasm: ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}\n`);
    return 1;
  }
  const out: string[] = [];
  for (let off = 0; off < bytes.length; ) {
    const d = decodeOne(bytes, off, (org + off) >>> 0, bits);
    out.push(formatLine(d));
    off += d.length;
  }
  io.stdout(out.length ? out.join('\n') + '\n' : '');
  return 0;
};
