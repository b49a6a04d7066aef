/** Line-level text helpers shared by the language features (no LSP types beyond plain positions). */

/** An NASM identifier (labels `.loop`, `..@x`, macro-locals `%%x`, context-locals `%$x`) or a number. */
const ASM_WORD = /(?:%%|%\$+|\.\.@|\.)?[A-Za-z_?@$][\w$#@~.?]*|\d[\w]*/g;
/** An xl.cfg key or bare word. */
const XL_WORD = /[A-Za-z_][\w.-]*/g;

export interface Word {
  text: string;
  start: number;
  end: number;
}

function wordAt(pattern: RegExp, line: string, character: number): Word | undefined {
  const re = new RegExp(pattern.source, 'g');
  for (let m = re.exec(line); m; m = re.exec(line)) {
    if (m.index <= character && character <= m.index + m[0].length) {
      return { text: m[0], start: m.index, end: m.index + m[0].length };
    }
    if (m.index > character) break;
  }
  return undefined;
}

/** The assembler word under (or just before) the cursor. */
export function asmWordAt(line: string, character: number): Word | undefined {
  return wordAt(ASM_WORD, line, character);
}

/** The xl.cfg word under (or just before) the cursor. */
export function xlWordAt(line: string, character: number): Word | undefined {
  return wordAt(XL_WORD, line, character);
}

/**
 * Where the comment of an assembler line starts (`;` outside quotes), or the line length.
 * NASM strings have no escapes except in backquotes.
 */
export function asmCodeEnd(line: string): number {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (quote === '`' && c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === ';') return i;
  }
  return line.length;
}

/** Where the comment of an xl.cfg line starts (`#` outside quotes), or the line length. */
export function xlCodeEnd(line: string): number {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return i;
  }
  return line.length;
}

/** Splits text into lines the way LSP positions count them. */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

/** Where the xl.cfg value starting at `start` ends: a quoted string, a list on this line, or a word. */
export function xlValueEnd(line: string, start: number): number {
  const c = line[start];
  if (c === '"' || c === "'") {
    for (let i = start + 1; i < line.length; i++) {
      if (line[i] === '\\') i++;
      else if (line[i] === c) return i + 1;
    }
    return line.length;
  }
  if (c === '[') {
    const close = line.indexOf(']', start);
    return close < 0 ? line.length : close + 1;
  }
  return start + (/^[^\s,;#\]]*/.exec(line.slice(start))?.[0].length ?? 0);
}

/** Edit distance counting a swap of two neighbours as one edit (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The candidate closest to word when it is a likely typo (one edit per three letters, at least one). */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    if (c === word) continue;
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}
