/**
 * A fast, forgiving scan of one NASM source for what the editor features need: the names it
 * defines (labels, local labels, equs, %define/%assign, %macro, struc and their fields),
 * every identifier it uses, and its %include lines. It never fails: a line it does not
 * understand contributes nothing. The assembler (src/asm) remains the authority on meaning;
 * this only has to find names while the user is typing.
 */
import { instruction } from './instructions';
import { register } from '../asm/registers';
import { asmCodeEnd, splitLines } from './text';

export type SourceSymbolKind = 'label' | 'local' | 'equ' | 'define' | 'macro' | 'struc' | 'field' | 'macro-local';

export interface SourceSymbol {
  /** resolved name: `start`, `start.loop`, `point.x`, `STACK_SIZE`, `print%%again` */
  readonly name: string;
  /** as written at the definition: `.loop`, `%%again` */
  readonly written: string;
  readonly kind: SourceSymbolKind;
  /** position of the name */
  readonly line: number;
  readonly start: number;
  readonly end: number;
  /** last line of a %macro or struc body */
  endLine?: number;
  /** the rest of the defining line: equ value, %define body, macro parameter count, data */
  readonly detail: string;
  /** the global label (or struc) a local name hangs off */
  readonly parent?: string;
  /** %idefine/%imacro names match case-insensitively */
  readonly caseless?: boolean;
}

export interface AsmReference {
  /** resolved as a definition would be (local labels against their parent) */
  readonly name: string;
  readonly written: string;
  readonly line: number;
  readonly start: number;
  readonly end: number;
}

export interface AsmInclude {
  readonly path: string;
  readonly line: number;
  readonly start: number;
  readonly end: number;
}

export interface AsmOutline {
  readonly symbols: SourceSymbol[];
  readonly references: AsmReference[];
  readonly includes: AsmInclude[];
  /** per line: the enclosing global label and macro, to resolve a name written there */
  readonly scopes: AsmScope[];
}

