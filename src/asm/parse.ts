/**
 * Statements from preprocessed token lines: labels, instructions with their operands still as
 * expressions, data and space directives, sections and the other assembler directives.
 * Parsing happens once; the passes only evaluate the expressions kept here.
 */
import { Diagnostics } from './diagnostics';
import { Cursor, Expr, ExprSyntaxError, parseExpr } from './expr';
import { Token } from './lexer';
import { Register, Size } from './operand';
import { SourceLine } from './preprocess';
import { register } from './registers';

export type MemSize = Size | 6 | 10;

export type OperandAst =
  | { k: 'reg'; reg: Register; col: number }
  | { k: 'imm'; e: Expr; size?: Size; strict: boolean; jump?: 'short' | 'near' | 'far'; col: number }
  | { k: 'far'; seg: Expr; off: Expr; size?: 2 | 4; col: number }
  | {
      k: 'mem';
      size?: MemSize;
      seg?: Register;
      /** registers with their multipliers, in source order (`scaled`: written with `*`) */
      regs: AddressReg[];
      disp?: Expr;
      dispSize?: 1 | 2 | 4;
      nosplit: boolean;
      far: boolean;
      col: number;
    };

export interface AddressReg {
  reg: Register;
  /** the multiplier, or with `mulExpr` only its sign (±1) */
  mul: number;
  scaled: boolean;
  /** a multiplier written as an expression (`ecx*S`, `(S/2)*ecx`): evaluated when operands are shaped */
  mulExpr?: Expr;
}

export type DataItem = { k: 'expr'; e: Expr; col: number } | { k: 'str'; bytes: number[] } | { k: 'undef' };

export type Body =
  | { k: 'insn'; prefixes: string[]; mnemonic: string; ops: OperandAst[]; col: number }
  | { k: 'prefix'; prefixes: string[]; col: number }
  | { k: 'data'; size: number; items: DataItem[] }
  | { k: 'res'; size: number; count: Expr; col: number }
  | { k: 'equ'; e: Expr; col: number }
  | { k: 'org'; e: Expr; col: number }
  | { k: 'bits'; bits: 16 | 32 }
  | { k: 'section'; name: string; attrs: Token[]; col: number }
  | { k: 'absolute'; e: Expr; col: number }
  | { k: 'align'; e: Expr; b: boolean; fill?: Body; col: number }
  | { k: 'sectalign'; e: Expr; col: number }
  | { k: 'struc'; name: string; e?: Expr; col: number }
  | { k: 'endstruc'; col: number }
  | { k: 'istruc'; name: string; col: number }
  | { k: 'at'; field: Expr; body?: Body; col: number }
  | { k: 'iend'; col: number }
  | { k: 'incbin'; file: string; skip?: Expr; len?: Expr; col: number }
  | { k: 'none' };

export interface Statement {
  src: SourceLine;
  label?: { name: string; col: number; local: boolean };
  times?: { e: Expr; col: number };
  body: Body;
}

// Maps, not object literals: a label called `constructor` must not look like a keyword.
const DATA = new Map(Object.entries({ db: 1, dw: 2, dd: 4, dq: 8, dt: 10, do: 16, dy: 32, dz: 64 }));
const RES = new Map(Object.entries({ resb: 1, resw: 2, resd: 4, resq: 8, rest: 10, reso: 16, resy: 32, resz: 64 }));
const SIZES = new Map<string, MemSize>([['byte', 1], ['word', 2], ['dword', 4], ['qword', 8], ['fword', 6], ['tword', 10]]);
export const PREFIXES = new Set(['lock', 'rep', 'repe', 'repz', 'repne', 'repnz', 'o16', 'o32', 'a16', 'a32', 'es', 'cs', 'ss', 'ds', 'fs', 'gs']);
const IGNORED = new Set(['global', 'extern', 'common', 'cpu', 'default', 'static', 'required', 'map', 'float', 'warning', 'list']);
const DIRECTIVES = new Set([
  'bits', 'use16', 'use32', 'org', 'section', 'segment', 'absolute', 'align', 'alignb', 'sectalign',
  'struc', 'endstruc', 'istruc', 'at', 'iend', 'times', 'equ', 'incbin', ...IGNORED,
]);

