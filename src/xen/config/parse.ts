// The xl.cfg(5) syntax, as libxlu reads it: `KEY = VALUE` settings separated by newlines or
// `;`; VALUE a string in single or double quotes, a number (decimal, 0-prefixed octal, 0x
// hex), or a list `[ v, v, ... ]` that may span lines, nest and end with a comma; `#`
// comments to end of line; `KEY += VALUE` appends to a list. Keys are lower-case
// identifiers. Every problem is collected; parsing resumes at the next line.
import { DiagnosticSink, Position } from './diagnostics';

export type CfgValue =
  | { readonly kind: 'string'; readonly value: string; readonly pos: Position; readonly end: Position }
  | { readonly kind: 'number'; readonly value: number; readonly text: string; readonly pos: Position; readonly end: Position }
  | { readonly kind: 'list'; readonly items: readonly CfgValue[]; readonly pos: Position; readonly end: Position };

export interface CfgSetting {
  readonly key: string;
  readonly keyPos: Position;
  readonly op: '=' | '+=';
  readonly value: CfgValue;
}

type Tok =
  | { t: 'ident'; text: string; pos: Position }
  | { t: 'number'; text: string; pos: Position }
  | { t: 'string'; value: string; pos: Position; end: Position }
  | { t: '=' | '+=' | '[' | ']' | ',' | ';' | 'nl' | 'eof'; pos: Position };

class Lexer {
  private i = 0;
  private line = 1;
  private col = 1;
  constructor(
    private readonly src: string,
    private readonly sink: DiagnosticSink,
  ) {}

  private pos(): Position {
    return { line: this.line, col: this.col };
  }
  private advance(n = 1): void {
    for (let k = 0; k < n; k++) {
      if (this.src[this.i] === '\n') {
        this.line++;
        this.col = 1;
      } else this.col++;
      this.i++;
    }
  }

  next(): Tok {
    for (;;) {
      const c = this.src[this.i];
      if (c === ' ' || c === '\t' || c === '\r') this.advance();
      else if (c === '#') while (this.i < this.src.length && this.src[this.i] !== '\n') this.advance();
      else break;
    }
    const pos = this.pos();
    if (this.i >= this.src.length) return { t: 'eof', pos };
    const c = this.src[this.i];
    if (c === '\n') {
      this.advance();
      return { t: 'nl', pos };
    }
    if (c === '+' && this.src[this.i + 1] === '=') {
      this.advance(2);
      return { t: '+=', pos };
    }
    if (c === '=' || c === '[' || c === ']' || c === ',' || c === ';') {
      this.advance();
      return { t: c, pos };
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_.-]*/.exec(this.src.slice(this.i, this.i + 200));
    if (ident && /[A-Za-z_]/.test(c)) {
      this.advance(ident[0].length);
      return { t: 'ident', text: ident[0], pos };
    }
    const num = /^[0-9][0-9A-Za-z_.]*/.exec(this.src.slice(this.i, this.i + 200));
    if (num) {
      this.advance(num[0].length);
      return { t: 'number', text: num[0], pos };
    }
    if (c === '"' || c === "'") return this.string(c, pos);
    this.sink.error(pos, `unexpected character '${c}'`);
    this.advance();
    return this.next();
  }

  private string(quote: string, pos: Position): Tok {
    this.advance();
    let value = '';
    while (this.i < this.src.length && this.src[this.i] !== quote && this.src[this.i] !== '\n') {
      const c = this.src[this.i];
      // Double-quoted strings take C escapes (libxlu's dequote); single-quoted ones are literal.
      if (c === '\\' && quote === '"' && this.i + 1 < this.src.length && this.src[this.i + 1] !== '\n') {
        const e = this.src[this.i + 1];
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v' };
        if (e in simple) {
          value += simple[e];
          this.advance(2);
          continue;
        }
        const oct = /^[0-7]{1,3}/.exec(this.src.slice(this.i + 1, this.i + 4));
        if (oct) {
          value += String.fromCharCode(parseInt(oct[0], 8));
          this.advance(1 + oct[0].length);
          continue;
        }
        const hx = /^x([0-9A-Fa-f]{1,2})/.exec(this.src.slice(this.i + 1, this.i + 4));
        if (hx) {
          value += String.fromCharCode(parseInt(hx[1], 16));
          this.advance(1 + hx[0].length);
          continue;
        }
        this.sink.error(this.pos(), `unknown escape '\\${e}' in string`, 2);
        this.advance(2);
        continue;
      }
      value += c;
      this.advance();
    }
    if (this.src[this.i] !== quote) {
      this.sink.error(pos, `unterminated string (missing closing ${quote})`);
      return { t: 'string', value, pos, end: this.pos() };
    }
    this.advance();
    return { t: 'string', value, pos, end: this.pos() };
  }
}

