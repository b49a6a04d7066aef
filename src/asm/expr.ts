/**
 * NASM expressions: parsed once into a tree, evaluated on every pass.
 * Values are 64-bit two's complement (bigint). A value also carries whether every symbol in
 * it is known on this pass, and how many label addresses it still contains (`reloc`):
 * NASM never shortens a label address to an 8-bit immediate or displacement, while a
 * difference of two labels is a plain number.
 */
import { Token } from './lexer';

export type Expr =
  | { k: 'num'; v: bigint }
  | { k: 'sym'; name: string; col: number }
  | { k: 'here'; base: boolean; col: number }
  | { k: 'un'; op: string; a: Expr; col: number }
  | { k: 'bin'; op: string; a: Expr; b: Expr; col: number }
  | { k: 'cond'; c: Expr; a: Expr; b: Expr };

export interface Value {
  v: bigint;
  known: boolean;
  reloc: number;
  /** section of the (last) label in the value, for jumps across sections */
  section?: number;
  /** label addresses combined in a way a data item cannot hold (NASM: "not simple or relocatable") */
  complex?: boolean;
  /** minus a label of another section than the current one: no operand or data can hold it */
  across?: boolean;
  /** a label of another section minus one of this section (NASM: a self-relative relocation) */
  selfRel?: boolean;
  /** mentions a symbol defined further down the source (a forward reference) */
  forward?: boolean;
}

export interface SymbolValue extends Value {}

export interface EvalContext {
  /** the value of a symbol, or undefined when it is not (yet) defined */
  symbol(name: string): SymbolValue | undefined;
  /** `$` (base=false) or `$$` (base=true); undefined where there is none (preprocessor) */
  here(base: boolean): Value | undefined;
  /** a symbol is undefined: the context decides whether that is an error yet */
  undefinedSymbol(name: string, col: number): void;
  error(col: number, message: string): void;
}

export class ExprSyntaxError extends Error {
  constructor(message: string, readonly col: number) {
    super(message);
  }
}

const LEVELS: string[][] = [
  ['||'],
  ['^^'],
  ['&&'],
  ['=', '==', '!=', '<>', '<', '<=', '>', '>=', '<=>'],
  ['|'],
  ['^'],
  ['&'],
  ['<<', '>>', '<<<', '>>>'],
  ['+', '-'],
  ['*', '/', '//', '%', '%%'],
];
const LEVEL_OF = new Map<string, number>();
LEVELS.forEach((ops, i) => ops.forEach((o) => LEVEL_OF.set(o, i)));

/** A cursor over a token list that the statement parser and the expression parser share. */
export class Cursor {
  i = 0;
  constructor(readonly toks: readonly Token[], readonly endCol: number) {}
  peek(): Token | undefined {
    return this.toks[this.i];
  }
  next(): Token | undefined {
    return this.toks[this.i++];
  }
  atEnd(): boolean {
    return this.i >= this.toks.length;
  }
  isOp(s: string): boolean {
    const t = this.toks[this.i];
    return t !== undefined && t.k === 'op' && t.s === s;
  }
  eatOp(s: string): boolean {
    if (!this.isOp(s)) return false;
    this.i++;
    return true;
  }
  isId(s: string): boolean {
    const t = this.toks[this.i];
    return t !== undefined && t.k === 'id' && t.s.toLowerCase() === s;
  }
  col(): number {
    return this.toks[this.i]?.col ?? this.endCol;
  }
  fail(message: string): never {
    throw new ExprSyntaxError(message, this.col());
  }
}

/**
 * Parse an expression. `localize` turns a `.x` name into its full name (the parser knows the
 * last non-local label). Strings become their little-endian character-constant value.
 */
export function parseExpr(c: Cursor, localize: (name: string) => string): Expr {
  const primary = (): Expr => {
    const t = c.next();
    if (!t) return c.fail('expression expected');
    switch (t.k) {
      case 'num':
        return { k: 'num', v: t.v! };
      case 'str':
        return { k: 'num', v: charConst(t.b!) };
      case 'id':
        return { k: 'sym', name: localize(t.s), col: t.col };
      case 'op':
        if (t.s === '(') {
          const e = cond();
          if (!c.eatOp(')')) c.fail("expecting `)'");
          return e;
        }
        if (t.s === '$' || t.s === '$$') return { k: 'here', base: t.s === '$$', col: t.col };
        if (t.s === '-' || t.s === '+' || t.s === '~' || t.s === '!') {
          const a = primary();
          if (a.k === 'num') return { k: 'num', v: unop(t.s, a.v) };
          return { k: 'un', op: t.s, a, col: t.col };
        }
        break;
      default:
        break;
    }
    c.i--;
    return c.fail(`expression syntax error at \`${t.s}'`);
  };
  const binary = (level: number): Expr => {
    if (level >= LEVELS.length) return primary();
    let a = binary(level + 1);
    for (;;) {
      const t = c.peek();
      if (!t || t.k !== 'op' || LEVEL_OF.get(t.s) !== level) return a;
      c.i++;
      const b = binary(level + 1);
      a = fold({ k: 'bin', op: t.s, a, b, col: t.col });
    }
  };
  const cond = (): Expr => {
    const e = binary(0);
    if (!c.isOp('?')) return e;
    c.i++;
    const a = cond();
    if (!c.eatOp(':')) c.fail("expecting `:'");
    const b = cond();
    return { k: 'cond', c: e, a, b };
  };
  return cond();
}

