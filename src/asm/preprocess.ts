/**
 * NASM's preprocessor: single-line macros (%define, %assign), multi-line macros (%macro),
 * %rep, %include and conditional assembly. It runs once per assembly; its output is a flat
 * list of token lines, each knowing the file:line a user wrote (for a macro expansion, the
 * line that invoked the outermost macro), so the passes never re-run it.
 */
import { Diagnostics, SourceLocation } from './diagnostics';
import { Cursor, EvalContext, ExprSyntaxError, evaluate, parseExpr } from './expr';
import { Token, tokenize, untokenize } from './lexer';
import { MacroFrame, matchParen, nthComma, paste, splitArgs, splitParenArgs, substitute } from './macro-args';
import { searchPath } from './paths';

export interface SourceLine extends SourceLocation {
  toks: Token[];
  /** the text as written, when the line came straight from a file (listings) */
  text?: string;
  /** the line came from a macro marked .nolist or from inside a macro expansion */
  fromMacro?: boolean;
}

export interface FileAccess {
  /** an instruction of that name exists: a macro call with the wrong count falls back to it */
  isInstruction?: (lower: string) => boolean;
  /** the text of a file, or undefined when it cannot be read */
  readFile(path: string): string | undefined;
  includePaths?: readonly string[];
}

interface SMacro {
  params: string[] | null;
  body: Token[];
}

interface MMacro {
  name: string;
  min: number;
  max: number; // Infinity for `*`
  greedy: boolean;
  defaults: Token[][];
  body: RawLine[];
  nolist: boolean;
}

/** A line before macro expansion: tokens are made lazily so skipped branches cost nothing. */
interface RawLine extends SourceLocation {
  text: string;
  toks?: Token[];
  fromMacro?: boolean;
  /** set on the lines of a macro expansion: their parameters are substituted as they are read */
  frame?: MacroFrame;
}

interface Cond {
  /** this branch is being assembled */
  active: boolean;
  /** some branch of this %if has been taken */
  taken: boolean;
  /** the enclosing block is active */
  parent: boolean;
  sawElse: boolean;
  at: SourceLocation;
  col: number;
}

const MAX_DEPTH = 64;
const MAX_REP = 1_000_000;

/** Split a file into lines, joining NASM's backslash continuations. */
function fileLines(file: string, text: string): RawLine[] {
  const lines = text.split(/\r?\n/);
  const out: RawLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    let t = lines[i];
    const line = i + 1;
    while (t.endsWith('\\') && i + 1 < lines.length) t = t.slice(0, -1) + lines[++i];
    out.push({ file, line, text: t });
  }
  if (out.length && out[out.length - 1].text === '') out.pop();
  return out;
}

const IF_RE = /^%(el)?if(n)?(def|idni|idn|num|str|id|empty|macro|ctx)?$/i;

export class Preprocessor {
  private readonly out: SourceLine[] = [];
  private readonly defs = new Map<string, SMacro>();
  private readonly idefs = new Map<string, SMacro>();
  private readonly macros = new Map<string, MMacro[]>();
  private readonly imacros = new Map<string, MMacro[]>();
  private conds: Cond[] = [];
  /** %push/%pop contexts, innermost last */
  private readonly contexts: { name: string; id: number }[] = [];
  private readonly expanding = new Set<MMacro>();
  /** the line being processed (for __FILE__ and __LINE__) */
  private here: SourceLocation = { file: '', line: 0 };
  private uniq = 0;
  private depth = 0;
  private fatal = false;
  private exitRep = false;
  /** %exitmacro seen: unwind to the innermost macro call */
  private exitMacro = false;

  constructor(private readonly diag: Diagnostics, private readonly fs: FileAccess) {}

  run(source: string, file: string, predefined: Record<string, string> = {}): SourceLine[] {
    for (const [name, value] of Object.entries(predefined)) {
      this.defs.set(name, { params: null, body: tokenize(value, () => undefined) });
    }
    this.processFile(file, source, { file, line: 1 }, 1);
    return this.out;
  }

