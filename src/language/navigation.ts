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

/** One place a name is written: a definition or a use. */
export interface Occurrence {
  readonly uri: string;
  readonly line: number;
  readonly start: number;
  readonly end: number;
  /** as written there: `.loop`, `start.loop`, `%%again`, `STACK_SIZE` */
  readonly written: string;
  readonly isDefinition: boolean;
}

/**
 * Every place a resolved name is written in the given sources and the files they include:
 * a label in a shared include is used by many guests.
 */
export function occurrences(index: SourceIndex, uri: string, name: string, sources: readonly string[], includeDeclaration: boolean): Occurrence[] {
  const docs = new Set<string>();
  for (const u of [uri, ...sources]) for (const c of index.closure(u)) docs.add(c);
  const caseless = definitionsOf(index, uri, name).some((d) => d.symbol.caseless);
  const same = (n: string): boolean => n === name || (caseless && n.toLowerCase() === name.toLowerCase());
  const out: Occurrence[] = [];
  const seen = new Set<string>();
  const add = (u: string, r: { line: number; start: number; end: number; written: string }, isDefinition: boolean): void => {
    const key = `${u}:${r.line}:${r.start}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ uri: u, line: r.line, start: r.start, end: r.end, written: r.written, isDefinition });
  };
  for (const u of docs) {
    const outline = index.outline(u);
    if (!outline) continue;
    if (includeDeclaration) for (const s of outline.symbols) if (same(s.name)) add(u, s, true);
    for (const r of outline.references) if (same(r.name)) add(u, r, false);
  }
  return out;
}

/** Every use of the name under the cursor (see occurrences). */
export function findReferences(
  index: SourceIndex,
  uri: string,
  text: string,
  pos: Position,
  includeDeclaration: boolean,
  sources: readonly string[],
): Location[] {
  const name = nameAt(index, uri, text, pos);
  if (name === undefined) return [];
  return occurrences(index, uri, name, sources, includeDeclaration).map((o) => symbolLocation(o.uri, o));
}
