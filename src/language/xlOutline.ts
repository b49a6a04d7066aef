/**
 * A forgiving scan of an xl domain configuration for the editor features: where each
 * `KEY = VALUE` setting is, whatever the value holds. Pairs are separated by newlines or
 * `;`; a list value may span lines. Validation of values is the config parser's job
 * (src/xen/config); this only locates keys and values while the user types.
 */
import { splitLines, xlCodeEnd } from './text';

export interface XlSetting {
  readonly key: string;
  readonly line: number;
  readonly start: number;
  readonly end: number;
  /** where the value text starts (after `=` and blanks) */
  readonly valueLine: number;
  readonly valueStart: number;
}

export function scanXl(text: string): XlSetting[] {
  const settings: XlSetting[] = [];
  let depth = 0; // open '[' of a list value continuing onto later lines
  splitLines(text).forEach((full, line) => {
    const code = full.slice(0, xlCodeEnd(full));
    let i = 0;
    while (i < code.length) {
      if (depth === 0) {
        const m = /^(\s*)([A-Za-z_][\w.]*)\s*\+?=\s*/.exec(code.slice(i));
        if (m) {
          const start = i + m[1].length;
          settings.push({ key: m[2], line, start, end: start + m[2].length, valueLine: line, valueStart: i + m[0].length });
          i += m[0].length;
        }
      }
      // skip the value up to the next top-level ';'
      let quote = '';
      for (; i < code.length; i++) {
        const c = code[i];
        if (quote) {
          if (c === '\\') i++;
          else if (c === quote) quote = '';
        } else if (c === '"' || c === "'") quote = c;
        else if (c === '[') depth++;
        else if (c === ']') depth = Math.max(0, depth - 1);
        else if (c === ';' && depth === 0) {
          i++;
          break;
        }
      }
    }
  });
  return settings;
}

/** The setting whose key or value holds the position, if any. */
export function settingAt(settings: readonly XlSetting[], line: number, character: number): XlSetting | undefined {
  let found: XlSetting | undefined;
  for (const s of settings) {
    if (s.line < line || (s.line === line && s.start <= character)) found = s;
    else break;
  }
  return found;
}