  /** the line's tokens as written (cached) */
  private rawToks(l: RawLine): Token[] {
    if (!l.toks) l.toks = tokenize(l.text, (col, m) => this.diag.error(l, col, m));
    return l.toks;
  }

  /** the line's tokens as processed now: macro parameters and context-local names replaced */
  private toks(l: RawLine): Token[] {
    const raw = this.rawToks(l);
    const toks = l.frame ? substitute(raw, l.frame) : raw;
    return toks.some((t) => t.k === 'pp' && t.s.startsWith('%$')) ? this.contextLocal(toks, l) : toks;
  }

  /** `%$name` → a label private to the innermost %push context (`%$$name`: the one below it). */
  private contextLocal(toks: Token[], l: RawLine): Token[] {
    return toks.map((t) => {
      if (t.k !== 'pp' || !t.s.startsWith('%$')) return t;
      const depth = /^%(\$+)/.exec(t.s)![1].length;
      const ctx = this.contexts[this.contexts.length - depth];
      if (!ctx) {
        this.diag.error(l, t.col, `\`${t.s}': context stack is ${this.contexts.length ? 'not that deep' : 'empty'}`);
        return t;
      }
      return { k: 'id', s: `..@${ctx.id}.${t.s.slice(1 + depth)}`, col: t.col };
    });
  }

  private get active(): boolean {
    return this.conds.length === 0 || this.conds[this.conds.length - 1].active;
  }

  private processFile(file: string, text: string, from: SourceLocation, col: number): void {
    if (this.depth >= MAX_DEPTH) {
      this.diag.error(from, col, `include nesting too deep (more than ${MAX_DEPTH} levels)`);
      return;
    }
    const lines = fileLines(file, text);
    const condDepth = this.conds.length;
    this.depth++;
    this.processLines(lines, undefined);
    this.depth--;
    if (this.conds.length > condDepth) {
      const c = this.conds[condDepth];
      this.diag.error(c.at, c.col, `unterminated \`%if': expected \`%endif' before end of file`);
      this.conds.length = condDepth;
    }
  }

  /** Process a list of lines. `site` is where a macro expansion was invoked, if this is one. */
  private processLines(lines: RawLine[], site: SourceLocation | undefined): void {
    for (let i = 0; i < lines.length && !this.fatal && !this.exitRep && !this.exitMacro; i++) {
      const l = lines[i];
      const at: SourceLocation = site ? { file: site.file, line: site.line, macro: l.frame ? { name: l.frame.name, file: l.file, line: l.line } : site.macro } : l;
      if (!this.active) {
        const m = /^\s*(%[A-Za-z]+)/.exec(l.text);
        if (m) this.conditional(m[1].toLowerCase(), l, at, true);
        // %macro/%rep bodies inside a false branch are skipped line by line; their own
        // %if lines still nest, which is all that matters here.
        continue;
      }
      const toks = this.toks(l);
      if (toks.length === 0) continue;
      this.here = l; // NASM's __LINE__ in a macro body is the body's line
      const first = toks[0];
      if (first.k === 'pp' && /^%[A-Za-z]/.test(first.s)) {
        const d = first.s.toLowerCase();
        if (this.conditional(d, l, at, false)) continue;
        if (d === '%macro' || d === '%imacro') {
          i = this.defineMacro(lines, i, d === '%imacro');
          continue;
        }
        if (d === '%rep') {
          i = this.rep(lines, i, site);
          continue;
        }
        this.directive(d, toks, l, at);
        continue;
      }
      this.emit(paste(this.expandSingle(toks, new Set())), l, at, site !== undefined);
    }
  }

  private emit(toks: Token[], l: RawLine, at: SourceLocation, fromMacro: boolean): void {
    // `label: macro args` and `macro args` invoke a multi-line macro.
    let k = 0;
    if (toks.length >= 2 && toks[0].k === 'id' && toks[1].k === 'op' && toks[1].s === ':') k = 2;
    const t = toks[k];
    if (t && t.k === 'id') {
      // a macro is not expanded inside its own expansion (NASM's macros are not recursive)
      const cands = (this.macros.get(t.s) ?? this.imacros.get(t.s.toLowerCase()))?.filter((m) => !this.expanding.has(m));
      if (cands?.length && this.invoke(cands, toks, k, at, l, fromMacro)) return;
    }
    this.out.push({ toks, file: at.file, line: at.line, macro: at.macro, text: fromMacro ? undefined : l.text, fromMacro });
  }

