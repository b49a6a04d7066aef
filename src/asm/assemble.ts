/**
 * The passes: evaluate every statement with the label addresses of the previous pass until
 * no address changes (NASM's optimiser: the encoder picks short forms from the values and
 * their `known` flags), then lay the sections out as `nasm -f bin` does.
 */
import { Diagnostic, Diagnostics, SourceLocation } from './diagnostics';
import { Cursor, EvalContext, Expr, ExprSyntaxError, Value, evaluate, parseExpr } from './expr';
import { layout, Section } from './layout';
import { LineMap, LineMapEntry } from './linemap';
import { listingRows } from './listing';
import { EncodeError, Instruction } from './operand';
import { Body, Statement } from './parse';
import { BRANCHES, immediateWarnings, OperandContext, shapeOperand } from './operands';
import { MAX_SECTION_BYTES, OutputBuffer, OutputTooLarge } from './buffer';

export type Encoder = (ins: Instruction) => Uint8Array;

/** The bytes of an `incbin` file named in `from`, or undefined when it cannot be read. */
export type BinaryReader = (name: string, from: string) => Uint8Array | undefined;

export type SymbolKind = 'label' | 'local' | 'equ';

export interface AsmSymbol {
  name: string;
  /** address (labels) or value (equ) */
  address: number;
  /** bytes up to the next label of the same level in the section (labels only) */
  size?: number;
  kind: SymbolKind;
  section?: string;
  file: string;
  line: number;
  /** 1-based column of the name where it is defined */
  col: number;
}

export interface SectionInfo {
  name: string;
  progbits: boolean;
  /** load address (its place in the image) and the address labels in it use */
  start: number;
  vstart: number;
  length: number;
}

interface Sym {
  name: string;
  kind: SymbolKind;
  /** label in a section; absent for equ and absolute-space labels */
  section?: SectionState;
  offset: number;
  /** equ and absolute labels */
  value: bigint;
  reloc: number;
  known: boolean;
  definedPass: number;
  stmt: number;
  loc: SourceLocation;
  col: number;
  /** final value of the previous pass, to detect convergence */
  last?: bigint;
}

interface SectionState extends Section {
  index: number;
  /** where it was first named (undefined for .text) */
  loc?: SourceLocation;
  out: OutputBuffer;
  sectAlign?: number;
}

interface Istruc {
  name: string;
  start: number;
  col: number;
}

const MAX_PASSES = 64;
const MAX_BRANCH_COPIES = 1_000_000;
const NOP = 0x90;
const PREFIX_BYTES: Record<string, number> = {
  lock: 0xf0, rep: 0xf3, repe: 0xf3, repz: 0xf3, repne: 0xf2, repnz: 0xf2,
  es: 0x26, cs: 0x2e, ss: 0x36, ds: 0x3e, fs: 0x64, gs: 0x65,
};

export interface PassResult {
  image: Uint8Array;
  origin: number;
  lineMap: LineMap;
  symbols: AsmSymbol[];
  sections: SectionInfo[];
  listing?: string;
}

export class Assembler {
  private readonly syms = new Map<string, Sym>();
  private readonly sections: SectionState[] = [];
  private readonly byName = new Map<string, SectionState>();
  private pass = 0;
  /** first phase: a jump to a label further down is taken as short */
  private optimisticJumps = true;
  private diag = new Diagnostics();
  // per-pass state
  private cur!: SectionState;
  private absolute: number | undefined;
  private bits: 16 | 32 = 16;
  private org: number | undefined;
  private orgSet = false;
  private stmtIndex = 0;
  /** where the current statement began: `$` (NASM keeps it for every item and TIMES copy) */
  private stmtStart = 0;
  private loc!: SourceLocation;
  private forward = new Set<string>();
  private struc: { name: string; start: number; saved: SectionState; savedAbs: number | undefined } | undefined;
  private istruc: Istruc | undefined;
  private lines: LineMapEntry[] = [];
  private listing: string[] | undefined;

  constructor(
    private readonly stmts: readonly Statement[],
    private readonly encode: Encoder,
    private readonly finalDiag: Diagnostics,
    private readonly wantListing: boolean,
    private readonly readBinary: BinaryReader = () => undefined,
  ) {
    this.section('.text');
  }

