/**
 * NASM's tokens for one source line. The preprocessor and the parser both work on these
 * tokens, so a line is scanned once however many passes the assembler makes.
 */

export type TokenKind =
  | 'id' // identifier (a `$name` escape arrives without its `$`)
  | 'num' // integer constant, value in `v`
  | 'str' // quoted string, bytes in `b`
  | 'op' // punctuation and operators, `$` and `$$`
  | 'pp'; // preprocessor token: %define, %1, %%x, %0, %+, %{...}

export interface Token {
  k: TokenKind;
  /** source text (for `str`, including the quotes) */
  s: string;
  /** 1-based column of the first character in the source line */
  col: number;
  v?: bigint;
  b?: number[];
  /** written with a `$` prefix: an identifier even if it spells a register or keyword */
  esc?: boolean;
}

export type LexError = (col: number, message: string) => void;

const ID_START = new Uint8Array(128);
const ID_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  const alpha = /[A-Za-z]/.test(ch);
  ID_START[c] = alpha || '_.?@'.includes(ch) ? 1 : 0;
  ID_CHAR[c] = alpha || /[0-9]/.test(ch) || '_.?@$#~'.includes(ch) ? 1 : 0;
}
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isIdStart = (c: number): boolean => c < 128 && ID_START[c] === 1;
const isIdChar = (c: number): boolean => c < 128 && ID_CHAR[c] === 1;
const isNumChar = (c: number): boolean => c < 128 && (ID_CHAR[c] === 1 && c !== 46 && c !== 63 && c !== 64 && c !== 36 && c !== 35 && c !== 126);

// Longest operators first: the scanner takes the first that matches.
const OPERATORS = ['<<<', '>>>', '<=>', '<<', '>>', '//', '==', '!=', '<>', '<=', '>=', '&&', '||', '^^'];

const RADIX: Record<string, number> = { b: 2, y: 2, o: 8, q: 8, d: 10, t: 10, h: 16, x: 16 };

/** Parse one NASM integer constant (every radix form, `_` separators). */
export function parseNumber(text: string): bigint | string {
  let body = text.toLowerCase();
  // NASM: a radix prefix (0x, 0b, ... or $) and a radix suffix (h, b, ...) may both look present
  // (`0b1h`, `0Dh`); the higher radix wins, and the same radix twice is an error.
  let prefix = 0;
  let plen = 0;
  if (body.startsWith('$')) {
    prefix = 16;
    plen = 1;
  } else if (body.length > 2 && body[0] === '0' && RADIX[body[1]] !== undefined) {
    prefix = RADIX[body[1]];
    plen = 2;
  }
  const suffix = body.length > 1 ? RADIX[body[body.length - 1]] ?? 0 : 0;
  if (prefix && prefix === suffix) return `invalid number '${text}'`;
  let radix = 10;
  if (prefix > suffix) {
    radix = prefix;
    body = body.slice(plen);
  } else if (suffix > prefix) {
    radix = suffix;
    body = body.slice(0, -1);
  }
  let v = 0n;
  let digits = 0;
  const r = BigInt(radix);
  for (const ch of body) {
    if (ch === '_') continue;
    const d = parseInt(ch, 36);
    if (Number.isNaN(d) || d >= radix) return `invalid character '${ch}' in number '${text}'`;
    v = v * r + BigInt(d);
    digits++;
  }
  if (digits === 0) return `invalid number '${text}'`;
  return BigInt.asIntN(64, v);
}

function utf8(code: number, out: number[]): void {
  const bytes = Buffer.from(String.fromCodePoint(code), 'utf8');
  for (const b of bytes) out.push(b);
}

const SIMPLE_ESCAPES: Record<string, number> = {
  "'": 39, '"': 34, '`': 96, '\\': 92, '?': 63,
  a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, e: 27,
};

/** The bytes of a backquoted string body, with C-style escapes (NASM 3.4.2). */
function backquoted(body: string, col: number, err: LexError): number[] {
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch !== '\\') {
      utf8(body.codePointAt(i)!, out);
      if (body.codePointAt(i)! > 0xffff) i++;
      continue;
    }
    const e = body[++i];
    if (e === undefined) break;
    if (SIMPLE_ESCAPES[e] !== undefined) out.push(SIMPLE_ESCAPES[e]);
    else if (e >= '0' && e <= '7') {
      let j = i;
      while (j < i + 3 && body[j] >= '0' && body[j] <= '7') j++;
      out.push(parseInt(body.slice(i, j), 8) & 0xff);
      i = j - 1;
    } else if (e === 'x' || e === 'X') {
      let j = i + 1;
      while (j < i + 3 && /[0-9a-fA-F]/.test(body[j] ?? '')) j++;
      out.push(j > i + 1 ? parseInt(body.slice(i + 1, j), 16) : 0);
      i = j - 1;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + n);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) err(col, `invalid \\${e} escape in string`);
      else utf8(parseInt(hex, 16), out);
      i += n;
    } else {
      out.push(e.charCodeAt(0));
    }
  }
  return out;
}