  // ---- conditionals ----

  /** Handle %if-family lines; true when `d` was one. In a false branch only nesting matters. */
  private conditional(d: string, l: RawLine, at: SourceLocation, skipping: boolean): boolean {
    const m = IF_RE.exec(d);
    const col = (/\S/.exec(l.text)?.index ?? 0) + 1;
    if (m && !m[1]) {
      const parent = this.active;
      const c: Cond = { active: false, taken: false, parent, sawElse: false, at, col };
      if (parent && !skipping) c.active = c.taken = this.test(m, l, at);
      this.conds.push(c);
      return true;
    }
    if (m || d === '%else' || d === '%endif') {
      const c = this.conds[this.conds.length - 1];
      if (!c) {
        this.diag.error(at, col, `\`${d}': no matching \`%if'`);
        return true;
      }
      if (d === '%endif') {
        this.conds.pop();
      } else if (d === '%else') {
        if (c.sawElse) this.diag.warning(at, col, '`%else\' after `%else\' ignored');
        c.sawElse = true;
        c.active = c.parent && !c.taken;
        c.taken = true;
      } else {
        if (c.sawElse) this.diag.error(at, col, '`%elif\' after `%else\'');
        if (c.parent && !c.taken) {
          c.active = this.test(m!, l, at);
          c.taken = c.active;
        } else c.active = false;
      }
      return true;
    }
    return false;
  }

  private test(m: RegExpExecArray, l: RawLine, at: SourceLocation): boolean {
    const toks = this.toks(l);
    const args = toks.slice(1);
    const kind = (m[3] ?? '').toLowerCase();
    const col = toks[0].col;
    let r: boolean;
    switch (kind) {
      case 'def':
        r = args.length > 0 && args[0].k === 'id' && this.isDefined(args[0].s);
        break;
      case 'macro':
        r = args.length > 0 && (this.macros.has(args[0].s) || this.imacros.has(args[0].s.toLowerCase()));
        break;
      case 'ctx':
        r = this.contexts.length > 0 && args.some((a) => a.s === this.contexts[this.contexts.length - 1].name);
        break;
      case 'idn':
      case 'idni': {
        const [a, b] = splitArgs(this.expandSingle(args, new Set()), false);
        const ta = untokenize(a ?? []);
        const tb = untokenize(b ?? []);
        r = kind === 'idn' ? ta === tb : ta.toLowerCase() === tb.toLowerCase();
        break;
      }
      case 'num':
      case 'str':
      case 'id': {
        const e = this.expandSingle(args, new Set());
        r = e.length === 1 && e[0].k === kind;
        break;
      }
      case 'empty':
        r = this.expandSingle(args, new Set()).length === 0;
        break;
      default:
        r = this.constExpr(args, at, col, '%if') !== 0n;
    }
    return m[2] ? !r : r;
  }

  private isDefined(name: string): boolean {
    return this.defs.has(name) || this.idefs.has(name.toLowerCase());
  }

  /** A preprocessor-time expression: numbers and macros only, no labels. */
  private constExpr(toks: Token[], at: SourceLocation, col: number, what: string): bigint {
    const expanded = this.expandSingle(toks, new Set());
    const endCol = toks.length ? toks[toks.length - 1].col + toks[toks.length - 1].s.length : col;
    const c = new Cursor(expanded, endCol);
    let bad = false;
    const ctx: EvalContext = {
      symbol: () => undefined,
      here: () => undefined,
      undefinedSymbol: (name, ecol) => {
        if (!bad) this.diag.error(at, ecol, `non-constant value given to \`${what}' (symbol \`${name}' is not a preprocessor value)`);
        bad = true;
      },
      error: (ecol, message) => this.diag.error(at, ecol, message),
    };
    try {
      if (c.atEnd()) c.fail(`\`${what}' expects an expression`);
      const e = parseExpr(c, (n) => n);
      if (!c.atEnd()) c.fail(`expression syntax error at \`${c.peek()!.s}'`);
      return evaluate(e, ctx).v;
    } catch (err) {
      if (!(err instanceof ExprSyntaxError)) throw err;
      this.diag.error(at, err.col, err.message);
      return 0n;
    }
  }

