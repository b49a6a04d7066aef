/** Go to definition and find references for assembler names (labels, locals, equs, macros, defines, strucs). */
import { Location, Position, Range } from 'vscode-languageserver';
import { SourceSymbol, isReservedWord, resolveName } from './asmOutline';
import { definesName, SourceIndex } from './sourceIndex';
import { asmWordAt, splitLines } from './text';

/** The resolved name under the cursor (local labels against their scope), or undefined. */
export function nameAt(index: SourceIndex, uri: string, text: string, pos: Position): string | undefined {
  const line = splitLines(text)[pos.line] ?? '';
  const word = asmWordAt(line, pos.character);
  if (!word || /^\d/.test(word.text) || isReservedWord(word.text)) return undefined;
  const scope = index.outline(uri)?.scopes[pos.line] ?? {};
  return resolveName(word.text, scope.parent, scope.macro);
}

export function symbolLocation(uri: string, s: { line: number; start: number; end: number }): Location {
  return Location.create(uri, Range.create(s.line, s.start, s.line, s.end));
}

/** The definitions of a resolved name visible from a document. */
export function definitionsOf(index: SourceIndex, uri: string, name: string): { uri: string; symbol: SourceSymbol }[] {
  return index.visibleSymbols(uri).filter((d) => definesName(d.symbol, name));
}

export function findDefinition(index: SourceIndex, uri: string, text: string, pos: Position): Location[] {
  const name = nameAt(index, uri, text, pos);
  if (name === undefined) return [];
  return definitionsOf(index, uri, name).map((d) => symbolLocation(d.uri, d.symbol));
}

/**
 * Every use of the name under the cursor in the document, the files it includes, and every
 * other open document (with their includes): a label in a shared include is used by many guests.
 */
export function findReferences(
  index: SourceIndex,
  uri: string,
  text: string,
  pos: Position,
  includeDeclaration: boolean,
  openUris: readonly string[],
): Location[] {
  const name = nameAt(index, uri, text, pos);
  if (name === undefined) return [];
  const docs = new Set<string>();
  for (const u of [uri, ...openUris]) for (const c of index.closure(u)) docs.add(c);
  const out: Location[] = [];
  const seen = new Set<string>();
  const add = (u: string, r: { line: number; start: number; end: number }): void => {
    const key = `${u}:${r.line}:${r.start}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(symbolLocation(u, r));
  };
  for (const u of docs) {
    const outline = index.outline(u);
    if (!outline) continue;
    if (includeDeclaration) for (const s of outline.symbols) if (definesName(s, name)) add(u, s);
    const caseless = definitionsOf(index, uri, name).some((d) => d.symbol.caseless);
    for (const r of outline.references) {
      if (r.name === name || (caseless && r.name.toLowerCase() === name.toLowerCase())) add(u, r);
    }
  }
  return out;
}