/** Little-endian value of a character constant ('ab' = 0x6261), at most 8 bytes. */
export function charConst(bytes: readonly number[]): bigint {
  let v = 0n;
  for (let i = Math.min(bytes.length, 8) - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return BigInt.asIntN(64, v);
}

// Constant subtrees are folded at parse time so passes only walk what depends on symbols.
function fold(e: Expr): Expr {
  if (e.k === 'bin' && e.a.k === 'num' && e.b.k === 'num' && !((e.op[0] === '/' || e.op[0] === '%') && e.b.v === 0n)) {
    return { k: 'num', v: binop(e.op, e.a.v, e.b.v) };
  }
  return e;
}

const U64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const S64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const bool = (x: boolean): bigint => (x ? 1n : 0n);

function binop(op: string, a: bigint, b: bigint): bigint {
  switch (op) {
    case '+': return S64(a + b);
    case '-': return S64(a - b);
    case '*': return S64(a * b);
    case '/': return S64(U64(a) / U64(b));
    case '//': return S64(a / b);
    case '%': return S64(U64(a) % U64(b));
    case '%%': return S64(a % b);
    case '<<': case '<<<': return b >= 64n || b < 0n ? 0n : S64(a << b);
    case '>>': return b >= 64n || b < 0n ? 0n : S64(U64(a) >> b);
    case '>>>': return S64(a >> (b >= 64n || b < 0n ? 63n : b));
    case '&': return a & b;
    case '|': return a | b;
    case '^': return a ^ b;
    case '=': case '==': return bool(a === b);
    case '!=': case '<>': return bool(a !== b);
    case '<': return bool(a < b);
    case '<=': return bool(a <= b);
    case '>': return bool(a > b);
    case '>=': return bool(a >= b);
    // NASM 2.16 documents -1/0/1 but yields 1 only for `>` and 0 otherwise; the oracle wins
    case '<=>': return bool(a > b);
    case '&&': return bool(a !== 0n && b !== 0n);
    case '||': return bool(a !== 0n || b !== 0n);
    case '^^': return bool((a !== 0n) !== (b !== 0n));
  }
  throw new Error(`unknown operator ${op}`);
}

function unop(op: string, a: bigint): bigint {
  return op === '-' ? S64(-a) : op === '+' ? a : op === '~' ? ~a : bool(a === 0n);
}

const UNKNOWN: Value = { v: 0n, known: false, reloc: 0 };

/** Evaluate on this pass. Unknown symbols give `known: false` (value 0), never an exception. */
export function evaluate(e: Expr, ctx: EvalContext): Value {
  switch (e.k) {
    case 'num':
      return { v: e.v, known: true, reloc: 0 };
    case 'sym': {
      const s = ctx.symbol(e.name);
      if (s) return s;
      ctx.undefinedSymbol(e.name, e.col);
      return UNKNOWN;
    }
    case 'here': {
      const h = ctx.here(e.base);
      if (h) return h;
      ctx.error(e.col, `\`${e.base ? '$$' : '$'}' is not allowed here`);
      return UNKNOWN;
    }
    case 'un': {
      const a = evaluate(e.a, ctx);
      if (e.op === '+') return a;
      const reloc = e.op === '-' ? -a.reloc : 0;
      return { v: unop(e.op, a.v), known: a.known, reloc, section: a.section };
    }
    case 'cond': {
      const c = evaluate(e.c, ctx);
      const r = c.v !== 0n ? evaluate(e.a, ctx) : evaluate(e.b, ctx);
      return c.known ? r : { ...r, known: false };
    }
    case 'bin': {
      const a = evaluate(e.a, ctx);
      const b = evaluate(e.b, ctx);
      const known = a.known && b.known;
      if ((e.op[0] === '/' || e.op[0] === '%') && b.v === 0n) {
        if (known) ctx.error(e.col, 'division by zero');
        return { v: 0n, known, reloc: 0 };
      }
      const r = combine(e.op, e.col, a, b, binop(e.op, a.v, b.v), known, ctx);
      if (a.forward || b.forward) r.forward = true;
      return r;
    }
  }
}

/** Relocation bookkeeping of `a op b` (see Value): what NASM could still emit for it. */
function combine(op: string, col: number, a: Value, b: Value, v: bigint, known: boolean, ctx: EvalContext): Value {
  const section = a.reloc ? a.section : b.section;
  const inner = a.complex || b.complex;
  const wasAcross = a.across || b.across;
  if (op === '+') return { v, known, reloc: a.reloc + b.reloc, section, complex: inner || (a.reloc !== 0 && b.reloc !== 0), across: wasAcross };
  if (op === '-') {
    // Across sections NASM can only emit a self-relative value (minus a label of this section);
    // that stays a relocation, which it never shortens.
    const twoSections = a.reloc !== 0 && b.reloc !== 0 && a.section !== b.section;
    const across = wasAcross || (twoSections && b.section !== ctx.here(false)?.section);
    const reloc = twoSections && !across ? a.reloc : a.reloc - b.reloc;
    return { v, known, reloc, section, complex: inner || across, across, selfRel: twoSections && !across };
  }
  if (op.startsWith('<<') || op.startsWith('>>')) {
    if ((a.reloc || b.reloc) && known) ctx.error(col, 'shift operator may only be applied to scalar values');
  }
  const reloc = a.reloc || b.reloc ? 1 : 0;
  return { v, known, reloc, section, complex: inner || reloc !== 0, across: wasAcross };
}

/** True when the expression mentions no symbol, `$` or `$$`. */
export function isConstant(e: Expr): e is { k: 'num'; v: bigint } {
  return e.k === 'num';
}
