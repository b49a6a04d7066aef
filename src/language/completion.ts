/** Completion: mnemonics, registers, directives, user names, macros (asm); keys and values (xl). */
import { CompletionItem, CompletionItemKind, InsertTextFormat, MarkupKind, Position } from 'vscode-languageserver';
import { REGISTERS } from '../asm/registers';
import { SourceSymbol } from './asmOutline';
import { hypercallHover, instructionHover, xlKeyHover } from './hover';
import { HYPERCALL_MACROS, HYPERCALLS, hypercall } from './hypercalls';
import { INSTRUCTIONS } from './instructions';
import { SourceIndex } from './sourceIndex';
import { asmCodeEnd, splitLines, xlCodeEnd } from './text';
import { XL_KEYS, xlKey } from './xlKeys';
import { scanXl, settingAt } from './xlOutline';

const DIRECTIVE_WORDS = 'bits org section segment align alignb times equ db dw dd dq dt resb resw resd resq struc endstruc istruc at iend global extern incbin'.split(' ');
const SIZE_WORDS = 'byte word dword qword tword short near far strict'.split(' ');
const PREPROCESSOR = 'define xdefine idefine undef assign macro imacro endmacro include if ifdef ifndef ifidn ifmacro elif elifdef else endif rep endrep exitrep error warning fatal local push pop rotate strlen substr'.split(' ');

function symbolItem(s: SourceSymbol, label: string): CompletionItem {
  const kind = {
    label: /^(?:d[bwdqto]|res[bwdqto]|times)\b/i.test(s.detail) ? CompletionItemKind.Variable : CompletionItemKind.Function,
    local: CompletionItemKind.Function,
    'macro-local': CompletionItemKind.Function,
    equ: CompletionItemKind.Constant,
    define: CompletionItemKind.Constant,
    macro: CompletionItemKind.Snippet,
    struc: CompletionItemKind.Struct,
    field: CompletionItemKind.Field,
  }[s.kind];
  return { label, kind, detail: s.detail ? `${s.kind} ${s.detail}` : s.kind, sortText: `0${label}` };
}

function mnemonicItems(): CompletionItem[] {
  return INSTRUCTIONS.map((i) => ({
    label: i.mnemonic,
    kind: CompletionItemKind.Keyword,
    detail: i.summary,
    documentation: { kind: MarkupKind.Markdown, value: instructionHover(i) },
    sortText: `1${i.mnemonic}`,
  }));
}

function wordItems(words: readonly string[], kind: CompletionItemKind, detail: string, rank: string): CompletionItem[] {
  return words.map((w) => ({ label: w, kind, detail, sortText: `${rank}${w}` }));
}

