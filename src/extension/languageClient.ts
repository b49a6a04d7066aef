/** Starts the xensim language server (dist/languageServer.js) for xen-asm and xl-cfg documents. */
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from 'vscode-languageclient/node';

export const LANGUAGES = ['xen-asm', 'xl-cfg'] as const;

export function startLanguageClient(context: vscode.ExtensionContext): LanguageClient {
  const module = context.asAbsolutePath('dist/languageServer.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: LANGUAGES.flatMap((language) => [
      { scheme: 'file', language },
      { scheme: 'untitled', language },
    ]),
    synchronize: { configurationSection: 'xensim' },
    initializationOptions: vscode.workspace.getConfiguration('xensim'),
  };
  const client = new LanguageClient('xensim', 'xensim language server', serverOptions, clientOptions);
  void client.start();
  return client;
}
