/**
 * Diagnostics as the user types. Assembler sources: every error and warning of the project's
 * assembler (src/asm), which reads unsaved buffers and resolves %include like the CLI does.
 * xl configs: every error and warning of the config parser (src/xen/config), which checks
 * keys, values and that the files named exist.
 */
import * as path from 'path';
import { Diagnostic, DiagnosticSeverity, Location, Range } from 'vscode-languageserver';
import { assemble, AsmSymbol as AssembledSymbol, Diagnostic as AsmDiagnostic } from '../asm';
import { encode, isMnemonic } from '../asm/encoder';
import { asmSuggestion } from './suggest';
import { Replacement } from './codeActions';
import { pathToUri, SourceIndex, uriToPath } from './sourceIndex';
import { loadDomainConfigText } from '../xen/config';
import { asmWordAt, splitLines, xlValueEnd } from './text';

export const SOURCE = 'xensim';

/** Whether a file exists, for the config parser's checks of kernel, ramdisk and firmware. */
export type FileExists = (absPath: string) => boolean;

export function xlConfigDiagnostics(uri: string, text: string, exists: FileExists): Diagnostic[] {
  const file = uriToPath(uri) ?? uri.slice(uri.lastIndexOf('/') + 1);
  const lines = splitLines(text);
  return loadDomainConfigText(text, file, { exists }).diagnostics.map((d) => {
    const line = d.line - 1;
    const start = d.col - 1;
    // the parser gives 1 when it does not know the length: cover the value written there
    const end = d.length > 1 ? start + d.length : Math.max(start + 1, xlValueEnd(lines[line] ?? '', start));
    // the parser's "did you mean 'memory'?" becomes a quick fix (codeActions.ts)
    const fix = /did you mean '([^']+)'/.exec(d.message);
    const data: Replacement | undefined = fix ? { replaceWith: fix[1] } : undefined;
    return {
      range: Range.create(line, start, line, end),
      severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
      source: SOURCE,
      message: d.message,
      ...(data ? { data } : {}),
    };
  });
}

/**
 * Include files (`.inc`) are not assembled on their own: they name labels their includers
 * define. Their errors show in each open guest that includes them, on the %include line.
 */
export function isIncludeOnly(uri: string): boolean {
  return /\.inc$/i.test(uri);
}

/** The range a diagnostic at 1-based line/col covers: the word there, else one character. */
function rangeAt(lines: readonly string[], line: number, col: number): Range {
  const text = lines[line - 1] ?? '';
  const start = Math.max(0, Math.min(col - 1, text.length));
  const word = asmWordAt(text, start);
  const end = word && word.start === start ? word.end : Math.min(start + 1, Math.max(text.length, start));
  return Range.create(line - 1, start, line - 1, end);
}

export interface AsmCheck {
  diagnostics: Diagnostic[];
  /** the assembler's symbols (addresses of labels, values of equs) from this run */
  symbols: AssembledSymbol[];
  /** problems inside included files, by file URI, placed in that file (for when it is open) */
  included: Map<string, Diagnostic[]>;
}

/** Assembles a guest as the index sees it (open buffers first, its include paths). */
export function checkAsm(index: SourceIndex, uri: string): AsmCheck {
  const text = index.text(uri);
  if (text === undefined || isIncludeOnly(uri)) return { diagnostics: [], symbols: [], included: new Map() };
  const read = (u: string): string | undefined => index.text(u);
  const includePaths = index.includePaths;
  const file = uriToPath(uri) ?? uri.slice(uri.lastIndexOf('/') + 1);
  const readFile = (p: string): string | undefined => (path.isAbsolute(p) ? read(pathToUri(p)) : undefined);
  const result = assemble(text, { file, readFile, includePaths, encode, isMnemonic });
  const lines = splitLines(text);
  const includes = index.outline(uri)!.includes;
  const included = new Map<string, Diagnostic[]>();
  const convert = (d: AsmDiagnostic): Diagnostic => {
    const severity = d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning;
    if (d.file === file) {
      const range = rangeAt(lines, d.line, d.col);
      const written = (lines[range.start.line] ?? '').slice(range.start.character, range.end.character);
      const fix = asmSuggestion(index, uri, d.message, written, range.start.line);
      const data: Replacement | undefined = fix ? { replaceWith: fix } : undefined;
      return { range, severity, source: SOURCE, message: fix ? `${d.message} (did you mean '${fix}'?)` : d.message, ...(data ? { data } : {}) };
    }
    // in an included file: show it on the %include line that brought that file in
    const direct = includes.find((i) => path.resolve(path.dirname(file), i.path) === d.file || d.file.endsWith(`/${i.path}`));
    const via = direct ?? includes[0];
    const where = via ? Range.create(via.line, via.start, via.line, via.end) : Range.create(0, 0, 0, 0);
    const incUri = pathToUri(d.file);
    const inFile = rangeAt(splitLines(read(incUri) ?? ''), d.line, d.col);
    const list = included.get(incUri) ?? [];
    list.push({ range: inFile, severity, source: SOURCE, message: `${d.message} (assembling ${path.basename(file)})`, relatedInformation: [{ location: Location.create(uri, where), message: 'included here' }] });
    included.set(incUri, list);
    return {
      range: where,
      severity,
      source: SOURCE,
      message: `${path.basename(d.file)}:${d.line}:${d.col}: ${d.message}`,
      relatedInformation: [{ location: Location.create(incUri, inFile), message: d.message }],
    };
  };
  return { diagnostics: [...result.errors, ...result.warnings].map(convert), symbols: result.symbols, included };
}