  run(): PassResult {
    let origin = 0;
    for (;;) {
      this.pass++;
      this.diag = new Diagnostics();
      this.runPass();
      origin = layout(this.sections, this.org);
      const stable = this.converged();
      if (stable && this.optimisticJumps) {
        // NASM keeps forward jumps short while everything else settles, then sizes them
        this.optimisticJumps = false;
        continue;
      }
      if (stable || this.pass >= MAX_PASSES) {
        if (!stable) this.diag.error(this.stmts[0]?.src ?? { file: '', line: 1 }, 1, `label addresses still change after ${MAX_PASSES} passes`);
        break;
      }
    }
    for (const d of this.diag.list) this.finalDiag.report(d.severity, d, d.col, d.message);
    return {
      image: this.image(origin),
      origin,
      lineMap: new LineMap(this.lines),
      symbols: this.symbolTable(),
      sections: this.sections.map((s) => ({ name: s.name, progbits: s.progbits, start: s.lma, vstart: s.vma, length: s.length })),
      listing: this.listing?.join('\n') + '\n',
    };
  }

  // ---- passes ----

  private runPass(): void {
    for (const s of this.sections) {
      s.length = 0;
      s.out.reset();
      s.start = s.vstart = s.align = s.valign = s.sectAlign = s.follows = s.vfollows = undefined;
    }
    this.cur = this.byName.get('.text')!;
    this.absolute = undefined;
    this.bits = 16;
    this.org = undefined;
    this.orgSet = false;
    this.forward.clear();
    this.struc = undefined;
    this.istruc = undefined;
    this.lines = [];
    this.listing = this.wantListing ? [] : undefined;
    for (let i = 0; i < this.stmts.length; i++) {
      this.stmtIndex = i;
      this.statement(this.stmts[i]);
    }
    const open = this.struc as { name: string } | undefined; // set by statements of the loop above
    if (open) this.diag.error(this.loc, 1, `\`struc ${open.name}' has no \`endstruc'`);
  }

  private converged(): boolean {
    let stable = this.pass > 1;
    for (const name of this.forward) if (this.syms.get(name)?.definedPass === this.pass) stable = false;
    for (const s of this.syms.values()) {
      const v = this.valueOf(s).v;
      if (s.last !== v) stable = false;
      s.last = v;
    }
    return stable;
  }

  private statement(st: Statement): void {
    this.loc = st.src;
    const startSec = this.cur;
    const startOff = this.here();
    this.stmtStart = startOff;
    const startAbs = this.absolute;
    if (st.label && st.body.k !== 'equ') this.defineLabel(st.label.name, st.label.col, st.label.local ? 'local' : 'label');
    let copies = 1;
    try {
      if (st.times) {
        const n = this.critical(st.times.e, st.times.col, 'TIMES');
        copies = n;
        if (n < 0) this.diag.error(st.src, st.times.col, `TIMES value ${n} is negative`);
        else if (n > MAX_SECTION_BYTES) this.diag.error(st.src, st.times.col, `TIMES value ${n} is too large`);
        else this.times(n, st);
      } else this.body(st.body, st);
    } catch (e) {
      if (!(e instanceof OutputTooLarge)) throw e;
      this.diag.error(st.src, st.src.toks[0]?.col ?? 1, e.message);
    }
    if (this.cur === startSec && this.absolute === undefined && this.cur.progbits) {
      const size = this.here() - startOff;
      if (size > 0) this.lines.push({ address: this.cur.vma + startOff, size, file: st.src.file, line: st.src.line });
    }
    if (this.listing) this.listLine(st, startSec, startAbs ?? startOff, startAbs !== undefined, copies);
  }

  /**
   * TIMES: `$` stays the statement's start in every copy, so a copy differs from the first only
   * in a relative branch's displacement; everything else is assembled once and repeated.
   */
  private times(n: number, st: Statement): void {
    const b = st.body;
    const repeatable = b.k === 'data' || b.k === 'res' || b.k === 'prefix' || (b.k === 'insn' && !BRANCHES.test(b.mnemonic));
    if (!repeatable) {
      // each copy of a branch is encoded on its own (its displacement differs)
      if (n > MAX_BRANCH_COPIES) throw new OutputTooLarge(`TIMES value ${n} is too large for a jump (at most ${MAX_BRANCH_COPIES})`);
      for (let k = 0; k < n; k++) this.body(b, st);
      return;
    }
    if (n <= 0) return;
    const sec = this.cur;
    const first = this.here();
    this.body(b, st);
    const size = this.here() - first;
    if (this.cur !== sec || size <= 0) return;
    const rest = size * (n - 1);
    if (this.absolute !== undefined) this.absolute += rest;
    else {
      if (sec.progbits) sec.out.repeat(first, size, n - 1);
      sec.length += rest;
    }
  }

