/** Quick fixes: a diagnostic that knows its likely correction (xl's "did you mean") offers it. */
import { CodeAction, CodeActionKind, Diagnostic, TextEdit } from 'vscode-languageserver';

/** What a diagnostic carries in `data` when one edit fixes it. */
export interface Replacement {
  replaceWith: string;
}

function replacement(d: Diagnostic): string | undefined {
  const data = d.data as Partial<Replacement> | undefined;
  return typeof data?.replaceWith === 'string' ? data.replaceWith : undefined;
}

export function quickFixes(uri: string, diagnostics: readonly Diagnostic[]): CodeAction[] {
  const actions: CodeAction[] = [];
  for (const d of diagnostics) {
    const text = replacement(d);
    if (text === undefined) continue;
    actions.push({
      title: `Change to '${text}'`,
      kind: CodeActionKind.QuickFix,
      diagnostics: [d],
      isPreferred: true,
      edit: { changes: { [uri]: [TextEdit.replace(d.range, text)] } },
    });
  }
  return actions;
}