/**
 * Tokenise one line. Stops at a `;` comment. Errors (bad number, unterminated string)
 * are reported through `err` and the scan continues, so every error of a line shows.
 */
export function tokenize(line: string, err: LexError, colBase = 1): Token[] {
  const toks: Token[] = [];
  const n = line.length;
  let i = 0;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) {
      i++;
      continue;
    }
    if (c === 59) break; // ';'
    const start = i;
    const col = start + colBase;
    if (c === 39 || c === 34 || c === 96) {
      // quoted string
      const q = line[i];
      let j = i + 1;
      while (j < n && line[j] !== q) j += q === '`' && line[j] === '\\' ? 2 : 1;
      if (j >= n) {
        err(col, 'unterminated string');
        j = n;
      }
      const body = line.slice(i + 1, Math.min(j, n));
      const b = q === '`' ? backquoted(body, col, err) : [...Buffer.from(body, 'utf8')];
      i = Math.min(j + 1, n);
      toks.push({ k: 'str', s: line.slice(start, i), col, b });
      continue;
    }
    if (isDigit(c) || (c === 36 && i + 1 < n && isDigit(line.charCodeAt(i + 1)))) {
      let j = i + 1;
      while (j < n && isNumChar(line.charCodeAt(j))) j++;
      if (line[j] === '.' && isDigit(line.charCodeAt(j + 1))) {
        // 1.5, 3.0e10: NASM floating-point constants (x87/SSE data is not supported here)
        j++;
        while (j < n && (isNumChar(line.charCodeAt(j)) || ((line[j] === '+' || line[j] === '-') && /[eEpP]/.test(line[j - 1])))) j++;
        err(col, `floating-point constant '${line.slice(i, j)}' is not supported`);
        toks.push({ k: 'num', s: line.slice(i, j), col, v: 0n });
        i = j;
        continue;
      }
      const s = line.slice(i, j);
      const v = parseNumber(s);
      if (typeof v === 'string') {
        err(col, v);
        toks.push({ k: 'num', s, col, v: 0n });
      } else toks.push({ k: 'num', s, col, v });
      i = j;
      continue;
    }
    if (c === 63 && !isIdChar(line.charCodeAt(i + 1))) {
      // a lone `?`: the conditional operator or an uninitialised data item
      toks.push({ k: 'op', s: '?', col });
      i++;
      continue;
    }
    if (isIdStart(c) || (c === 36 && i + 1 < n && isIdStart(line.charCodeAt(i + 1)))) {
      let j = i + 1;
      while (j < n && isIdChar(line.charCodeAt(j))) j++;
      if (c === 36) toks.push({ k: 'id', s: line.slice(i + 1, j), col, esc: true });
      else toks.push({ k: 'id', s: line.slice(i, j), col });
      i = j;
      continue;
    }
    if (c === 36) {
      // `$` or `$$`
      const s = line[i + 1] === '$' ? '$$' : '$';
      toks.push({ k: 'op', s, col });
      i += s.length;
      continue;
    }
    if (c === 37) {
      // '%': a preprocessor token unless it is the modulo operator
      const d = line.charCodeAt(i + 1);
      let j = -1;
      if (d === 37 && (isIdStart(line.charCodeAt(i + 2)) || isDigit(line.charCodeAt(i + 2)))) j = i + 2; // %%local
      else if (isIdStart(d) || isDigit(d) || d === 36) j = i + 1; // %define, %1, %$ctx
      else if (d === 45 && isDigit(line.charCodeAt(i + 2))) j = i + 2; // %-1
      if (j >= 0) {
        // `%1_val` is the parameter %1 followed by `_val`; names run on
        if (isDigit(line.charCodeAt(j))) while (j < n && isDigit(line.charCodeAt(j))) j++;
        else while (j < n && isIdChar(line.charCodeAt(j))) j++;
        toks.push({ k: 'pp', s: line.slice(i, j), col });
        i = j;
        continue;
      }
      if (d === 43) {
        toks.push({ k: 'pp', s: '%+', col });
        i += 2;
        continue;
      }
      if (d === 123) {
        const close = line.indexOf('}', i);
        const end = close < 0 ? n : close + 1;
        toks.push({ k: 'pp', s: line.slice(i, end), col });
        i = end;
        continue;
      }
      const s = d === 37 ? '%%' : '%';
      toks.push({ k: 'op', s, col });
      i += s.length;
      continue;
    }
    let op = '';
    for (const o of OPERATORS) if (line.startsWith(o, i)) { op = o; break; }
    if (!op) op = line[i];
    toks.push({ k: 'op', s: op, col });
    i += op.length;
  }
  return toks;
}

/** Text of a token list as NASM would print it back (for %error, listings and %define bodies). */
export function untokenize(toks: readonly Token[]): string {
  let out = '';
  let prevEnd = -1;
  for (const t of toks) {
    if (out && t.col !== prevEnd) out += ' ';
    out += t.esc ? '$' + t.s : t.s;
    prevEnd = t.col + t.s.length;
  }
  return out;
}