const KEYWORDS = new Set([...DATA.keys(), ...RES.keys(), ...DIRECTIVES, ...PREFIXES]);

/** Names that start a statement (so a first word followed by one of these is a label). */
export function isKeyword(lower: string): boolean {
  return KEYWORDS.has(lower);
}

export interface ParseOptions {
  /** true for an instruction mnemonic the encoder knows (decides `foo` alone: label or instruction) */
  isMnemonic?: (lower: string) => boolean;
}

export class Parser {
  /** the last non-local label: `.x` means `<lastGlobal>.x` */
  private lastGlobal = '';
  private readonly localize = (name: string): string =>
    name.startsWith('.') && !name.startsWith('..') ? this.lastGlobal + name : name;

  constructor(private readonly diag: Diagnostics, private readonly opts: ParseOptions = {}) {}

  parseAll(lines: readonly SourceLine[]): Statement[] {
    const out: Statement[] = [];
    for (const l of lines) {
      const s = this.parseLine(l);
      if (s) out.push(s);
    }
    return out;
  }

  private src: SourceLine | undefined;

  parseLine(src: SourceLine): Statement | undefined {
    this.src = src;
    let toks = src.toks;
    // NASM's primitive form `[bits 32]`, `[section .text]`
    if (toks.length >= 2 && toks[0].s === '[' && toks[toks.length - 1].s === ']' && toks[1].k === 'id' && DIRECTIVES.has(toks[1].s.toLowerCase())) {
      toks = toks.slice(1, -1);
    }
    const endCol = toks.length ? toks[toks.length - 1].col + toks[toks.length - 1].s.length : 1;
    const c = new Cursor(toks, endCol);
    try {
      return this.statement(c, src);
    } catch (e) {
      if (!(e instanceof ExprSyntaxError)) throw e;
      this.diag.error(src, e.col, e.message);
      return undefined;
    }
  }

  private statement(c: Cursor, src: SourceLine): Statement | undefined {
    if (c.atEnd()) return undefined;
    const st: Statement = { src, body: { k: 'none' } };
    const first = c.peek()!;
    if (first.k === 'id') {
      const lower = first.s.toLowerCase();
      const second = c.toks[1];
      const colon = second?.k === 'op' && second.s === ':';
      const nextIsKeyword = second?.k === 'id' && isKeyword(second.s.toLowerCase()) && !PREFIXES.has(second.s.toLowerCase());
      const isMn = this.opts.isMnemonic;
      const nextIsMnemonic = second?.k === 'id' && isMn !== undefined && isMn(second.s.toLowerCase()) && !isMn(lower);
      const alone = second === undefined;
      const labelLike =
        colon ||
        ((first.esc || (!isKeyword(lower) && register(lower) === undefined)) &&
          (nextIsKeyword || nextIsMnemonic || (alone && isMn !== undefined && !isMn(lower))));
      if (labelLike) {
        c.i += colon ? 2 : 1;
        // `.x` and macro-local `..@n.x` labels are local: they do not end the previous label's scope
        const local = first.s.startsWith('.') && (!first.s.startsWith('..') || first.s.startsWith('..@'));
        const name = this.localize(first.s);
        const isEqu = c.isId('equ');
        if (!local && !isEqu && !first.s.startsWith('..')) this.lastGlobal = first.s;
        st.label = { name, col: first.col, local };
        if (alone && !colon) this.diag.warning(src, first.col, 'label alone on a line without a colon might be in error');
      }
    }
    if (c.atEnd()) return st;
    if (c.isId('times')) {
      const t = c.next()!;
      st.times = { e: this.expr(c), col: t.col };
      if (c.atEnd()) c.fail('`times\' expects an instruction or data after its count');
    }
    st.body = this.body(c, st);
    if (!c.atEnd()) c.fail(`comma, colon, decorator or end of line expected, got \`${c.peek()!.s}'`);
    return st;
  }

  private expr(c: Cursor): Expr {
    return parseExpr(c, this.localize);
  }

