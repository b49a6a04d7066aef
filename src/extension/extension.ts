/**
 * VS Code entry point: the language client, the `xensim` debugger (configurations, adapter,
 * Xen Domains view, status bar, Timeline) and the commands. Everything runs offline from the package.
 */
import * as vscode from 'vscode';
import { LanguageClient } from 'vscode-languageclient/node';
import { XenAdapterFactory } from './adapter';
import { MemoryDocuments, MEMORY_SCHEME, openMemory } from './commands/memory';
import { newProject } from './commands/newProject';
import { runConfigs } from './commands/run';
import { openTrace, TraceDocuments, TRACE_SCHEME } from './commands/trace';
import { XenConfigurationProvider } from './debugConfig';
import { DomainsView, statusBar } from './domainsView';
import { startLanguageClient } from './languageClient';
import { MachineState } from './machineState';
import { TimelinePanel } from './timeline/panel';

let client: LanguageClient | undefined;

export function activate(context: vscode.ExtensionContext): void {
  client = startLanguageClient(context);

  const provider = new XenConfigurationProvider();
  const state = new MachineState();
  const traces = new TraceDocuments();
  context.subscriptions.push(
    vscode.debug.registerDebugConfigurationProvider('xensim', provider),
    vscode.debug.registerDebugConfigurationProvider('xensim', provider, vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    vscode.debug.registerDebugAdapterDescriptorFactory('xensim', new XenAdapterFactory(context)),
    state,
    vscode.window.createTreeView('xensim.domains', { treeDataProvider: new DomainsView(state), showCollapseAll: true }),
    statusBar(state),
    vscode.workspace.registerTextDocumentContentProvider(TRACE_SCHEME, traces),
    vscode.workspace.registerTextDocumentContentProvider(MEMORY_SCHEME, new MemoryDocuments()),
    vscode.commands.registerCommand('xensim.run', (uri?: vscode.Uri, uris?: vscode.Uri[]) => runConfigs(context, uri, uris)),
    vscode.commands.registerCommand('xensim.newProject', (target?: vscode.Uri) => newProject(context, target)),
    vscode.commands.registerCommand('xensim.openTrace', (file?: vscode.Uri) => openTrace(traces, file)),
    vscode.commands.registerCommand('xensim.openMemory', (ref?: string) => openMemory(typeof ref === 'string' ? ref : undefined)),
    vscode.commands.registerCommand('xensim.domains.refresh', () => state.refresh()),
    vscode.commands.registerCommand('xensim.showTimeline', () => void TimelinePanel.show(context, state)),
  );
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) await c.stop();
}
