/**
 * Diagnostics as the user types. xl configs: keys xl.cfg(5) does not define (warning, with
 * the likely intended key). The assembler's and the config parser's own errors join here
 * once those layers land (see the module's callers in server.ts).
 */
import { Diagnostic, DiagnosticSeverity, Range } from 'vscode-languageserver';
import { closest } from './text';
import { XL_KEYS, xlKey } from './xlKeys';
import { scanXl } from './xlOutline';

export const SOURCE = 'xensim';

export function xlKeyDiagnostics(text: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const s of scanXl(text)) {
    if (xlKey(s.key)) continue;
    const guess = closest(s.key, XL_KEYS.map((k) => k.key));
    out.push({
      range: Range.create(s.line, s.start, s.line, s.end),
      severity: DiagnosticSeverity.Warning,
      source: SOURCE,
      message: `unknown xl.cfg key '${s.key}'${guess ? ` (did you mean '${guess}'?)` : ''}`,
    });
  }
  return out;
}
