/**
 * The assembler's public API: NASM source in, `nasm -f bin` bytes out, with a line map, a
 * symbol table and every diagnostic. File access is injected so the language server can
 * assemble unsaved buffers.
 */
import { Assembler, AsmSymbol, Encoder, SectionInfo, diagnosticsOf } from './assemble';
import { Diagnostic, Diagnostics } from './diagnostics';
import { LineMap } from './linemap';
import { encode, isMnemonic } from './encoder';
import { Parser } from './parse';
import { preprocess } from './preprocess';
import { searchPath } from './paths';

export { formatDiagnostic } from './diagnostics';
export type { Diagnostic, SourceLocation } from './diagnostics';
export { LineMap } from './linemap';
export type { LineMapEntry } from './linemap';
export type { AsmSymbol, SectionInfo, SymbolKind, Encoder } from './assemble';
export { encode, isMnemonic } from './encoder';
export { disassemble, decodeOne } from './disasm';
export type { Decoded } from './disasm';

export interface AssembleOptions {
  /** name of the source file, used in diagnostics and the line map (default `input.asm`) */
  file?: string;
  /** read an included file; undefined when it does not exist (default: nothing can be included) */
  readFile?: (path: string) => string | undefined;
  /** read a binary file for `incbin` (default: none can be read) */
  readBinary?: (path: string) => Uint8Array | undefined;
  /** directories searched for %include and incbin after the including file's directory (NASM's -I) */
  includePaths?: readonly string[];
  /** single-line macros defined before the source (NASM's -D) */
  defines?: Record<string, string>;
  /** produce a listing (line, address, bytes, source) */
  listing?: boolean;
  /** the instruction encoder (default: the project's opcode table) */
  encode?: Encoder;
  /** true for mnemonics the encoder knows; lets a lone word be told apart from a label */
  isMnemonic?: (lower: string) => boolean;
}

export interface AssembleResult {
  image: Uint8Array;
  /** address of image[0] */
  origin: number;
  lineMap: LineMap;
  symbols: AsmSymbol[];
  sections: SectionInfo[];
  errors: Diagnostic[];
  warnings: Diagnostic[];
  listing?: string;
}

/** Assemble NASM source. Never throws for bad input: problems come back in `errors`. */
export function assemble(source: string, options: AssembleOptions = {}): AssembleResult {
  try {
    return run(source, options);
  } catch (e) {
    // A bug of ours must not take down a language server that assembles on every keystroke.
    const file = options.file ?? 'input.asm';
    const error: Diagnostic = { severity: 'error', file, line: 1, col: 1, message: `internal assembler error: ${(e as Error).message} (please report)` };
    return { image: new Uint8Array(0), origin: 0, lineMap: new LineMap([]), symbols: [], sections: [], errors: [error], warnings: [] };
  }
}

function run(source: string, options: AssembleOptions): AssembleResult {
  const file = options.file ?? 'input.asm';
  const diag = new Diagnostics();
  const mnemonic = options.isMnemonic ?? isMnemonic;
  const fs = { readFile: options.readFile ?? (() => undefined), includePaths: options.includePaths, isInstruction: mnemonic };
  const lines = preprocess(source, file, fs, diag, options.defines);
  const stmts = new Parser(diag, { isMnemonic: mnemonic }).parseAll(lines);
  const readBinary = options.readBinary;
  const incbin = (name: string, from: string): Uint8Array | undefined => {
    if (!readBinary) return undefined;
    for (const p of searchPath(name, from, options.includePaths)) {
      const data = readBinary(p);
      if (data) return data;
    }
    return undefined;
  };
  const asm = new Assembler(stmts, options.encode ?? encode, diag, options.listing ?? false, incbin);
  const r = asm.run();
  return { ...r, listing: options.listing ? r.listing : undefined, ...diagnosticsOf(sorted(diag.list)) };
}

/** Diagnostics in source order: files in the order they were first reported, then line and column. */
function sorted(list: readonly Diagnostic[]): Diagnostic[] {
  const fileOrder = new Map<string, number>();
  for (const d of list) if (!fileOrder.has(d.file)) fileOrder.set(d.file, fileOrder.size);
  return [...list].sort((a, b) => fileOrder.get(a.file)! - fileOrder.get(b.file)! || a.line - b.line || a.col - b.col);
}