const NAME = String.raw`(?:\.\.@|%%|\.)?[A-Za-z_?@$][\w$#@~.?]*`;
// 'd' flag: capture positions, so a name is never looked for inside the directive before it
const RE_DEFINE = new RegExp(String.raw`^\s*%(i?)(?:x?define|assign|defstr|deftok)\s+(${NAME})(\([^)]*\))?\s*(.*)$`, 'id');
const RE_MACRO = new RegExp(String.raw`^\s*%(i?)r?macro\s+(${NAME})\s*(.*)$`, 'id');
const RE_ENDMACRO = /^\s*%(?:endmacro|endm)\b/i;
const RE_INCLUDE = /^\s*%include\s+["'`<]([^"'`>]*)["'`>]/di;
const RE_STRUC = new RegExp(String.raw`^\s*struc\s+(${NAME})`, 'id');
const RE_ENDSTRUC = /^\s*endstruc\b/i;
const RE_LABEL_COLON = new RegExp(String.raw`^\s*(${NAME})\s*:`, 'd');
const RE_LABEL_WORD = new RegExp(String.raw`^\s*(${NAME})\s+(equ|times|d[bwdqto]|res[bwdqto])\b\s*(.*)$`, 'id');
const RE_IDENT = new RegExp(NAME, 'y');
const IDENT_CHAR = /[\w$#@~.?%]/;

/** Words that are part of the language, never user names (besides mnemonics and registers). */
const KEYWORDS = new Set(
  (
    'byte word dword qword tword oword fword yword short near far strict nosplit rel abs seg wrt ' +
    'bits use16 use32 org section segment align alignb global extern common static absolute cpu default ' +
    'incbin times equ struc endstruc istruc at iend db dw dd dq dt do resb resw resd resq rest reso'
  ).split(' '),
);

/** Whether a word is a mnemonic, prefix, register or keyword rather than a user name. */
export function isReservedWord(word: string): boolean {
  const w = word.toLowerCase();
  return KEYWORDS.has(w) || instruction(w) !== undefined || register(w) !== undefined;
}

/** Resolves a name as written on a line whose enclosing global label (or struc) is parent. */
export function resolveName(written: string, parent: string | undefined, macro: string | undefined): string {
  if (written.startsWith('%%')) return `${macro ?? ''}${written}`;
  if (written.startsWith('.') && !written.startsWith('..')) return `${parent ?? ''}${written}`;
  return written;
}

/** Where capture group g of a match made with the 'd' flag starts. */
function at(m: RegExpExecArray, g: number): number {
  return m.indices![g][0];
}

/** The scope (enclosing label, struc, macro) of one line, as scanAsm saw it. */
export interface AsmScope {
  parent?: string;
  macro?: string;
}

export function scanAsm(text: string): AsmOutline {
  const symbols: SourceSymbol[] = [];
  const references: AsmReference[] = [];
  const includes: AsmInclude[] = [];
  const scopes: AsmScope[] = [];
  let parent: string | undefined;
  let macro: SourceSymbol | undefined;
  let struc: SourceSymbol | undefined;

  const define = (kind: SourceSymbolKind, written: string, line: number, start: number, detail: string, caseless = false): SourceSymbol => {
    const owner = kind === 'macro-local' ? macro?.name : kind === 'local' || kind === 'field' ? parent : undefined;
    const sym: SourceSymbol = {
      name: resolveName(written, parent, macro?.name),
      written,
      kind,
      line,
      start,
      end: start + written.length,
      detail: detail.trim(),
      ...(owner !== undefined ? { parent: owner } : {}),
      ...(caseless ? { caseless } : {}),
    };
    symbols.push(sym);
    return sym;
  };

  const labelDefinition = (written: string, line: number, start: number, detail: string, isEqu: boolean): void => {
    let kind: SourceSymbolKind;
    if (written.startsWith('%%')) kind = 'macro-local';
    else if (isEqu) kind = 'equ';
    else if (written.startsWith('.') && !written.startsWith('..')) kind = struc ? 'field' : 'local';
    else kind = 'label';
    define(kind, written, line, start, detail);
    // NASM: a label not starting with '.' opens a new scope for local labels ('..@' names do not)
    if (!written.startsWith('.') && !written.startsWith('%%')) parent = written;
  };

  const scanReferences = (code: string, from: number, line: number): void => {
    let quote = '';
    for (let i = from; i < code.length; i++) {
      const c = code[i];
      if (quote) {
        if (quote === '`' && c === '\\') i++;
        else if (c === quote) quote = '';
        continue;
      }
      if (c === '"' || c === "'" || c === '`') {
        quote = c;
        continue;
      }
      if (i > 0 && IDENT_CHAR.test(code[i - 1])) continue;
      RE_IDENT.lastIndex = i;
      const id = RE_IDENT.exec(code);
      if (!id) continue;
      const written = id[0];
      if (!isReservedWord(written) && !/^\$+(?:\d|$)/.test(written)) {
        references.push({ name: resolveName(written, parent, macro?.name), written, line, start: i, end: i + written.length });
      }
      i += written.length - 1;
    }
  };

  splitLines(text).forEach((full, line) => {
    const code = full.slice(0, asmCodeEnd(full));
    let from = 0; // where identifier references start on this line
    let m: RegExpExecArray | null;
    if ((m = RE_INCLUDE.exec(code))) {
      includes.push({ path: m[1], line, start: at(m, 1), end: at(m, 1) + m[1].length });
      from = code.length;
    } else if ((m = RE_DEFINE.exec(code))) {
      define('define', m[2], line, at(m, 2), `${m[3] ?? ''} ${m[4]}`, m[1] !== '');
      from = at(m, 2) + m[2].length;
    } else if ((m = RE_MACRO.exec(code))) {
      macro = define('macro', m[2], line, at(m, 2), m[3], m[1] !== '');
      from = code.length;
    } else if (RE_ENDMACRO.test(code)) {
      if (macro) macro.endLine = line;
      macro = undefined;
    } else if ((m = RE_STRUC.exec(code))) {
      struc = define('struc', m[1], line, at(m, 1), '');
      parent = m[1];
      from = code.length;
    } else if (RE_ENDSTRUC.test(code)) {
      if (struc) struc.endLine = line;
      struc = undefined;
    } else if ((m = RE_LABEL_COLON.exec(code)) && !isReservedWord(m[1])) {
      labelDefinition(m[1], line, at(m, 1), code.slice(m[0].length), false);
      from = m[0].length;
    } else if ((m = RE_LABEL_WORD.exec(code)) && !isReservedWord(m[1])) {
      const isEqu = m[2].toLowerCase() === 'equ';
      labelDefinition(m[1], line, at(m, 1), isEqu ? m[3] : `${m[2]} ${m[3]}`, isEqu);
      from = at(m, 1) + m[1].length;
    }
    scopes.push({ ...(parent !== undefined ? { parent } : {}), ...(macro ? { macro: macro.name } : {}) });
    scanReferences(code, from, line);
  });
  return { symbols, references, includes, scopes };
}
