/** Listing rows in NASM's `-l` layout, so a listing can be read beside (or diffed with) NASM's. */
import { untokenize } from './lexer';
import { SourceLine } from './preprocess';

const addr = (n: number): string => (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
const hex = (b: ArrayLike<number>): string => Array.from(b, (x) => x.toString(16).toUpperCase().padStart(2, '0')).join('');

/**
 * One statement: line, offset in its section, up to 9 bytes a row (`-` when more follow),
 * `<rep Nh>` for TIMES, `<res Nh>` for reserved space, `<1>` on lines from macros (numbered by
 * the macro body's line, as NASM does). `bytes` is undefined where nothing is stored.
 */
export function listingRows(src: SourceLine, start: number, size: number, bytes: Uint8Array | undefined, copies: number): string[] {
  const text = src.text ?? untokenize(src.toks);
  const line = String(src.macro?.line ?? src.line).padStart(6);
  const mark = src.macro ? '<1> ' : '    ';
  if (!bytes) {
    const res = size > 0 ? `<res ${size.toString(16).toUpperCase()}h>` : '';
    return [`${line} ${size > 0 ? addr(start) : ''.padEnd(8)} ${res.padEnd(18)}  ${mark}${text}`];
  }
  if (copies > 1 && size % copies === 0) {
    const one = hex(bytes.subarray(0, size / copies)) + `<rep ${copies.toString(16).toUpperCase()}h>`;
    return [`${line} ${addr(start)} ${one.padEnd(18)}  ${mark}${text}`];
  }
  const rows: string[] = [];
  for (let i = 0; i < size; i += 9) {
    const row = hex(bytes.subarray(i, Math.min(size, i + 9)));
    const more = i + 9 < size ? '-' : ' ';
    rows.push(`${line} ${addr(start + i)} ${row.padEnd(18)}${more}${i === 0 ? ` ${mark}${text}` : ''}`);
  }
  return rows;
}