  // ---- directives ----

  private directive(d: string, toks: Token[], l: RawLine, at: SourceLocation): void {
    const col = toks[0].col;
    const name = toks[1];
    switch (d) {
      case '%define':
      case '%idefine':
      case '%xdefine':
      case '%ixdefine': {
        if (!name || name.k !== 'id') {
          this.diag.error(at, name?.col ?? col, `\`${d}' expects a macro identifier`);
          return;
        }
        let k = 2;
        let params: string[] | null = null;
        const next = toks[2];
        if (next && next.k === 'op' && next.s === '(' && next.col === name.col + name.s.length) {
          params = [];
          k = 3;
          while (k < toks.length && !(toks[k].k === 'op' && toks[k].s === ')')) {
            if (toks[k].k === 'id') params.push(toks[k].s);
            k++;
          }
          k++;
        }
        let body = toks.slice(k);
        if (d.includes('x')) body = this.expandSingle(body, new Set());
        const ci = d.startsWith('%i');
        (ci ? this.idefs : this.defs).set(ci ? name.s.toLowerCase() : name.s, { params, body });
        return;
      }
      case '%undef':
        if (name) {
          this.defs.delete(name.s);
          this.idefs.delete(name.s.toLowerCase());
        }
        return;
      case '%assign':
      case '%iassign': {
        if (!name || name.k !== 'id') {
          this.diag.error(at, name?.col ?? col, `\`${d}' expects a macro identifier`);
          return;
        }
        const v = this.constExpr(toks.slice(2), at, col, d);
        const body: Token[] = [{ k: 'num', s: v.toString(), col: name.col, v }];
        if (d === '%iassign') this.idefs.set(name.s.toLowerCase(), { params: null, body });
        else this.defs.set(name.s, { params: null, body });
        return;
      }
      case '%include': {
        const arg = this.expandSingle(toks.slice(1), new Set());
        let target: string | undefined;
        if (arg.length === 1 && arg[0].k === 'str') target = Buffer.from(arg[0].b!).toString('utf8');
        else if (arg.length && arg[0].s === '<') target = untokenize(arg.slice(1, -1)).replace(/\s+/g, '');
        if (!target) {
          this.diag.error(at, col, '`%include\' expects a file name');
          return;
        }
        this.include(target, l, at, col);
        return;
      }
      case '%defstr':
      case '%strlen':
      case '%strcat':
      case '%substr': {
        if (!name || name.k !== 'id') {
          this.diag.error(at, name?.col ?? col, `\`${d}' expects a macro identifier`);
          return;
        }
        const body = this.stringFunction(d, this.expandSingle(toks.slice(2), new Set()), at, col);
        if (body) this.defs.set(name.s, { params: null, body: [{ ...body, col: name.col }] });
        return;
      }
      case '%error':
      case '%fatal':
      case '%warning': {
        const msg = this.message(toks.slice(1));
        if (d === '%warning') this.diag.warning(at, col, msg);
        else this.diag.error(at, col, msg);
        if (d === '%fatal') this.fatal = true;
        return;
      }
      case '%rotate': {
        const frame = l.frame;
        if (!frame) {
          this.diag.error(at, col, '`%rotate\' invoked outside a macro call');
          return;
        }
        const n = frame.args.length;
        if (n === 0) return;
        const k = ((Number(this.constExpr(toks.slice(1), at, col, '%rotate')) % n) + n) % n;
        frame.args = [...frame.args.slice(k), ...frame.args.slice(0, k)];
        return;
      }
      case '%push':
        this.contexts.push({ name: name?.s ?? '', id: ++this.uniq });
        return;
      case '%repl':
      case '%pop': {
        const top = this.contexts[this.contexts.length - 1];
        if (!top) this.diag.error(at, col, `\`${d}': context stack is empty`);
        else if (d === '%repl') top.name = name?.s ?? '';
        else {
          if (name && name.s !== top.name) this.diag.error(at, name.col, `\`%pop ${name.s}': context stack top is \`${top.name}'`);
          this.contexts.pop();
        }
        return;
      }
      case '%exitrep':
        this.exitRep = true;
        return;
      case '%exitmacro':
        if (l.frame) this.exitMacro = true;
        else this.diag.error(at, col, '`%exitmacro\' outside a macro call');
        return;
      case '%endrep':
        this.diag.error(at, col, '`%endrep\': no matching `%rep\'');
        return;
      case '%endmacro':
      case '%endm':
        this.diag.error(at, col, `\`${d}': not defining a macro`);
        return;
      case '%pragma':
      case '%line':
      case '%use':
        return;
      default:
        this.diag.error(at, col, `unknown preprocessor directive \`${toks[0].s}'`);
    }
  }

