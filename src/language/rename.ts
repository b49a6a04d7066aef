/**
 * Rename a label, local label, macro-local label, equ, %define, macro or struc everywhere it
 * is written (open buffers, the workspace's sources, their includes). A local label keeps
 * the form each place wrote it in (`.loop` or `start.loop`); renaming a label also renames
 * the qualified uses of its local labels (`start.loop` → `begin.loop`). Names defined in
 * files outside the workspace (xensim's own xen.inc) are not renamed.
 */
import { Position, Range, TextEdit, WorkspaceEdit } from 'vscode-languageserver';
import { isReservedWord, SourceSymbol } from './asmOutline';
import { definitionsOf, nameAt, Occurrence, occurrences } from './navigation';
import { SourceIndex, uriToPath } from './sourceIndex';
import { asmWordAt, splitLines } from './text';

export class RenameError extends Error {}

const IDENT = /^[A-Za-z_?@$][\w$#@~.?]*$/;

interface Target {
  name: string;
  written: string;
  range: Range;
  symbol: SourceSymbol;
}

function target(index: SourceIndex, uri: string, text: string, pos: Position, editable: (uri: string) => boolean): Target {
  const word = asmWordAt(splitLines(text)[pos.line] ?? '', pos.character);
  const name = nameAt(index, uri, text, pos);
  if (!word || name === undefined) throw new RenameError('Only labels, constants and macros can be renamed.');
  const defs = definitionsOf(index, uri, name);
  if (defs.length === 0) throw new RenameError(`'${word.text}' is not defined in these sources.`);
  const foreign = defs.find((d) => !editable(d.uri));
  if (foreign) throw new RenameError(`'${name}' is defined in ${foreign.uri.slice(foreign.uri.lastIndexOf('/') + 1)}, outside the workspace.`);
  return { name, written: word.text, range: Range.create(pos.line, word.start, pos.line, word.end), symbol: defs[0].symbol };
}

/** The range and text the editor offers for renaming (throws RenameError when it cannot). */
export function prepareRename(index: SourceIndex, uri: string, text: string, pos: Position, editable: (uri: string) => boolean): { range: Range; placeholder: string } {
  const t = target(index, uri, text, pos, editable);
  return { range: t.range, placeholder: t.written };
}

export function rename(
  index: SourceIndex,
  uri: string,
  text: string,
  pos: Position,
  newName: string,
  sources: readonly string[],
  editable: (uri: string) => boolean,
): WorkspaceEdit {
  const t = target(index, uri, text, pos, editable);
  const kind = t.symbol.kind;
  const local = kind === 'local' || kind === 'field';
  const macroLocal = kind === 'macro-local';
  const owner = t.symbol.parent ?? '';
  // accept `.again`, `again` or `start.again` for a local label; `%%again` or `again` for a macro-local
  const bare = local ? newName.replace(new RegExp(`^(?:${owner.replace(/[.$?]/g, '\\$&')})?\\.`), '') : macroLocal ? newName.replace(/^%%/, '') : newName;
  if (!IDENT.test(bare) || isReservedWord(bare) || ((local || macroLocal) && bare.includes('.'))) {
    throw new RenameError(`'${newName}' is not a name NASM accepts here.`);
  }
  const newShort = local ? `.${bare}` : macroLocal ? `%%${bare}` : bare;
  const newResolved = local ? `${owner}${newShort}` : macroLocal ? `${owner}${newShort}` : bare;
  if (definitionsOf(index, uri, newResolved).length > 0) throw new RenameError(`'${newResolved}' is already defined.`);

  const changes: Record<string, TextEdit[]> = {};
  const edit = (o: Occurrence, from: number, to: number, replacement: string): void => {
    (changes[o.uri] ??= []).push(TextEdit.replace(Range.create(o.line, from, o.line, to), replacement));
  };
  for (const o of occurrences(index, uri, t.name, sources, true)) {
    if (!editable(o.uri)) continue;
    // a use may write a local label short (.loop) or qualified (start.loop)
    edit(o, o.start, o.end, o.written.startsWith('.') || o.written.startsWith('%%') ? newShort : newResolved);
  }
  if (kind === 'label' || kind === 'struc') {
    // qualified uses of its local labels or fields: start.loop → begin.loop, point.x → pt.x
    const locals = index.visibleSymbols(uri).filter((d) => (d.symbol.kind === 'local' || d.symbol.kind === 'field') && d.symbol.parent === t.name);
    for (const l of locals) {
      for (const o of occurrences(index, uri, l.symbol.name, sources, false)) {
        if (editable(o.uri) && o.written.startsWith(`${t.name}.`)) edit(o, o.start, o.start + t.name.length, newResolved);
      }
    }
  }
  return { changes };
}

/** Whether a URI is a file inside one of the folders. */
export function insideFolders(folders: readonly string[]): (uri: string) => boolean {
  return (uri) => {
    const file = uriToPath(uri);
    if (file === undefined) return false;
    return folders.some((f) => file === f || file.startsWith(f.endsWith('/') ? f : `${f}/`));
  };
}