  private listLine(st: Statement, sec: SectionState, start: number, absolute: boolean, copies: number): void {
    const size = (absolute ? this.absolute ?? start : sec === this.cur ? this.cur.length : sec.length) - start;
    const stored = size > 0 && !absolute && sec.progbits && sec === this.cur;
    const bytes = stored ? sec.out.bytes(start + size).subarray(start) : undefined;
    this.listing!.push(...listingRows(st.src, start, size, bytes, copies));
  }

  /** offset in the current section, or the absolute address in absolute space */
  private here(): number {
    return this.absolute ?? this.cur.length;
  }

  // ---- expressions ----

  private readonly ctx: EvalContext = {
    symbol: (name) => {
      const s = this.syms.get(name);
      if (!s || s.definedPass === 0) return undefined;
      const v = this.valueOf(s);
      if (s.definedPass < this.pass || s.stmt > this.stmtIndex) v.forward = true;
      return v;
    },
    here: (base) => {
      if (this.absolute !== undefined) {
        const v = base ? BigInt(this.struc?.start ?? this.stmtStart) : BigInt(this.stmtStart);
        return { v, known: true, reloc: 0 };
      }
      const off = base ? 0 : this.stmtStart;
      return { v: BigInt(this.cur.vma + off), known: true, reloc: 1, section: this.cur.index };
    },
    undefinedSymbol: (name, col) => {
      this.forward.add(name);
      if (this.pass > 1) this.diag.error(this.loc, col, `symbol \`${name}' not defined`);
    },
    error: (col, message) => this.diag.error(this.loc, col, message),
  };

  private valueOf(s: Sym): Value {
    if (s.section) return { v: BigInt(s.section.vma + s.offset), known: true, reloc: 1, section: s.section.index };
    return { v: s.value, known: s.known, reloc: s.reloc };
  }

  private eval(e: Expr): Value {
    return evaluate(e, this.ctx);
  }

  /** A value the layout depends on (TIMES, RESB, ALIGN): unknown counts as 0 until it is known. */
  private critical(e: Expr, col: number, what: string): number {
    const v = this.eval(e);
    if (!v.known) {
      if (this.pass > 1) this.diag.error(this.loc, col, `non-constant argument supplied to ${what}`);
      return 0;
    }
    return Number(v.v);
  }

  // ---- symbols ----

  private defineLabel(name: string, col: number, kind: SymbolKind): void {
    const s = this.symbol(name, col, kind);
    if (!s) return;
    if (this.absolute !== undefined) {
      s.section = undefined;
      s.value = BigInt(this.absolute);
      s.reloc = 0;
      s.known = true;
    } else {
      s.section = this.cur;
      s.offset = this.cur.length;
    }
  }

  private defineEqu(name: string, col: number, v: Value): void {
    const s = this.symbol(name, col, 'equ');
    if (!s) return;
    s.section = undefined;
    s.value = v.v;
    s.reloc = v.reloc;
    s.known = v.known;
  }

  private symbol(name: string, col: number, kind: SymbolKind): Sym | undefined {
    let s = this.syms.get(name);
    if (!s) {
      s = { name, kind, offset: 0, value: 0n, reloc: 0, known: false, definedPass: 0, stmt: this.stmtIndex, loc: this.loc, col };
      this.syms.set(name, s);
    } else if (s.definedPass === this.pass && s.stmt !== this.stmtIndex) {
      this.diag.error(this.loc, col, `label \`${name}' inconsistently redefined (first defined at ${s.loc.file}:${s.loc.line})`);
      return undefined;
    }
    s.kind = kind;
    s.definedPass = this.pass;
    s.stmt = this.stmtIndex;
    s.loc = this.loc;
    s.col = col;
    return s;
  }

  // ---- output ----

