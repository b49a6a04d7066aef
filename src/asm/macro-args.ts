/**
 * Token-level helpers of the preprocessor: splitting macro arguments, substituting %1..%n,
 * %0, %%local and %-n into a macro body line, and NASM's token pasting.
 */
import { Token, tokenize } from './lexer';

/** One invocation of a multi-line macro: its arguments (which %rotate turns) and %% prefix. */
export interface MacroFrame {
  /** given arguments, then defaults */
  args: Token[][];
  /** how many were given (%0) */
  count: number;
  id: number;
  col: number;
  name: string;
}

export function matchParen(toks: Token[], open: number): number {
  let depth = 0;
  for (let j = open; j < toks.length; j++) {
    if (toks[j].k !== 'op') continue;
    if (toks[j].s === '(') depth++;
    else if (toks[j].s === ')' && --depth === 0) return j;
  }
  return -1;
}

export function splitParenArgs(toks: Token[]): Token[][] {
  const out: Token[][] = [[]];
  let depth = 0;
  for (const t of toks) {
    if (t.k === 'op' && t.s === '(') depth++;
    if (t.k === 'op' && t.s === ')') depth--;
    if (t.k === 'op' && t.s === ',' && depth === 0) out.push([]);
    else out[out.length - 1].push(t);
  }
  return out;
}

/** Split macro arguments at commas; `{...}` groups one argument (braces removed). */
export function splitArgs(toks: Token[], braces: boolean): Token[][] {
  const out: Token[][] = [[]];
  let depth = 0;
  for (const t of toks) {
    if (braces && t.k === 'op' && t.s === '{') {
      if (depth++ === 0) continue;
    }
    if (braces && t.k === 'op' && t.s === '}') {
      if (--depth === 0) continue;
    }
    if (t.k === 'op' && t.s === ',' && depth === 0) out.push([]);
    else out[out.length - 1].push(t);
  }
  return out;
}

export function nthComma(toks: Token[], n: number): number {
  let seen = 0;
  let depth = 0;
  for (let j = 0; j < toks.length; j++) {
    const t = toks[j];
    if (t.k === 'op' && t.s === '{') depth++;
    if (t.k === 'op' && t.s === '}') depth--;
    if (t.k === 'op' && t.s === ',' && depth === 0 && seen++ === n) return j;
  }
  return toks.length;
}

const PASTABLE = (t: Token): boolean => t.k === 'id' || t.k === 'num';

/**
 * Substitute %1..%n, %0, %{n} and %%local in a macro body line. Tokens written against each
 * other (`lbl_%1`, `%1_end`, `a %+ b`) are pasted into one token, as NASM does.
 */
export function substitute(body: Token[], frame: MacroFrame): Token[] {
  const { args, count, id, col } = frame;
  const out: Token[] = [];
  let pasteNext = false;
  let lastWasParam = false;
  let prevEnd = -1;
  for (const t of body) {
    const adjacent = t.col === prevEnd;
    prevEnd = t.col + t.s.length;
    let repl: Token[];
    let isParam = false;
    if (t.k === 'pp') {
      const m = /^%\{?(\d+)\}?$/.exec(t.s);
      const neg = /^%-(\d+)$/.exec(t.s);
      if (neg) {
        // %-n: the condition code in parameter n, inverted (`e` → `ne`)
        const arg = args[Number(neg[1]) - 1] ?? [];
        const cc = arg.length === 1 ? INVERSE_CC.get(arg[0].s.toLowerCase()) : undefined;
        repl = cc ? [{ k: 'id', s: cc, col }] : arg;
        isParam = true;
      } else if (t.s === '%+') {
        pasteNext = true;
        continue;
      } else if (m) {
        const n = Number(m[1]);
        repl = n === 0 ? [{ k: 'num', s: String(count), col, v: BigInt(count) }] : args[n - 1] ?? [];
        isParam = true;
      } else if (t.s.startsWith('%%')) {
        repl = [{ k: 'id', s: `..@${id}.${t.s.slice(2)}`, col }];
        isParam = true;
      } else repl = [t];
    } else repl = [t];
    const last = out[out.length - 1];
    const first = repl[0];
    if (first && last && (pasteNext || (adjacent && (isParam || lastWasParam))) && PASTABLE(last) && PASTABLE(first)) {
      const s = last.s + first.s;
      out[out.length - 1] = retoken(s, col);
      for (let j = 1; j < repl.length; j++) out.push({ ...repl[j], col });
    } else for (const r of repl) out.push({ ...r, col });
    lastWasParam = isParam;
    pasteNext = false;
  }
  return out;
}

/** `a %+ b` outside macro bodies (after %define expansion): one token `ab`. */
export function paste(toks: Token[]): Token[] {
  if (!toks.some((t) => t.k === 'pp' && t.s === '%+')) return toks;
  const out: Token[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    const last = out[out.length - 1];
    const next = toks[i + 1];
    if (t.k === 'pp' && t.s === '%+' && last && next) {
      out[out.length - 1] = retoken(last.s + next.s, last.col);
      i++;
    } else out.push(t);
  }
  return out;
}

const INVERSE_CC = new Map<string, string>();
for (const [a, b] of [['o', 'no'], ['b', 'nb'], ['c', 'nc'], ['ae', 'nae'], ['e', 'ne'], ['z', 'nz'], ['be', 'nbe'], ['a', 'na'],
  ['s', 'ns'], ['p', 'np'], ['pe', 'po'], ['l', 'nl'], ['ge', 'nge'], ['le', 'nle'], ['g', 'ng']]) {
  INVERSE_CC.set(a, b);
  INVERSE_CC.set(b, a);
}

function retoken(s: string, col: number): Token {
  const t = tokenize(s, () => undefined);
  return t.length === 1 ? { ...t[0], col } : { k: 'id', s, col };
}
