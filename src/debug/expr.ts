/**
 * The debugger's expression language, shared by breakpoint conditions, watch, hover and the
 * REPL. It is the NASM/C arithmetic a guest author already writes, over 32-bit unsigned values:
 *
 *   numbers     42  0x2a  2ah  0b101  'A'
 *   names       eax ax al eip eflags zf cr3 …, guest symbols, Xen constants (EVTCHNOP_send),
 *               hypercall argument and structure field names in hypercall conditions (port),
 *               qualified registers `d1.vcpu0.eax`
 *   memory      [esp+4] (a dword), byte [x], word [x], dword [x]
 *   operators   unary - ~ !   * / %   + -   << >>   < <= > >=   == !=   &   ^   |   &&   ||
 *
 * Comparisons are unsigned; `-1` is 0xffffffff, so `eax == -1` means what a reader expects.
 * Expressions compile once (errors name the column) and evaluate many times against an
 * environment, which is how conditions stay cheap on the hot path.
 */

/** Where names and memory come from; undefined means "not known here" (an evaluation error). */
export interface ExprEnv {
  lookup(name: string): number | undefined;
  read(address: number, size: 1 | 2 | 4): number | undefined;
}

export class ExprError extends Error {
  /** 1-based column in the expression text, when the problem has a place. */
  constructor(
    message: string,
    readonly col?: number,
  ) {
    super(col !== undefined ? `${message} (column ${col})` : message);
  }
}

type Node =
  | { k: 'num'; v: number }
  | { k: 'name'; name: string; col: number }
  | { k: 'mem'; size: 1 | 2 | 4; addr: Node }
  | { k: 'un'; op: string; a: Node }
  | { k: 'bin'; op: string; a: Node; b: Node };

interface Token {
  t: 'num' | 'name' | 'op' | 'end';
  text: string;
  value?: number;
  col: number;
}

const OPS = ['<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '+', '-', '*', '/', '%', '<', '>', '&', '^', '|', '~', '!', '(', ')', '[', ']'];

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const col = i + 1;
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new ExprError('unterminated character constant', col);
      const s = text.slice(i + 1, end);
      if (s.length < 1 || s.length > 4) throw new ExprError('a character constant holds 1 to 4 characters', col);
      // NASM's little-endian order: 'AB' is 0x4241
      let v = 0;
      for (let j = s.length - 1; j >= 0; j--) v = v * 256 + (s.charCodeAt(j) & 0xff);
      out.push({ t: 'num', text: text.slice(i, end + 1), value: v >>> 0, col });
      i = end + 1;
      continue;
    }
    const word = /^[A-Za-z0-9_$.@?]+/.exec(text.slice(i));
    if (word) {
      const w = word[0];
      const v = /^[0-9]/.test(w) ? parseNumber(w) : undefined;
      if (/^[0-9]/.test(w) && v === undefined) throw new ExprError(`'${w}' is not a number`, col);
      out.push(v !== undefined ? { t: 'num', text: w, value: v, col } : { t: 'name', text: w, col });
      i += w.length;
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i));
    if (!op) throw new ExprError(`unexpected '${c}'`, col);
    out.push({ t: 'op', text: op, col });
    i += op.length;
  }
  out.push({ t: 'end', text: '', col: text.length + 1 });
  return out;
}

/** 42, 0x2a, 2ah, 0b101, 0o17 → value; undefined when not a number or over 32 bits. */
export function parseNumber(w: string): number | undefined {
  const s = w.toLowerCase().replace(/_/g, '');
  let v: number;
  if (/^0x[0-9a-f]+$/.test(s)) v = parseInt(s.slice(2), 16);
  else if (/^[0-9][0-9a-f]*h$/.test(s)) v = parseInt(s.slice(0, -1), 16);
  else if (/^0b[01]+$/.test(s)) v = parseInt(s.slice(2), 2);
  else if (/^0o[0-7]+$/.test(s)) v = parseInt(s.slice(2), 8);
  else if (/^[0-9]+$/.test(s)) v = parseInt(s, 10);
  else return undefined;
  return v <= 0xffffffff ? v : undefined;
}