  private emit(bytes: ArrayLike<number>, col: number): void {
    if (this.absolute !== undefined) {
      this.diag.error(this.loc, col, 'attempt to assemble code in [ABSOLUTE] space');
      this.absolute += bytes.length;
      return;
    }
    if (!this.cur.progbits) {
      this.diag.warning(this.loc, col, 'attempt to initialize memory in a nobits section: ignored');
      this.cur.length += bytes.length;
      return;
    }
    this.cur.out.write(this.cur.length, bytes);
    this.cur.length += bytes.length;
  }

  /** `n` copies of one byte (padding), without building them first */
  private emitFill(n: number, value: number, col: number): void {
    if (n <= 0) return;
    if (this.absolute !== undefined || !this.cur.progbits) {
      this.emit(new Uint8Array(Math.min(n, 1)), col); // the same diagnostic as any data here
      if (this.absolute !== undefined) this.absolute += n - Math.min(n, 1);
      else this.cur.length += n - Math.min(n, 1);
      return;
    }
    this.cur.out.fill(this.cur.length, n, value);
    this.cur.length += n;
  }

  private reserve(n: number, col: number): void {
    if (n <= 0) return;
    if (this.absolute !== undefined) {
      this.absolute += n;
      return;
    }
    if (this.cur.progbits) {
      this.diag.warning(this.loc, col, `uninitialized space declared in ${this.cur.name} section: zeroing`);
      this.cur.out.fill(this.cur.length, n, 0);
    }
    this.cur.length += n;
  }

  private image(origin: number): Uint8Array {
    let end = origin;
    const first: SourceLocation = this.stmts[0]?.src ?? { file: '', line: 1 };
    for (const s of this.sections) {
      if (!s.progbits || s.length === 0) continue;
      if (s.lma < origin) {
        this.finalDiag.error(s.loc ?? first, 1, `section ${s.name} begins before the program origin`);
        return new Uint8Array(0);
      }
      end = Math.max(end, s.lma + s.length);
    }
    if (end - origin > MAX_SECTION_BYTES) {
      const last = this.sections.filter((s) => s.progbits && s.length > 0).sort((a, b) => b.lma - a.lma)[0];
      this.finalDiag.error(last?.loc ?? first, 1, `the image would span ${end - origin} bytes (more than ${MAX_SECTION_BYTES / 1024 / 1024} MiB)`);
      return new Uint8Array(0);
    }
    const img = new Uint8Array(end - origin);
    for (const s of this.sections) if (s.progbits && s.length > 0) img.set(s.out.bytes(s.length), s.lma - origin);
    return img;
  }

  private symbolTable(): AsmSymbol[] {
    const out: AsmSymbol[] = [];
    const bySection = new Map<SectionState, Sym[]>();
    for (const s of this.syms.values()) {
      if (s.definedPass === 0 || s.stmt < 0) continue;
      if (s.section) {
        const list = bySection.get(s.section) ?? [];
        list.push(s);
        bySection.set(s.section, list);
      }
    }
    const sizes = new Map<Sym, number>();
    for (const [sec, list] of bySection) {
      list.sort((a, b) => a.offset - b.offset || a.stmt - b.stmt);
      for (let i = 0; i < list.length; i++) {
        const s = list[i];
        let end = sec.length;
        for (let j = i + 1; j < list.length; j++) {
          if (list[j].offset > s.offset && (s.kind === 'local' || list[j].kind === 'label')) {
            end = list[j].offset;
            break;
          }
        }
        sizes.set(s, end - s.offset);
      }
    }
    for (const s of this.syms.values()) {
      if (s.definedPass === 0 || s.stmt < 0) continue;
      out.push({
        name: s.name,
        address: Number(BigInt.asIntN(64, this.valueOf(s).v)),
        size: sizes.get(s),
        kind: s.kind,
        section: s.section?.name,
        file: s.loc.file,
        line: s.loc.line,
        col: s.col,
      });
    }
    return out;
  }

  // ---- sections ----

  private section(name: string): SectionState {
    let s = this.byName.get(name);
    if (!s) {
      const last = this.sections[this.sections.length - 1];
      s = {
        name,
        index: this.sections.length,
        progbits: name !== '.bss',
        prev: name === '.bss' || !last ? null : last,
        length: 0,
        lma: 0,
        vma: 0,
        out: new OutputBuffer(),
        loc: this.stmts.length ? this.loc : undefined,
      };
      this.sections.push(s);
      this.byName.set(name, s);
      // section..<name>.start: NASM's label for a section's load address
      const sym: Sym = { name: `section.${name}.start`, kind: 'label', offset: 0, value: 0n, reloc: 0, known: true, definedPass: 1, stmt: -1, loc: { file: '', line: 0 }, col: 0 };
      this.syms.set(sym.name, sym);
      sym.section = s;
    }
    return s;
  }

