/**
 * `xensim.run`: boots domain configs with the CLI (`xensim run`) in a terminal, as a person
 * would from a shell: consoles as they happen, the summary table, the exit status.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { findDomainConfigs } from '../debugConfig';

export async function runConfigs(context: vscode.ExtensionContext, uri?: vscode.Uri, uris?: vscode.Uri[]): Promise<vscode.Terminal | undefined> {
  // From the Explorer: the selected files; else the active file's configs, else the folder's.
  let files = (uris?.length ? uris : uri ? [uri] : []).filter((u) => u.scheme === 'file').map((u) => u.fsPath);
  const active = vscode.window.activeTextEditor?.document.uri;
  const folder =
    (files.length ? vscode.workspace.getWorkspaceFolder(vscode.Uri.file(files[0])) : undefined) ??
    (active && vscode.workspace.getWorkspaceFolder(active)) ??
    vscode.workspace.workspaceFolders?.[0];
  if (!files.length || files.some((f) => !/\.(cfg|xl)$/.test(f))) {
    files = await findDomainConfigs(folder, files[0] ?? (active?.scheme === 'file' ? active.fsPath : undefined));
  }
  if (!files.length) {
    void vscode.window.showErrorMessage('xensim: no xl domain config to run (a .cfg or .xl file with a kernel = line).');
    return undefined;
  }
  const cwd = folder?.uri.fsPath ?? path.dirname(files[0]);
  const extra = vscode.workspace.getConfiguration('xensim', folder).get<string[]>('runArguments', []);
  const args = [context.asAbsolutePath('dist/cli.js'), 'run', ...extra, ...files.map((f) => path.relative(cwd, f) || f)];
  const terminal = vscode.window.createTerminal({
    name: `xensim run ${files.map((f) => path.basename(f)).join(' ')}`,
    // the extension host's runtime runs the bundled CLI (Electron acts as Node with this variable)
    shellPath: process.execPath,
    shellArgs: args,
    cwd,
    env: { ELECTRON_RUN_AS_NODE: '1' },
    iconPath: new vscode.ThemeIcon('vm'),
  });
  terminal.show();
  return terminal;
}