  private body(c: Cursor, st: Statement): Body {
    const t = c.peek()!;
    if (t.k !== 'id') c.fail(`instruction expected, got \`${t.s}'`);
    const word = t.s.toLowerCase();
    const col = t.col;
    const dataSize = DATA.get(word);
    if (dataSize !== undefined) {
      c.i++;
      return { k: 'data', size: dataSize, items: this.dataItems(c) };
    }
    const resSize = RES.get(word);
    if (resSize !== undefined) {
      c.i++;
      return { k: 'res', size: resSize, count: this.expr(c), col };
    }
    switch (word) {
      case 'equ':
        c.i++;
        if (!st.label) c.fail('`equ\' without a label');
        return { k: 'equ', e: this.expr(c), col };
      case 'bits':
      case 'use16':
      case 'use32': {
        c.i++;
        let bits = word === 'use16' ? 16 : 32;
        if (word === 'bits') {
          const n = c.next();
          if (!n || n.k !== 'num' || (n.v !== 16n && n.v !== 32n)) {
            throw new ExprSyntaxError(n?.v === 64n ? '64-bit code is not supported (IA-32 only)' : '`bits\' expects 16 or 32', n?.col ?? c.col());
          }
          bits = Number(n.v);
        }
        return { k: 'bits', bits: bits as 16 | 32 };
      }
      case 'org':
        c.i++;
        return { k: 'org', e: this.expr(c), col };
      case 'section':
      case 'segment': {
        c.i++;
        const n = c.next();
        if (!n || n.k !== 'id') c.fail('`section\' expects a section name');
        const attrs = c.toks.slice(c.i);
        c.i = c.toks.length;
        return { k: 'section', name: n.s, attrs, col };
      }
      case 'absolute':
        c.i++;
        return { k: 'absolute', e: this.expr(c), col };
      case 'align':
      case 'alignb': {
        c.i++;
        const e = this.expr(c);
        const fill = c.eatOp(',') ? this.body(c, st) : undefined;
        return { k: 'align', e, b: word === 'alignb', fill, col };
      }
      case 'sectalign':
        c.i++;
        if (c.isId('on') || c.isId('off')) {
          c.i++;
          return { k: 'none' };
        }
        return { k: 'sectalign', e: this.expr(c), col };
      case 'struc': {
        c.i++;
        const n = c.next();
        if (!n || n.k !== 'id') c.fail('`struc\' expects a structure name');
        this.lastGlobal = n.s;
        const e = c.eatOp(',') ? this.expr(c) : undefined;
        return { k: 'struc', name: n.s, e, col };
      }
      case 'endstruc':
        c.i++;
        return { k: 'endstruc', col };
      case 'istruc': {
        c.i++;
        const n = c.next();
        if (!n || n.k !== 'id') c.fail('`istruc\' expects a structure name');
        return { k: 'istruc', name: n.s, col };
      }
      case 'at': {
        c.i++;
        const field = this.expr(c);
        const body = c.eatOp(',') && !c.atEnd() ? this.body(c, st) : undefined;
        return { k: 'at', field, body, col };
      }
      case 'iend':
        c.i++;
        return { k: 'iend', col };
      case 'incbin': {
        c.i++;
        const f = c.next();
        if (!f || f.k !== 'str') throw new ExprSyntaxError('`incbin\' expects a file name in quotes', f?.col ?? c.col());
        const skip = c.eatOp(',') ? this.expr(c) : undefined;
        const len = skip && c.eatOp(',') ? this.expr(c) : undefined;
        return { k: 'incbin', file: Buffer.from(f.b!).toString('utf8'), skip, len, col };
      }
    }
    if (IGNORED.has(word)) {
      c.i = c.toks.length;
      return { k: 'none' };
    }
    return this.instruction(c);
  }