  private sectionDirective(b: Extract<Body, { k: 'section' }>): void {
    const s = this.section(b.name);
    this.cur = s;
    this.absolute = undefined;
    const c = new Cursor(b.attrs, b.col);
    try {
      while (!c.atEnd()) {
        const t = c.next()!;
        const key = t.s.toLowerCase();
        if (t.k === 'id' && (key === 'nobits' || key === 'progbits')) {
          if (this.pass === 1 && s.length === 0) s.progbits = key === 'progbits';
          continue;
        }
        if (t.k !== 'id' || !c.eatOp('=')) {
          this.diag.warning(this.loc, t.col, `ignoring unknown section attribute: "${t.s}"`);
          continue;
        }
        if (key === 'follows' || key === 'vfollows') {
          // the section name runs to the next blank: `.a`, `foo.bar`
          const parts: string[] = [];
          let end = c.peek()?.col;
          while (!c.atEnd() && c.peek()!.col === end) {
            const p = c.next()!;
            parts.push(p.s);
            end = p.col + p.s.length;
          }
          const target = parts.join('');
          if (!target) this.diag.error(this.loc, t.col, `expecting section name for \`${key}' attribute`);
          else if (!this.byName.has(target)) this.diag.error(this.loc, t.col, `section ${b.name} ${key} an unknown section (${target})`);
          else if (key === 'follows') s.follows = target;
          else s.vfollows = target;
          continue;
        }
        const v = this.eval(parseExpr(c, (n) => n));
        const n = Number(v.v);
        if ((key === 'align' || key === 'valign') && (n <= 0 || (n & (n - 1)) !== 0)) {
          this.diag.error(this.loc, t.col, `argument to \`${key}' is not a power of two`);
          continue;
        }
        if (key === 'align') s.align = Math.max(n, s.align ?? 0);
        else if (key === 'valign') s.valign = n;
        else if (key === 'start') s.start = n;
        else if (key === 'vstart') s.vstart = n;
        else this.diag.warning(this.loc, t.col, `ignoring unknown section attribute: "${t.s}"`);
      }
    } catch (e) {
      if (!(e instanceof ExprSyntaxError)) throw e;
      this.diag.error(this.loc, e.col, e.message);
    }
  }

  private sectAlign(n: number): void {
    if (this.absolute !== undefined || n <= 0 || (n & (n - 1)) !== 0) return;
    if (n > (this.cur.align ?? 0)) this.cur.align = n;
  }

  // ---- statements ----

