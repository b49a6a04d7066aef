/**
 * Likely corrections for the assembler's "unknown instruction" and "symbol not defined"
 * errors: the nearest mnemonic or macro, the nearest name visible from the line (a local
 * label only among its own scope's). Diagnostics carry them as quick fixes.
 */
import { INSTRUCTIONS } from './instructions';
import { SourceIndex } from './sourceIndex';
import { closest } from './text';

export function asmSuggestion(index: SourceIndex, uri: string, message: string, written: string, line: number): string | undefined {
  const visible = index.visibleSymbols(uri).map((v) => v.symbol);
  if (/^unknown instruction '/.test(message)) {
    const macros = visible.filter((s) => s.kind === 'macro').map((s) => s.name);
    const lower = written.toLowerCase();
    const mnemonic = closest(lower, INSTRUCTIONS.map((i) => i.mnemonic));
    return closest(written, macros) ?? (mnemonic && written === lower ? mnemonic : mnemonic?.toUpperCase());
  }
  if (/^symbol `.*' not defined$/.test(message)) {
    if (written.startsWith('.') && !written.startsWith('..')) {
      const parent = index.outline(uri)?.scopes[line]?.parent;
      return closest(written, visible.filter((s) => s.kind === 'local' && s.parent === parent).map((s) => s.written));
    }
    return closest(written, visible.filter((s) => s.kind !== 'local' && s.kind !== 'macro-local' && s.kind !== 'macro').map((s) => s.name));
  }
  return undefined;
}