  private dataItems(c: Cursor): DataItem[] {
    const items: DataItem[] = [];
    if (c.atEnd()) {
      this.diag.warning(this.src!, c.col(), 'no operand for data declaration'); // NASM: a warning
      return items;
    }
    do {
      const t = c.peek();
      if (!t) c.fail('expression expected after `,\'');
      const after = c.toks[c.i + 1];
      if (t.k === 'str' && (!after || (after.k === 'op' && after.s === ','))) {
        c.i++;
        items.push({ k: 'str', bytes: t.b! });
      } else if (t.k === 'op' && t.s === '?' && (!after || after.s === ',')) {
        c.i++;
        items.push({ k: 'undef' });
      } else {
        items.push({ k: 'expr', e: this.expr(c), col: t.col });
      }
    } while (c.eatOp(','));
    return items;
  }

  private instruction(c: Cursor): Body {
    const prefixes: string[] = [];
    let col = c.col();
    while (c.peek()?.k === 'id' && PREFIXES.has(c.peek()!.s.toLowerCase())) {
      prefixes.push(c.next()!.s.toLowerCase());
      col = c.col();
    }
    if (c.atEnd()) return { k: 'prefix', prefixes, col: c.toks[c.toks.length - 1].col };
    const m = c.next()!;
    if (m.k !== 'id') throw new ExprSyntaxError(`instruction expected, got \`${m.s}'`, m.col);
    const ops: OperandAst[] = [];
    if (!c.atEnd()) {
      do ops.push(this.operand(c));
      while (c.eatOp(','));
    }
    return { k: 'insn', prefixes, mnemonic: m.s.toLowerCase(), ops, col };
  }

  private operand(c: Cursor): OperandAst {
    const col = c.col();
    let size: MemSize | undefined;
    let strict = false;
    let jump: 'short' | 'near' | 'far' | undefined;
    for (;;) {
      const t = c.peek();
      if (!t || t.k !== 'id') break;
      const w = t.s.toLowerCase();
      if (SIZES.has(w)) size = SIZES.get(w);
      else if (w === 'strict') strict = true;
      else if (w === 'short' || w === 'near' || w === 'far') jump = w;
      else break;
      c.i++;
    }
    const t = c.peek();
    if (!t) c.fail('operand expected');
    // register, or segment override before brackets (`es:[ebx]`)
    if (t.k === 'id') {
      const reg = t.esc ? undefined : register(t.s);
      if (reg) {
        const after = c.toks[c.i + 1];
        if (reg.cls === 'seg' && after?.k === 'op' && after.s === ':' && c.toks[c.i + 2]?.s === '[') {
          c.i += 2;
          return this.memory(c, col, size, reg, jump === 'far');
        }
        if (!after || (after.k === 'op' && after.s === ',')) {
          c.i++;
          return { k: 'reg', reg, col };
        }
      }
    }
    if (t.k === 'op' && t.s === '[') return this.memory(c, col, size, undefined, jump === 'far');
    const e = this.expr(c);
    if (c.eatOp(':')) {
      const off = this.expr(c);
      return { k: 'far', seg: e, off, size: size === 2 || size === 4 ? size : undefined, col };
    }
    if (size !== undefined && size !== 1 && size !== 2 && size !== 4 && size !== 8) {
      throw new ExprSyntaxError('invalid size for an immediate operand', col);
    }
    return { k: 'imm', e, size: size as Size | undefined, strict, jump, col };
  }

  private memory(c: Cursor, col: number, size: MemSize | undefined, seg: Register | undefined, far: boolean): OperandAst {
    c.i++; // '['
    let dispSize: 1 | 2 | 4 | undefined;
    let nosplit = false;
    for (;;) {
      const t = c.peek();
      if (t?.k !== 'id') break;
      const w = t.s.toLowerCase();
      if (w === 'byte') dispSize = 1;
      else if (w === 'word') dispSize = 2;
      else if (w === 'dword') dispSize = 4;
      else if (w === 'nosplit') nosplit = true;
      else if (register(w)?.cls === 'seg' && c.toks[c.i + 1]?.s === ':') {
        seg = register(w);
        c.i++;
      } else break;
      c.i++;
    }
    // the bracket's contents, up to the matching `]`
    const start = c.i;
    let depth = 0;
    while (!c.atEnd()) {
      const t = c.peek()!;
      if (t.k === 'op' && t.s === '[') depth++;
      if (t.k === 'op' && t.s === ']' && depth-- === 0) break;
      c.i++;
    }
    if (c.atEnd()) c.fail("expecting `]'");
    const inner = c.toks.slice(start, c.i);
    c.i++; // ']'
    const { regs, disp } = this.splitAddress(inner, c.col());
    return { k: 'mem', size, seg, regs, disp, dispSize, nosplit, far, col };
  }

