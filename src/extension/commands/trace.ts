/**
 * `xensim.openTrace`: a session's trace (the launch attribute `trace`, JSON lines) shown as one
 * readable line per record (src/trace/format.ts), in a read-only document that refreshes when
 * the command runs again.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { formatTraceText } from '../text';

export const TRACE_SCHEME = 'xensim-trace';
export class TraceDocuments implements vscode.TextDocumentContentProvider {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const file = uri.query ? decodeURIComponent(uri.query) : uri.path;
    try {
      return formatTraceText(file, Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.file(file))).toString('utf8'));
    } catch (e) {
      return `# ${file}: ${(e as Error).message}\n`;
    }
  }

  reload(uri: vscode.Uri): void {
    this.changed.fire(uri);
  }
}

function sessionTrace(): string | undefined {
  const s = vscode.debug.activeDebugSession;
  const c = s?.type === 'xensim' ? s.configuration : undefined;
  if (!c || typeof c.trace !== 'string') return undefined;
  return path.resolve(typeof c.cwd === 'string' ? c.cwd : s?.workspaceFolder?.uri.fsPath ?? '', c.trace);
}

export async function openTrace(docs: TraceDocuments, file?: vscode.Uri): Promise<void> {
  let target = file?.fsPath ?? sessionTrace();
  if (!target) {
    const found = await vscode.workspace.findFiles('**/*.jsonl', '**/node_modules/**', 50);
    const pick = await vscode.window.showQuickPick(
      [...found.map((u) => ({ label: vscode.workspace.asRelativePath(u), file: u.fsPath })), { label: 'Browse…', file: '' }],
      { title: 'xensim: Open Trace', placeHolder: 'a trace written by a launch with "trace": "trace.jsonl" or by xensim run --trace' },
    );
    if (!pick) return;
    target = pick.file || (await vscode.window.showOpenDialog({ filters: { 'xensim trace': ['jsonl'] }, canSelectMany: false }))?.[0]?.fsPath;
    if (!target) return;
  }
  const uri = vscode.Uri.from({ scheme: TRACE_SCHEME, path: `/${path.basename(target)}.trace`, query: encodeURIComponent(target) });
  docs.reload(uri);
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc, { preview: false });
}