  private body(b: Body, st: Statement): void {
    switch (b.k) {
      case 'none':
        return;
      case 'insn':
        this.instruction(b);
        return;
      case 'prefix':
        this.emit(b.prefixes.map((p) => PREFIX_BYTES[p] ?? (p === 'o16' ? (this.bits === 32 ? 0x66 : -1) : p === 'o32' ? (this.bits === 16 ? 0x66 : -1) : p === 'a16' ? (this.bits === 32 ? 0x67 : -1) : this.bits === 16 ? 0x67 : -1)).filter((x) => x >= 0), b.col);
        return;
      case 'data':
        this.data(b);
        return;
      case 'res':
        this.reserve(this.critical(b.count, b.col, 'RESx') * b.size, b.col);
        return;
      case 'equ': {
        const v = this.eval(b.e);
        if (v.across) this.diag.error(this.loc, b.col, 'invalid operand type');
        // NASM's equ keeps only the first label's section: the subtracted label's section base
        // comes back when the value is used
        if (v.selfRel && this.absolute === undefined) v.v += BigInt(this.cur.vma);
        this.defineEqu(st.label!.name, st.label!.col, v);
        return;
      }
      case 'org': {
        const n = this.critical(b.e, b.col, 'ORG');
        if (this.orgSet && n !== this.org) this.diag.error(this.loc, b.col, 'program origin redefined');
        this.org = n;
        this.orgSet = true;
        return;
      }
      case 'bits':
        this.bits = b.bits;
        return;
      case 'section':
        this.sectionDirective(b);
        return;
      case 'absolute':
        this.absolute = this.critical(b.e, b.col, 'ABSOLUTE');
        return;
      case 'sectalign':
        this.sectAlign(this.critical(b.e, b.col, 'SECTALIGN'));
        return;
      case 'align':
        this.align(b, st);
        return;
      case 'struc': {
        const start = b.e ? this.critical(b.e, b.col, 'STRUC') : 0;
        this.struc = { name: b.name, start, saved: this.cur, savedAbs: this.absolute };
        this.absolute = start;
        this.defineLabel(b.name, b.col, 'label');
        return;
      }
      case 'endstruc': {
        if (!this.struc) {
          this.diag.error(this.loc, b.col, '`endstruc\' without `struc\'');
          return;
        }
        const size = this.absolute! - this.struc.start;
        this.defineEqu(`${this.struc.name}_size`, b.col, { v: BigInt(size), known: true, reloc: 0 });
        this.cur = this.struc.saved;
        this.absolute = this.struc.savedAbs;
        this.struc = undefined;
        return;
      }
      case 'istruc':
        this.istruc = { name: b.name, start: this.here(), col: b.col };
        return;
      case 'at': {
        if (!this.istruc) {
          this.diag.error(this.loc, b.col, '`at\' outside `istruc\'');
          return;
        }
        const field = this.eval(b.field);
        const base = this.ctx.symbol(this.istruc.name);
        const pad = Number(field.v - (base?.v ?? 0n)) - (this.here() - this.istruc.start);
        if (pad < 0 && field.known) this.diag.error(this.loc, b.col, `\`at' field is behind the current position by ${-pad} bytes (fields out of order?)`);
        if (pad > 0) this.emitFill(pad, 0, b.col);
        if (b.body) this.body(b.body, st);
        return;
      }
      case 'incbin':
        this.incbin(b);
        return;
      case 'iend': {
        if (!this.istruc) {
          this.diag.error(this.loc, b.col, '`iend\' without `istruc\'');
          return;
        }
        const size = this.ctx.symbol(`${this.istruc.name}_size`);
        if (!size) this.ctx.undefinedSymbol(`${this.istruc.name}_size`, b.col);
        const pad = Number(size?.v ?? 0n) - (this.here() - this.istruc.start);
        if (pad > 0) this.emitFill(pad, 0, b.col);
        this.istruc = undefined;
        return;
      }
    }
  }

  private readonly binaries = new Map<string, Uint8Array | undefined>();
  /** reused for every instruction (one object, not one per instruction and pass) */
  private readonly operandCtx: OperandContext = { eval: (e: Expr) => this.eval(e), bits: 16, section: 0, optimisticJumps: true };
  /** last encoding of each instruction statement, by statement index */
  private readonly encodings: ({ key: string; bytes: Uint8Array } | undefined)[] = [];

  private incbin(b: Extract<Body, { k: 'incbin' }>): void {
    const key = `${this.loc.file}\0${b.file}`;
    if (!this.binaries.has(key)) this.binaries.set(key, this.readBinary(b.file, this.loc.file));
    const data = this.binaries.get(key);
    if (!data) {
      this.diag.error(this.loc, b.col, `\`incbin': unable to open file \`${b.file}'`);
      return;
    }
    const skip = b.skip ? Math.max(0, this.critical(b.skip, b.col, 'INCBIN')) : 0;
    const len = b.len ? Math.max(0, this.critical(b.len, b.col, 'INCBIN')) : Infinity;
    this.emit(data.subarray(Math.min(skip, data.length), Math.min(data.length, skip + len)), b.col);
  }

  private align(b: Extract<Body, { k: 'align' }>, st: Statement): void {
    const n = this.critical(b.e, b.col, 'ALIGN');
    if (n <= 0 || (n & (n - 1)) !== 0) {
      this.diag.error(this.loc, b.col, `alignment ${n} is not a power of two`);
      return;
    }
    this.sectAlign(n);
    const base = this.absolute !== undefined ? this.struc?.start ?? 0 : 0;
    const k = (n - ((this.here() - base) % n)) % n;
    if (b.fill) for (let i = 0; i < k; i++) this.body(b.fill, st);
    else if (b.b) this.reserveQuiet(k);
    else this.emitFill(k, NOP, b.col); // NOPs even in .bss or struc, with NASM's complaint there
  }

