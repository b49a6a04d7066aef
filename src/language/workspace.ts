/**
 * The assembler sources of the workspace folders, so that references (and workspace symbol
 * search) also see guests that are not open: a label in a shared include is used by many.
 * The walk is bounded: it skips hidden folders and build output, and stops at MAX_FILES.
 */
import * as fs from 'fs';
import * as path from 'path';
import { SymbolInformation, SymbolKind } from 'vscode-languageserver';
import { SourceIndex, pathToUri } from './sourceIndex';

const SKIP = new Set(['node_modules', 'dist', 'out', 'build']);
const SOURCE_FILE = /\.(asm|nasm|inc)$/i;
export const MAX_FILES = 5000;

/** URIs of the assembler sources under the folders (sorted, at most MAX_FILES). */
export function workspaceSources(folders: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (out.length >= MAX_FILES) return;
      if (e.name.startsWith('.')) continue;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP.has(e.name)) walk(full);
      } else if (SOURCE_FILE.test(e.name)) out.push(pathToUri(full));
    }
  };
  for (const f of folders) walk(f);
  return out;
}

const KIND: Record<string, SymbolKind> = {
  label: SymbolKind.Function, local: SymbolKind.Function, equ: SymbolKind.Constant, define: SymbolKind.Constant,
  macro: SymbolKind.Operator, struc: SymbolKind.Struct, field: SymbolKind.Field,
};

/** Names defined in the given sources that contain the query's letters in order (case-insensitive). */
export function workspaceSymbols(index: SourceIndex, uris: readonly string[], query: string, limit = 500): SymbolInformation[] {
  const q = query.toLowerCase();
  const matches = (name: string): boolean => {
    let i = 0;
    for (const c of name.toLowerCase()) if (c === q[i]) i++;
    return i === q.length;
  };
  const out: SymbolInformation[] = [];
  for (const uri of uris) {
    for (const s of index.outline(uri)?.symbols ?? []) {
      if (s.kind === 'macro-local' || !matches(s.name)) continue;
      out.push(SymbolInformation.create(s.name, KIND[s.kind], { start: { line: s.line, character: s.start }, end: { line: s.line, character: s.end } }, uri, s.parent));
      if (out.length >= limit) return out;
    }
  }
  return out;
}