// Binding strength, loosest first (C's order).
const LEVELS: string[][] = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '<=', '>', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];
const SIZES: Record<string, 1 | 2 | 4> = { byte: 1, word: 2, dword: 4 };

class Parser {
  private p = 0;
  constructor(private readonly toks: Token[]) {}

  parse(): Node {
    const n = this.binary(0);
    const t = this.toks[this.p];
    if (t.t !== 'end') throw new ExprError(`unexpected '${t.text}'`, t.col);
    return n;
  }

  private peekOp(ops: string[]): string | undefined {
    const t = this.toks[this.p];
    return t.t === 'op' && ops.includes(t.text) ? t.text : undefined;
  }

  private binary(level: number): Node {
    if (level >= LEVELS.length) return this.unary();
    let a = this.binary(level + 1);
    for (let op = this.peekOp(LEVELS[level]); op; op = this.peekOp(LEVELS[level])) {
      this.p++;
      a = { k: 'bin', op, a, b: this.binary(level + 1) };
    }
    return a;
  }

  private unary(): Node {
    const op = this.peekOp(['-', '~', '!', '+']);
    if (op) {
      this.p++;
      const a = this.unary();
      return op === '+' ? a : { k: 'un', op, a };
    }
    return this.primary();
  }

  private primary(): Node {
    const t = this.toks[this.p++];
    if (t.t === 'num') return { k: 'num', v: t.value! };
    if (t.t === 'name') {
      const size = SIZES[t.text.toLowerCase()];
      const next = this.toks[this.p];
      if (size && next.t === 'op' && next.text === '[') return this.memory(size);
      return { k: 'name', name: t.text, col: t.col };
    }
    if (t.t === 'op' && t.text === '(') {
      const n = this.binary(0);
      this.expect(')');
      return n;
    }
    if (t.t === 'op' && t.text === '[') {
      this.p--;
      return this.memory(4);
    }
    throw new ExprError(t.t === 'end' ? 'expression ends too soon' : `unexpected '${t.text}'`, t.col);
  }

  private memory(size: 1 | 2 | 4): Node {
    this.expect('[');
    const addr = this.binary(0);
    this.expect(']');
    return { k: 'mem', size, addr };
  }

  private expect(op: string): void {
    const t = this.toks[this.p++];
    if (t.t !== 'op' || t.text !== op) throw new ExprError(`expected '${op}'${t.t === 'end' ? ' at the end' : ` before '${t.text}'`}`, t.col);
  }
}

export interface Compiled {
  readonly text: string;
  /** every name the expression uses (to check them early and to know what it depends on) */
  readonly names: readonly string[];
  readonly readsMemory: boolean;
  /**
   * The first test the expression makes when it is `x == y && …` (or just `x == y`) with x and y
   * names or numbers: false there means false overall, without evaluating the rest, so a
   * caller may skip evaluations it can tell will fail that test.
   */
  readonly leadingEquality?: readonly [Operand, Operand];
  evaluate(env: ExprEnv): number;
}

export type Operand = { name: string } | { value: number };

function leadingEquality(root: Node): readonly [Operand, Operand] | undefined {
  let n = root;
  while (n.k === 'bin' && n.op === '&&') n = n.a;
  if (n.k !== 'bin' || n.op !== '==') return undefined;
  const operand = (x: Node): Operand | undefined => (x.k === 'num' ? { value: x.v } : x.k === 'name' ? { name: x.name } : undefined);
  const a = operand(n.a);
  const b = operand(n.b);
  return a && b ? [a, b] : undefined;
}

type Eval = (env: ExprEnv) => number;

/**
 * The tree as nested closures, built once: a condition on every hypercall of a run is then a
 * few direct calls, not a walk that re-reads each node's kind and operator.
 */