  /** %defstr, %strlen, %strcat, %substr: the token the new macro stands for */
  private stringFunction(d: string, rest: Token[], at: SourceLocation, col: number): Token | undefined {
    const str = (b: number[]): Token => ({ k: 'str', s: JSON.stringify(Buffer.from(b).toString('latin1')), col, b });
    if (d === '%defstr') return str([...Buffer.from(untokenize(rest), 'utf8')]);
    // %strcat takes strings separated by commas; %strlen and %substr one string first
    const strings = d === '%strcat' ? splitArgs(rest, false) : [rest.slice(0, d === '%substr' ? 1 : rest.length)];
    const bytes: number[] = [];
    for (const a of strings) {
      if (a.length !== 1 || a[0].k !== 'str') {
        this.diag.error(at, a[0]?.col ?? col, `\`${d}' expects ${d === '%strcat' ? 'strings' : 'a string'}`);
        return undefined;
      }
      bytes.push(...a[0].b!);
    }
    if (d === '%strcat') return str(bytes);
    if (d === '%strlen') return { k: 'num', s: String(bytes.length), col, v: BigInt(bytes.length) };
    // %substr name 'string' start[, length]: 1-based; a length of -1 runs to the end
    const tail = rest.slice(1);
    const [startToks, lenToks] = splitArgs(tail, false);
    const start = Number(this.constExpr(startToks ?? [], at, col, '%substr'));
    let len = lenToks ? Number(this.constExpr(lenToks, at, col, '%substr')) : 1;
    if (len < 0) len = bytes.length - (start - 1) + len + 1;
    return str(bytes.slice(Math.max(0, start - 1), Math.max(0, start - 1) + Math.max(0, len)));
  }

  private message(toks: Token[]): string {
    const e = this.expandSingle(toks, new Set());
    if (e.length === 1 && e[0].k === 'str') return Buffer.from(e[0].b!).toString('utf8');
    return untokenize(e);
  }

  private include(target: string, l: RawLine, at: SourceLocation, col: number): void {
    const candidates = searchPath(target, l.file, this.fs.includePaths);
    for (const p of candidates) {
      const text = this.fs.readFile(p);
      if (text !== undefined) {
        this.processFile(p, text, at, col);
        return;
      }
    }
    this.diag.error(at, col, `unable to open include file \`${target}'`);
  }

  /** Lines up to the matching end directive; returns the body and the index of the end line. */
  private collect(lines: RawLine[], i: number, open: RegExp, close: RegExp, what: string): { body: RawLine[]; end: number } {
    let depth = 1;
    const body: RawLine[] = [];
    for (let j = i + 1; j < lines.length; j++) {
      const m = /^\s*(%[A-Za-z]+)/.exec(lines[j].text);
      if (m) {
        if (open.test(m[1])) depth++;
        else if (close.test(m[1]) && --depth === 0) return { body, end: j };
      }
      body.push(lines[j]);
    }
    this.diag.error(lines[i], (/\S/.exec(lines[i].text)?.index ?? 0) + 1, `unterminated \`${what}' (expected its end before end of file)`);
    return { body, end: lines.length };
  }