/** Parses a number as xl does: decimal, octal with a leading 0, hex with 0x. */
export function parseXlNumber(text: string): number | undefined {
  if (/^0[xX][0-9A-Fa-f]+$/.test(text)) return parseInt(text.slice(2), 16);
  if (/^0[0-7]*$/.test(text)) return parseInt(text, 8);
  if (/^[1-9][0-9]*$/.test(text)) return parseInt(text, 10);
  return undefined;
}

class Parser {
  private tok: Tok;
  constructor(
    private readonly lex: Lexer,
    private readonly sink: DiagnosticSink,
  ) {
    this.tok = lex.next();
  }
  /** The lookahead; a method so TypeScript does not keep narrowing it across shift(). */
  private peek(): Tok {
    return this.tok;
  }
  private shift(): Tok {
    const t = this.tok;
    this.tok = this.lex.next();
    return t;
  }
  private skipLine(): void {
    while (this.peek().t !== 'nl' && this.peek().t !== ';' && this.peek().t !== 'eof') this.shift();
  }
  private skipNewlines(): void {
    while (this.peek().t === 'nl') this.shift();
  }

  file(): CfgSetting[] {
    const out: CfgSetting[] = [];
    while (this.peek().t !== 'eof') {
      if (this.peek().t === 'nl' || this.peek().t === ';') {
        this.shift();
        continue;
      }
      const s = this.setting();
      if (s) out.push(s);
      if (this.peek().t !== 'nl' && this.peek().t !== ';' && this.peek().t !== 'eof') {
        this.sink.error(this.peek().pos, `expected a newline or ';' after the value, found ${describe(this.peek())}`);
        this.skipLine();
      }
    }
    return out;
  }

  private setting(): CfgSetting | undefined {
    const k = this.shift();
    if (k.t !== 'ident') {
      this.sink.error(k.pos, `expected a setting name, found ${describe(k)}`);
      this.skipLine();
      return undefined;
    }
    if (!/^[a-z][_0-9a-z]*$/.test(k.text)) {
      this.sink.error(k.pos, `'${k.text}' is not a valid setting name (lower-case letters, digits and '_')`, k.text.length);
    }
    const op = this.shift();
    if (op.t !== '=' && op.t !== '+=') {
      this.sink.error(op.pos, `expected '=' after '${k.text}', found ${describe(op)}`);
      this.skipLine();
      return undefined;
    }
    const value = this.value();
    if (!value) {
      this.skipLine();
      return undefined;
    }
    return { key: k.text, keyPos: k.pos, op: op.t, value };
  }

  private value(): CfgValue | undefined {
    const t = this.shift();
    switch (t.t) {
      case 'string':
        return { kind: 'string', value: t.value, pos: t.pos, end: t.end };
      case 'number': {
        const v = parseXlNumber(t.text);
        if (v === undefined) {
          this.sink.error(t.pos, `'${t.text}' is not a number (decimal, octal with a leading 0, or hex with 0x)`, t.text.length);
          return undefined;
        }
        return { kind: 'number', value: v, text: t.text, pos: t.pos, end: { line: t.pos.line, col: t.pos.col + t.text.length } };
      }
      case '[': {
        const items: CfgValue[] = [];
        this.skipNewlines();
        while (this.peek().t !== ']') {
          if (this.peek().t === 'eof') {
            this.sink.error(t.pos, "unterminated list (missing ']')");
            return undefined;
          }
          const v = this.value();
          if (!v) return undefined;
          items.push(v);
          this.skipNewlines();
          if (this.peek().t === ',') {
            this.shift();
            this.skipNewlines();
          } else if (this.peek().t === 'eof') {
            this.sink.error(t.pos, "unterminated list (missing ']')");
            return undefined;
          } else if (this.peek().t !== ']') {
            this.sink.error(this.peek().pos, `expected ',' or ']' in list, found ${describe(this.peek())}`);
            return undefined;
          }
        }
        const close = this.shift();
        return { kind: 'list', items, pos: t.pos, end: { line: close.pos.line, col: close.pos.col + 1 } };
      }
      case 'ident':
        this.sink.error(t.pos, `a string value needs quotes: "${t.text}"`, t.text.length);
        return undefined;
      default:
        this.sink.error(t.pos, `expected a value (a quoted string, a number or a [list]), found ${describe(t)}`);
        return undefined;
    }
  }
}

function describe(t: Tok): string {
  switch (t.t) {
    case 'ident':
      return `'${t.text}'`;
    case 'number':
      return `'${t.text}'`;
    case 'string':
      return 'a string';
    case 'nl':
      return 'end of line';
    case 'eof':
      return 'end of file';
    default:
      return `'${t.t}'`;
  }
}

/** Parses config text into settings; problems go to `sink`. */
export function parseXlCfgText(text: string, sink: DiagnosticSink): CfgSetting[] {
  return new Parser(new Lexer(text, sink), sink).file();
}
