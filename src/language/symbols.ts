/** Document symbols (the Outline view and breadcrumbs) of assembler sources and xl configs. */
import { DocumentSymbol, Range, SymbolKind } from 'vscode-languageserver';
import { AsmOutline, SourceSymbol } from './asmOutline';
import { xlKey } from './xlKeys';
import { XlSetting } from './xlOutline';

function kindOf(s: SourceSymbol): SymbolKind {
  switch (s.kind) {
    case 'macro':
      return SymbolKind.Operator;
    case 'equ':
    case 'define':
      return SymbolKind.Constant;
    case 'struc':
      return SymbolKind.Struct;
    case 'field':
      return SymbolKind.Field;
    default:
      // a label in front of data or reserved space names a variable; else code
      return /^(?:d[bwdqto]|res[bwdqto]|times)\b/i.test(s.detail) ? SymbolKind.Variable : SymbolKind.Function;
  }
}

/**
 * Labels hold their local labels, macros their %%labels and strucs their fields; a label's
 * range runs to the line before the next label so that breadcrumbs follow the cursor.
 */
export function asmDocumentSymbols(outline: AsmOutline, lines: readonly string[]): DocumentSymbol[] {
  const lineCount = lines.length;
  const top: DocumentSymbol[] = [];
  const owners = new Map<string, DocumentSymbol>();
  const globals = outline.symbols.filter((s) => s.kind === 'label').map((s) => s.line);
  const rangeEnd = (s: SourceSymbol): number => {
    if (s.endLine !== undefined) return s.endLine;
    if (s.kind !== 'label') return s.line;
    const next = globals.find((l) => l > s.line);
    return next === undefined ? Math.max(s.line, lineCount - 1) : Math.max(s.line, next - 1);
  };
  for (const s of outline.symbols) {
    const selection = Range.create(s.line, s.start, s.line, s.end);
    const last = rangeEnd(s);
    const whole = Range.create(s.line, 0, last, Math.max(lines[last]?.length ?? 0, last === s.line ? s.end : 0));
    const sym = DocumentSymbol.create(s.written, s.detail || undefined, kindOf(s), whole, selection, []);
    const owner = s.parent !== undefined ? owners.get(s.parent) : undefined;
    if (owner && (s.kind === 'local' || s.kind === 'field' || s.kind === 'macro-local')) owner.children!.push(sym);
    else top.push(sym);
    if (s.kind === 'label' || s.kind === 'macro' || s.kind === 'struc') owners.set(s.name, sym);
  }
  return top;
}

export function xlDocumentSymbols(settings: readonly XlSetting[]): DocumentSymbol[] {
  return settings.map((s) => {
    const range = Range.create(s.line, s.start, s.line, s.end);
    const info = xlKey(s.key);
    return DocumentSymbol.create(s.key, info?.summary, info?.kind === 'list' ? SymbolKind.Array : SymbolKind.Property, range, range);
  });
}