  private rep(lines: RawLine[], i: number, site: SourceLocation | undefined): number {
    const l = lines[i];
    const at = site ?? l;
    const toks = this.toks(l);
    const { body, end } = this.collect(lines, i, /^%rep$/i, /^%endrep$/i, '%rep');
    let n = this.constExpr(toks.slice(1), at, toks[0].col, '%rep');
    if (n < 0n) n = 0n;
    if (n > BigInt(MAX_REP)) {
      this.diag.error(at, toks[0].col, `\`%rep' count ${n} is too large`);
      return end;
    }
    const condDepth = this.conds.length;
    for (let k = 0n; k < n && !this.exitRep && !this.exitMacro && !this.fatal; k++) this.processLines(body, site);
    // %exitrep leaves from inside %if blocks of the body: close them
    if (this.exitRep) this.conds.length = condDepth;
    this.exitRep = false;
    return end;
  }

  private defineMacro(lines: RawLine[], i: number, ci: boolean): number {
    const l = lines[i];
    const toks = this.toks(l);
    const { body, end } = this.collect(lines, i, /^%i?macro$/i, /^%endm(acro)?$/i, '%macro');
    const name = toks[1];
    if (!name || name.k !== 'id') {
      this.diag.error(l, name?.col ?? toks[0].col, '`%macro\' expects a macro name');
      return end;
    }
    // Parameter spec: N, N-M, N-*, N+ (greedy), .nolist, then default values.
    let k = 2;
    let min = 0;
    let max = 0;
    let greedy = false;
    let nolist = false;
    const spec = toks[k];
    if (spec && spec.k === 'num') {
      min = max = Number(spec.v);
      k++;
      if (toks[k]?.s === '-') {
        k++;
        if (toks[k]?.s === '*') max = Infinity;
        else if (toks[k]?.k === 'num') max = Number(toks[k].v);
        k++;
      }
      if (toks[k]?.s === '+') {
        greedy = true;
        k++;
      }
      if (toks[k]?.k === 'id' && toks[k].s.toLowerCase() === '.nolist') {
        nolist = true;
        k++;
      }
    } else if (spec) {
      this.diag.error(l, spec.col, `\`%macro' expects a parameter count after the name`);
    }
    const defaults = toks.length > k ? splitArgs(toks.slice(k), true) : [];
    const map = ci ? this.imacros : this.macros;
    const key = ci ? name.s.toLowerCase() : name.s;
    const mac: MMacro = { name: name.s, min, max, greedy, defaults, body, nolist };
    const list = (map.get(key) ?? []).filter((m) => m.min !== min || m.max !== max);
    list.push(mac);
    map.set(key, list);
    return end;
  }