/** The constant family the hypercall-macro argument being typed takes (`EVTCHNOP` …), if any. */
function argumentFamily(before: string): string | undefined {
  const m = /^\s*(?:[\w$#@~.?]+:\s*)?(\w+)\s+(\w+)\s*,([^;]*)$/.exec(before);
  if (!m || !HYPERCALL_MACROS.has(m[1])) return undefined;
  const argIndex = m[3].split(',').length - 1; // 0 = ebx
  return hypercall(m[2])?.families[argIndex];
}

/** Completion items for path candidates, replacing what was typed of the path. */
function pathItems(candidates: readonly string[], typed: string, pos: Position): CompletionItem[] {
  return candidates.map((p) => ({
    label: p.slice(p.lastIndexOf('/', p.length - 2) + 1),
    kind: p.endsWith('/') ? CompletionItemKind.Folder : CompletionItemKind.File,
    filterText: p,
    textEdit: { range: { start: { line: pos.line, character: pos.character - typed.length }, end: pos }, newText: p },
  }));
}

export function asmCompletion(index: SourceIndex, uri: string, text: string, pos: Position): CompletionItem[] {
  const line = splitLines(text)[pos.line] ?? '';
  const before = line.slice(0, pos.character);
  if (asmCodeEnd(before) < before.length) return []; // in a comment
  const include = /^\s*%include\s+["'<]([^"'>]*)$/i.exec(before);
  if (include) return pathItems(index.includeCandidates(uri, include[1]), include[1], pos);
  if (/(["'`])[^"'`]*$/.test(before) && (before.match(/["'`]/g) ?? []).length % 2 === 1) return []; // in a string

  const directive = /^\s*(%\w*)$/.exec(before);
  if (directive) {
    // replace from the '%' so the editor filters '%de' against '%define'
    const range = { start: { line: pos.line, character: pos.character - directive[1].length }, end: pos };
    return PREPROCESSOR.map((d) => ({ label: `%${d}`, kind: CompletionItemKind.Keyword, filterText: `%${d}`, textEdit: { range, newText: `%${d}` }, sortText: d }));
  }

  const scope = index.outline(uri)?.scopes[pos.line] ?? {};
  const visible = index.visibleSymbols(uri).map((v) => v.symbol);
  const typing = /(?:%%|\.)?[\w$#@~.?]*$/.exec(before)![0];
  const names: CompletionItem[] = [];
  const seen = new Set<string>();
  for (const s of visible) {
    let label: string;
    if (s.kind === 'local') {
      // a local label is offered by its short name inside its own scope, by its full name elsewhere
      label = s.parent === scope.parent ? s.written : s.name;
    } else if (s.kind === 'macro-local') {
      if (s.parent !== scope.macro) continue;
      label = s.written;
    } else label = s.name;
    if (seen.has(label)) continue;
    seen.add(label);
    names.push(symbolItem(s, label));
  }
  if (typing.startsWith('.') || typing.startsWith('%%')) return names.filter((n) => n.label.startsWith(typing[0]));

  const firstWord = /^\s*(?:[\w$#@~.?]+:\s*)?[\w.]*$/.test(before);
  if (firstWord) {
    const macros = names.filter((n) => n.kind === CompletionItemKind.Snippet);
    return [...macros, ...mnemonicItems(), ...wordItems(DIRECTIVE_WORDS, CompletionItemKind.Keyword, 'directive', '2')];
  }
  // xen.inc's HYPERCALLn / INT82_n macros take a bare hypercall name first
  const call = /^\s*(?:[\w$#@~.?]+:\s*)?(\w+)\s+[\w]*$/.exec(before);
  if (call && HYPERCALL_MACROS.has(call[1])) {
    return HYPERCALLS.map((h) => ({
      label: h.name,
      kind: CompletionItemKind.Function,
      detail: `hypercall ${h.number}`,
      documentation: { kind: MarkupKind.Markdown, value: hypercallHover(h) },
      sortText: String(h.number).padStart(3, '0'),
    }));
  }
  // in a hypercall macro's argument that takes constants of a family, those come first
  const family = call ? undefined : argumentFamily(before);
  if (family) {
    for (const n of names) if (String(n.label).startsWith(`${family}_`)) n.sortText = ` ${n.label}`;
  }
  const registers = wordItems(REGISTERS.map((r) => r.name), CompletionItemKind.Variable, 'register', '1');
  return [...names.filter((n) => n.kind !== CompletionItemKind.Snippet), ...registers, ...wordItems(SIZE_WORDS, CompletionItemKind.Keyword, 'size', '2')];
}

export function xlCompletion(index: SourceIndex, uri: string, text: string, pos: Position): CompletionItem[] {
  const line = splitLines(text)[pos.line] ?? '';
  const before = line.slice(0, pos.character);
  if (xlCodeEnd(before) < before.length) return [];
  const settings = scanXl(text);
  const current = before.slice(before.lastIndexOf(';') + 1);
  if (/^\s*[\w.]*$/.test(current)) {
    const present = new Set(settings.filter((s) => s.line !== pos.line).map((s) => s.key));
    return XL_KEYS.map((k) => {
      const value = k.kind === 'string' ? '"$1"' : k.kind === 'list' ? '[ $1 ]' : '$1';
      return {
        label: k.key,
        kind: CompletionItemKind.Property,
        detail: k.summary,
        documentation: { kind: MarkupKind.Markdown, value: xlKeyHover(k) },
        insertText: `${k.key} = ${value}`,
        insertTextFormat: InsertTextFormat.Snippet,
        // keys not yet set come first
        sortText: `${present.has(k.key) ? 1 : 0}${k.key}`,
      };
    });
  }
  const setting = settingAt(settings, pos.line, pos.character);
  const info = setting ? xlKey(setting.key) : undefined;
  if (!info) return [];
  const inQuotes = (current.match(/["']/g) ?? []).length % 2 === 1;
  if (info.kind === 'boolean') return wordItems(['0', '1'], CompletionItemKind.Value, info.key, '0');
  const typedPath = /["']([^"']*)$/.exec(current);
  if (info.path && inQuotes && typedPath) return pathItems(index.siblingCandidates(uri, typedPath[1]), typedPath[1], pos);
  return (info.values ?? []).map((v) => ({
    label: v,
    kind: CompletionItemKind.EnumMember,
    detail: info.key,
    insertText: inQuotes || info.kind === 'number' ? v : `"${v}"`,
  }));
}