function closure(n: Node): Eval {
  switch (n.k) {
    case 'num': {
      const v = n.v;
      return () => v;
    }
    case 'name': {
      const { name, col } = n;
      return (env) => {
        const v = env.lookup(name);
        if (v === undefined) throw new ExprError(`'${name}' is not a register, symbol or constant here`, col);
        return v >>> 0;
      };
    }
    case 'mem': {
      const addr = closure(n.addr);
      const size = n.size;
      return (env) => {
        const at = addr(env);
        const v = env.read(at, size);
        if (v === undefined) throw new ExprError(`memory at 0x${at.toString(16)} is not mapped`);
        return v >>> 0;
      };
    }
    case 'un': {
      const a = closure(n.a);
      if (n.op === '-') return (env) => -a(env) >>> 0;
      if (n.op === '~') return (env) => ~a(env) >>> 0;
      return (env) => (a(env) === 0 ? 1 : 0);
    }
    case 'bin':
      return binary(n.op, closure(n.a), closure(n.b));
  }
}

function binary(op: string, a: Eval, b: Eval): Eval {
  switch (op) {
    // && and || short-circuit, so `ebx == 4 && [ecx] == 3` does not read through a bad pointer
    case '&&':
      return (env) => (a(env) !== 0 && b(env) !== 0 ? 1 : 0);
    case '||':
      return (env) => (a(env) !== 0 || b(env) !== 0 ? 1 : 0);
    case '+':
      return (env) => (a(env) + b(env)) >>> 0;
    case '-':
      return (env) => (a(env) - b(env)) >>> 0;
    case '*':
      return (env) => Number((BigInt(a(env)) * BigInt(b(env))) & 0xffffffffn);
    case '/':
    case '%':
      return (env) => {
        const x = a(env);
        const y = b(env);
        if (y === 0) throw new ExprError('division by zero');
        return (op === '/' ? Math.floor(x / y) : x % y) >>> 0;
      };
    case '<<':
      return (env) => {
        const x = a(env);
        const y = b(env);
        return y >= 32 ? 0 : (x << y) >>> 0;
      };
    case '>>':
      return (env) => {
        const x = a(env);
        const y = b(env);
        return y >= 32 ? 0 : x >>> y;
      };
    case '&':
      return (env) => (a(env) & b(env)) >>> 0;
    case '|':
      return (env) => (a(env) | b(env)) >>> 0;
    case '^':
      return (env) => (a(env) ^ b(env)) >>> 0;
    case '==':
      return (env) => (a(env) === b(env) ? 1 : 0);
    case '!=':
      return (env) => (a(env) !== b(env) ? 1 : 0);
    case '<':
      return (env) => (a(env) < b(env) ? 1 : 0);
    case '<=':
      return (env) => (a(env) <= b(env) ? 1 : 0);
    case '>':
      return (env) => (a(env) > b(env) ? 1 : 0);
    case '>=':
      return (env) => (a(env) >= b(env) ? 1 : 0);
  }
  throw new ExprError(`unknown operator '${op}'`);
}

function collect(n: Node, names: Set<string>): boolean {
  switch (n.k) {
    case 'num':
      return false;
    case 'name':
      names.add(n.name);
      return false;
    case 'mem':
      collect(n.addr, names);
      return true;
    case 'un':
      return collect(n.a, names);
    case 'bin': {
      const a = collect(n.a, names);
      return collect(n.b, names) || a;
    }
  }
}

/** Parses `text`; throws ExprError naming the column of the first problem. */
export function compile(text: string): Compiled {
  if (text.trim() === '') throw new ExprError('empty expression');
  const root = new Parser(tokenize(text)).parse();
  const names = new Set<string>();
  const readsMemory = collect(root, names);
  return { text, names: [...names], readsMemory, leadingEquality: leadingEquality(root), evaluate: closure(root) };
}

/** One-shot evaluation for the REPL, watch and hover. */
export function evaluate(text: string, env: ExprEnv): number {
  return compile(text).evaluate(env);
}