  /**
   * Expand a macro call (`toks[k]` names the macro); false when the line is to be assembled as
   * it stands: no overload takes that many parameters but an instruction has the name (NASM warns).
   */
  private invoke(cands: MMacro[], toks: Token[], k: number, at: SourceLocation, l: RawLine, fromMacro: boolean): boolean {
    const nameTok = toks[k];
    const argToks = toks.slice(k + 1);
    const given = argToks.length ? splitArgs(argToks, true) : [];
    const mac = cands.find((m) => given.length >= m.min && (given.length <= m.max || m.greedy));
    if (!mac) {
      const n = given.length;
      const message = `multi-line macro \`${nameTok.s}' exists, but not taking ${n} parameter${n === 1 ? '' : 's'}`;
      if (this.fs.isInstruction?.(nameTok.s.toLowerCase())) {
        this.diag.warning(at, nameTok.col, message);
        return false;
      }
      this.diag.error(at, nameTok.col, message);
      return true;
    }
    if (k === 2) this.out.push({ toks: toks.slice(0, 2), file: at.file, line: at.line, macro: at.macro, text: fromMacro ? undefined : l.text, fromMacro });
    at = { file: at.file, line: at.line };
    if (this.depth >= MAX_DEPTH) {
      this.diag.error(at, nameTok.col, `macro \`${nameTok.s}' nested too deeply (recursive?)`);
      return true;
    }
    let args = given;
    if (mac.greedy && given.length > mac.max) {
      // the last parameter takes the rest of the line, commas included
      const cut = mac.max <= 1 ? -1 : nthComma(argToks, mac.max - 2);
      args = [...given.slice(0, mac.max - 1), argToks.slice(cut + 1)];
    }
    const all = args.slice();
    for (let k = all.length; k < mac.max && k - mac.min < mac.defaults.length; k++) all[k] = mac.defaults[k - mac.min] ?? [];
    const frame: MacroFrame = { args: all, count: args.length, id: ++this.uniq, col: nameTok.col, name: mac.name };
    const expanded: RawLine[] = mac.body.map((b) => ({
      file: b.file,
      line: b.line,
      text: b.text,
      toks: this.rawToks(b),
      fromMacro: true,
      frame,
    }));
    this.depth++;
    this.expanding.add(mac);
    const condDepth = this.conds.length;
    this.processLines(expanded, at);
    if (this.exitMacro) this.conds.length = condDepth; // left from inside %if blocks of the body
    this.exitMacro = false;
    this.expanding.delete(mac);
    this.depth--;
    return true;
  }

  // ---- single-line macros ----

  private lookup(name: string): SMacro | undefined {
    const m = this.defs.get(name) ?? this.idefs.get(name.toLowerCase());
    if (m || !name.startsWith('__')) return m;
    // NASM's built-in single-line macros for the current position
    const at = this.here;
    if (name === '__FILE__' || name === '__?FILE?__') {
      return { params: null, body: [{ k: 'str', s: JSON.stringify(at.file), col: 0, b: [...Buffer.from(at.file, 'utf8')] }] };
    }
    if (name === '__LINE__' || name === '__?LINE?__') {
      return { params: null, body: [{ k: 'num', s: String(at.line), col: 0, v: BigInt(at.line) }] };
    }
    return undefined;
  }

  /** Expand %define'd names. `active` holds the macros being expanded (no self-recursion). */
  private expandSingle(toks: Token[], active: Set<SMacro>): Token[] {
    let out: Token[] | undefined;
    for (let i = 0; i < toks.length; i++) {
      const t = toks[i];
      const m = t.k === 'id' ? this.lookup(t.s) : undefined;
      if (!m || active.has(m)) {
        out?.push(t);
        continue;
      }
      let body: Token[];
      let consumed = 0;
      if (m.params) {
        const open = toks[i + 1];
        if (!open || open.k !== 'op' || open.s !== '(') {
          out?.push(t);
          continue;
        }
        const close = matchParen(toks, i + 1);
        if (close < 0) {
          out?.push(t);
          continue;
        }
        const args = splitParenArgs(toks.slice(i + 2, close)).map((a) => this.expandSingle(a, active));
        if (args.length !== m.params.length && !(m.params.length === 0 && args.length === 1 && args[0].length === 0)) {
          out?.push(t);
          continue;
        }
        const params = m.params;
        body = m.body.flatMap((b) => {
          const p = b.k === 'id' ? params.indexOf(b.s) : -1;
          return p >= 0 ? args[p] : [b];
        });
        consumed = close - i;
      } else body = m.body;
      out ??= toks.slice(0, i);
      active.add(m);
      const expanded = this.expandSingle(body, active);
      active.delete(m);
      for (const b of expanded) out.push({ ...b, col: t.col });
      i += consumed;
    }
    return out ?? toks;
  }
}

export function preprocess(source: string, file: string, fs: FileAccess, diag: Diagnostics, predefined?: Record<string, string>): SourceLine[] {
  return new Preprocessor(diag, fs).run(source, file, predefined);
}
