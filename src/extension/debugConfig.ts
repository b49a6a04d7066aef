/**
 * The `xensim` debugger's configurations: F5 without a launch.json finds the domain configs to
 * start (discover.ts); "Add Configuration" offers one per config of the folder.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { chooseConfigs, CONFIG_GLOB, domainsFor, looksLikeDomainConfig } from './discover';
import { launchConfiguration } from './template';

const MAX_CONFIG_FILES = 200;

async function candidates(folder: vscode.WorkspaceFolder): Promise<Array<{ file: string; text: string }>> {
  const uris = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, CONFIG_GLOB), '**/node_modules/**', MAX_CONFIG_FILES);
  const out: Array<{ file: string; text: string }> = [];
  for (const u of uris) {
    try {
      out.push({ file: u.fsPath, text: Buffer.from(await vscode.workspace.fs.readFile(u)).toString('utf8') });
    } catch {
      // unreadable: not a config we can start
    }
  }
  return out;
}

/** The domain configs to start from `folder`, given the active editor's file. */
export async function findDomainConfigs(folder: vscode.WorkspaceFolder | undefined, active?: string): Promise<string[]> {
  const list = folder ? await candidates(folder) : [];
  if (active && !list.some((c) => c.file === active) && /\.(cfg|xl)$/.test(active)) {
    // a config outside the folder (or with no folder open) still starts when it is the active file
    try {
      list.push({ file: active, text: Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.file(active))).toString('utf8') });
    } catch {
      /* not readable */
    }
  }
  return chooseConfigs(folder?.uri.fsPath ?? path.dirname(active ?? '/'), list, active);
}

function activeFile(): string | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  return doc?.uri.scheme === 'file' ? doc.uri.fsPath : undefined;
}

export class XenConfigurationProvider implements vscode.DebugConfigurationProvider {
  async provideDebugConfigurations(folder: vscode.WorkspaceFolder | undefined): Promise<vscode.DebugConfiguration[]> {
    if (!folder) return [launchConfiguration('xensim: launch', ['${file}'])];
    const found = (await candidates(folder)).filter((c) => looksLikeDomainConfig(c.text)).sort((a, b) => a.file.localeCompare(b.file));
    if (!found.length) return [launchConfiguration('xensim: launch', ['${workspaceFolder}/domain.cfg'])];
    const root = folder.uri.fsPath;
    const all = chooseConfigs(root, found);
    const configs = found.map((c) => launchConfiguration(`xensim: ${path.basename(c.file)}`, domainsFor(root, [c.file])));
    if (all.length > 1) configs.unshift(launchConfiguration(`xensim: ${path.relative(root, path.dirname(all[0])) || 'all'} domains`, domainsFor(root, all)));
    return configs;
  }

  /** F5 with no launch.json, or a configuration without domains: start what the folder holds. */
  async resolveDebugConfiguration(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): Promise<vscode.DebugConfiguration | undefined> {
    if (!config.type && !config.request && !config.name) {
      config.type = 'xensim';
      config.request = 'launch';
      config.name = 'xensim: launch';
    }
    if (config.domains === undefined) {
      const files = await findDomainConfigs(folder, activeFile());
      if (!files.length) {
        void vscode.window.showErrorMessage(
          'xensim: no xl domain config (a .cfg or .xl file with a kernel = line) in this folder. Create one with "xensim: New Guest Project" or list them in launch.json\'s "domains".',
        );
        return undefined;
      }
      config.domains = files;
      config.cwd ??= folder?.uri.fsPath ?? path.dirname(files[0]);
    }
    config.cwd ??= folder?.uri.fsPath;
    return config;
  }
}
