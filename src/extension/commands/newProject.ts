/**
 * `xensim.newProject`: a folder with a hello guest (examples/hello, which the package carries),
 * its domain config and a .vscode folder whose launch.json debugs it with F5.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { launchJson, settingsJson } from '../template';

const FILES = ['hello.asm', 'hello.cfg', 'README.md'];

export async function newProject(context: vscode.ExtensionContext, target?: vscode.Uri, open = true): Promise<vscode.Uri | undefined> {
  if (!target) {
    const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Create xensim guest here', title: 'xensim: New Guest Project' });
    target = picked?.[0];
    if (!target) return undefined;
  }
  const files = new Map<string, Uint8Array>();
  const src = vscode.Uri.file(context.asAbsolutePath(path.join('examples', 'hello')));
  for (const f of FILES) files.set(f, await vscode.workspace.fs.readFile(vscode.Uri.joinPath(src, f)));
  files.set('.vscode/launch.json', Buffer.from(launchJson(['hello.cfg'])));
  files.set('.vscode/settings.json', Buffer.from(settingsJson()));

  const existing: string[] = [];
  for (const rel of files.keys()) {
    try {
      await vscode.workspace.fs.stat(vscode.Uri.joinPath(target, rel));
      existing.push(rel);
    } catch {
      // absent: will be written
    }
  }
  if (existing.length) {
    const answer = await vscode.window.showWarningMessage(`xensim: ${target.fsPath} already has ${existing.join(', ')}.`, { modal: true }, 'Overwrite');
    if (answer !== 'Overwrite') return undefined;
  }
  for (const [rel, data] of files) await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(target, rel), data);

  if (open) {
    const inWorkspace = vscode.workspace.getWorkspaceFolder(target);
    if (inWorkspace) await vscode.window.showTextDocument(vscode.Uri.joinPath(target, 'hello.asm'));
    else {
      // not awaited: the command is done once the files are written
      const folder = target;
      void vscode.window.showInformationMessage(`xensim: created a hello guest in ${folder.fsPath}.`, 'Open Folder').then((a) => a === 'Open Folder' && vscode.commands.executeCommand('vscode.openFolder', folder));
    }
  }
  return target;
}
