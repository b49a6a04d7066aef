/**
 * Where the debug adapter runs (setting `xensim.debugAdapter`): in the extension host by
 * default (nothing to spawn, fastest), as a separate Node process (dist/debugAdapter.js over
 * stdio), or at a TCP port where a developer runs `xensim dap --port N` under their own debugger.
 */
import * as vscode from 'vscode';
import { defaultMachine, XenDebugSession } from '../debug';

export class XenAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly context: vscode.ExtensionContext) {}

  createDebugAdapterDescriptor(session: vscode.DebugSession): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
    const settings = vscode.workspace.getConfiguration('xensim', session.workspaceFolder);
    const mode = settings.get<string>('debugAdapter', 'inline');
    if (mode === 'server') {
      return new vscode.DebugAdapterServer(settings.get<number>('debugServerPort', 4711), '127.0.0.1');
    }
    if (mode === 'external') {
      // The extension host's own runtime (Electron in desktop VS Code, which then acts as Node).
      return new vscode.DebugAdapterExecutable(process.execPath, [this.context.asAbsolutePath('dist/debugAdapter.js')], {
        env: { ELECTRON_RUN_AS_NODE: '1' },
        cwd: session.workspaceFolder?.uri.fsPath,
      });
    }
    return new vscode.DebugAdapterInlineImplementation(new XenDebugSession({ machine: defaultMachine, cwd: session.workspaceFolder?.uri.fsPath }));
  }
}