  private reserveQuiet(n: number): void {
    if (this.absolute !== undefined) this.absolute += n;
    else {
      if (this.cur.progbits) this.cur.out.fill(this.cur.length, n, 0);
      this.cur.length += n;
    }
  }

  private data(b: Extract<Body, { k: 'data' }>): void {
    const size = b.size;
    for (const item of b.items) {
      if (item.k === 'str') {
        const padded = Math.ceil(item.bytes.length / size) * size || size;
        const out = new Uint8Array(padded);
        out.set(item.bytes);
        this.emit(out, 0);
      } else if (item.k === 'undef') {
        this.reserveQuiet(size);
      } else {
        const v = this.eval(item.e);
        // dt/do/dy/dz hold floating-point and vector data in NASM, never integers
        if (size > 8) this.diag.error(this.loc, item.col, `integer supplied as ${size * 8}-bit data`);
        else if (v.complex || v.reloc < -1 || v.reloc > 1) this.diag.error(this.loc, item.col, 'expression is not simple or relocatable');
        else if (v.known && v.reloc === 0 && size <= 4) { // NASM does not bound-check an address
          const bits = BigInt(size * 8);
          // NASM's bound is -2^n..2^n-1: any n-bit pattern, signed or not, and then some
          if (v.v < -(1n << bits) || v.v >= 1n << bits) {
            const name = size === 1 ? 'byte' : size === 2 ? 'word' : 'dword';
            this.diag.warning(this.loc, item.col, `${name} data exceeds bounds`);
          }
        }
        const out = new Uint8Array(size);
        let x = BigInt.asUintN(64, v.v);
        for (let i = 0; i < size && i < 8; i++) {
          out[i] = Number(x & 0xffn);
          x >>= 8n;
        }
        this.emit(out, item.col);
      }
    }
  }

  private instruction(b: Extract<Body, { k: 'insn' }>): void {
    const address = this.absolute ?? this.cur.vma + this.cur.length;
    const branch = BRANCHES.test(b.mnemonic);
    let ins: Instruction;
    try {
      const ctx = this.operandCtx;
      ctx.bits = this.bits;
      ctx.section = this.cur.index;
      ctx.optimisticJumps = this.optimisticJumps;
      ins = { prefixes: b.prefixes, mnemonic: b.mnemonic, operands: b.ops.map((o) => shapeOperand(o, branch, ctx)), bits: this.bits, address };
    } catch (e) {
      if (!(e instanceof ExprSyntaxError)) throw e;
      this.diag.error(this.loc, e.col, e.message);
      return;
    }
    // A statement whose evaluated operands did not change since the last pass encodes the same.
    const key = encodingKey(ins, branch);
    const cached = this.encodings[this.stmtIndex];
    let bytes: Uint8Array;
    try {
      if (cached && cached.key === key) bytes = cached.bytes;
      else {
        bytes = this.encode(ins);
        this.encodings[this.stmtIndex] = { key, bytes };
      }
    } catch (e) {
      if (!(e instanceof EncodeError)) throw e;
      const col = e.operand !== undefined && b.ops[e.operand] ? b.ops[e.operand].col : b.col;
      this.diag.error(this.loc, col, e.message);
      return;
    }
    for (const w of immediateWarnings(b, ins)) this.diag.warning(this.loc, w.col, w.message);
    this.emit(bytes, b.col);
  }
}

/** What can change an instruction's bytes between passes: operand values, and a branch's address. */
function encodingKey(ins: Instruction, branch: boolean): string {
  let key = branch ? String(ins.address) : '';
  for (const o of ins.operands) {
    if (o.kind === 'imm') key += `|${o.value},${o.known ? 1 : 0},${o.jump ?? ''}`;
    else if (o.kind === 'mem') key += `|${o.disp},${o.dispKnown ? 1 : 0}`;
    else if (o.kind === 'far') key += `|${o.segment}:${o.offset},${o.known ? 1 : 0}`;
    else key += '|r';
  }
  return key;
}

export function diagnosticsOf(list: readonly Diagnostic[]): { errors: Diagnostic[]; warnings: Diagnostic[] } {
  return { errors: list.filter((x) => x.severity === 'error'), warnings: list.filter((x) => x.severity === 'warning') };
}