  /**
   * Split `ebx+esi*4+8` into registers with multipliers and a displacement expression.
   * Terms are separated by top-level `+`/`-`; a term holding a register must be `reg`,
   * `reg*n` or `n*reg`. Everything else forms the displacement, signs kept.
   */
  private splitAddress(toks: Token[], endCol: number): { regs: AddressReg[]; disp?: Expr } {
    const regs: AddressReg[] = [];
    const dispToks: Token[] = [];
    let depth = 0;
    let termStart = 0;
    const flush = (end: number): void => {
      let term = toks.slice(termStart, end);
      let sign = 1;
      let signTok: Token | undefined;
      if (term.length && term[0].k === 'op' && (term[0].s === '+' || term[0].s === '-')) {
        signTok = term[0];
        sign = term[0].s === '-' ? -1 : 1;
        term = term.slice(1);
      }
      const regAt = term.findIndex((t) => t.k === 'id' && !t.esc && register(t.s) !== undefined);
      if (regAt < 0) {
        if (signTok) dispToks.push(signTok);
        dispToks.push(...term);
        return;
      }
      const reg = register(term[regAt].s)!;
      let mul = 1;
      let mulToks: Token[] | undefined;
      const rest = term.filter((_, i) => i !== regAt);
      if (rest.length === 2 && rest[0].s === '*' && rest[1].k === 'num' && regAt === 0) mul = Number(rest[1].v);
      else if (rest.length === 2 && rest[1].s === '*' && rest[0].k === 'num' && regAt === 2) mul = Number(rest[0].v);
      // NASM scales by any expression that is a constant by then (`ecx*S` with `S equ 4`)
      else if (rest.length >= 2 && regAt === 0 && rest[0].k === 'op' && rest[0].s === '*') mulToks = rest.slice(1);
      else if (rest.length >= 2 && regAt === term.length - 1 && term[regAt - 1].k === 'op' && term[regAt - 1].s === '*') mulToks = term.slice(0, regAt - 1);
      else if (rest.length) throw new ExprSyntaxError('invalid effective address', term[0].col);
      if (reg.cls !== 'gpr' || reg.size === 1) throw new ExprSyntaxError('invalid effective address', term[regAt].col);
      if (mulToks) {
        const c = new Cursor(mulToks, endCol);
        const mulExpr = this.expr(c);
        if (!c.atEnd()) c.fail(`expression syntax error at \`${c.peek()!.s}'`);
        regs.push({ reg, mul: sign, scaled: true, mulExpr });
        return;
      }
      const prev = regs.find((r) => r.reg === reg && !r.mulExpr);
      if (prev) prev.mul += sign * mul;
      else regs.push({ reg, mul: sign * mul, scaled: rest.length > 0 });
    };
    for (let i = 0; i < toks.length; i++) {
      const t = toks[i];
      if (t.k !== 'op') continue;
      if (t.s === '(') depth++;
      else if (t.s === ')') depth--;
      else if (depth === 0 && (t.s === '+' || t.s === '-') && i > termStart) {
        const prev = toks[i - 1];
        const binary = prev.k !== 'op' || prev.s === ')' || prev.s === '$' || prev.s === '$$';
        if (binary) {
          flush(i);
          termStart = i;
        }
      }
    }
    if (termStart < toks.length) flush(toks.length);
    const live = regs.filter((r) => r.mul !== 0);
    if (dispToks.length === 0) return { regs: live };
    const c = new Cursor(dispToks, endCol);
    const disp = this.expr(c);
    if (!c.atEnd()) c.fail(`expression syntax error at \`${c.peek()!.s}'`);
    return { regs: live, disp };
  }
}
