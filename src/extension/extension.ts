/** VS Code entry point: activation wires the language client (the debugger joins here later). */
import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';
import { startLanguageClient } from './languageClient';

let client: LanguageClient | undefined;

export function activate(context: vscode.ExtensionContext): void {
  client = startLanguageClient(context);
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) await c.stop();
}
