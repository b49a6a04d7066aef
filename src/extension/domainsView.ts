/**
 * The "Xen Domains" view in Run and Debug: each domain with its vCPUs (runstate, pCPU, where
 * they are), event channels and grants, as the last stop left them (machineState.ts).
 */
import * as vscode from 'vscode';
import type { DomainsEntry } from '../debug/domains';
import type { XenStateNode } from '../xen/inspect';
import { MachineState } from './machineState';

const hex = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

type Node =
  | { kind: 'domain'; d: DomainsEntry }
  | { kind: 'group'; label: string; rows: XenStateNode[]; empty: string; icon: string }
  | { kind: 'row'; row: XenStateNode; icon?: string }
  | { kind: 'message'; text: string };

const STATE_ICON: Record<string, string> = { running: 'play', blocked: 'debug-pause', paused: 'debug-pause', shutdown: 'debug-stop', crashed: 'error', dying: 'trash' };

export class DomainsView implements vscode.TreeDataProvider<Node> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly state: MachineState) {
    state.onDidChange(() => this.changed.fire());
  }

  getChildren(node?: Node): Node[] {
    if (!node) {
      const s = this.state.snapshot;
      if (!s) return [{ kind: 'message', text: 'Start a xensim debug session to see its domains.' }];
      if (!s.body) return [{ kind: 'message', text: 'Running… (domains show at the next stop)' }];
      return s.body.domains.map((d) => ({ kind: 'domain', d }));
    }
    if (node.kind === 'domain') {
      const d = node.d;
      const vcpus: XenStateNode[] = d.vcpus.map((v) => ({
        name: `vcpu${v.vcpu}`,
        value: `${v.runstate} on pcpu${v.pcpu} · eip ${hex(v.eip)}${v.inXen ? ` · in Xen: ${v.inXen}` : ''}`,
      }));
      const info: XenStateNode[] = [
        { name: 'memory', value: `${d.pages} / ${d.maxPages} pages` },
        ...(d.configFile ? [{ name: 'config', value: d.configFile }] : []),
      ];
      return [
        { kind: 'group', label: 'vCPUs', rows: vcpus, empty: 'none', icon: 'circuit-board' },
        { kind: 'group', label: 'Event channels', rows: d.eventChannels, empty: 'none bound', icon: 'zap' },
        { kind: 'group', label: 'Grants', rows: d.grants, empty: 'none', icon: 'key' },
        ...info.map((row): Node => ({ kind: 'row', row, icon: row.name === 'config' ? 'file' : 'database' })),
      ];
    }
    if (node.kind === 'group') return node.rows.map((row) => ({ kind: 'row', row }));
    if (node.kind === 'row') return (node.row.children ?? []).map((row) => ({ kind: 'row', row }));
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'message':
        return new vscode.TreeItem(node.text);
      case 'domain': {
        const d = node.d;
        const item = new vscode.TreeItem(`d${d.id} ${d.name}`, vscode.TreeItemCollapsibleState.Expanded);
        item.description = `${d.kind}${d.privileged ? ' · privileged' : ''} · ${d.state}${d.shutdownReason ? ` (${d.shutdownReason})` : ''}`;
        item.iconPath = new vscode.ThemeIcon(STATE_ICON[d.state] ?? 'vm');
        item.contextValue = 'xensim.domain';
        item.tooltip = `domain ${d.id} '${d.name}': ${d.vcpus.length} vCPU(s), ${d.pages} pages${d.configFile ? `\n${d.configFile}` : ''}`;
        return item;
      }
      case 'group': {
        const item = new vscode.TreeItem(node.label, node.rows.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
        item.description = node.rows.length ? String(node.rows.length) : node.empty;
        item.iconPath = new vscode.ThemeIcon(node.icon);
        return item;
      }
      case 'row': {
        const item = new vscode.TreeItem(node.row.name, node.row.children?.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.description = node.row.value;
        item.tooltip = `${node.row.name}: ${node.row.value}`;
        if (node.icon) item.iconPath = new vscode.ThemeIcon(node.icon);
        if (node.row.name === 'config') item.command = { command: 'vscode.open', title: 'Open config', arguments: [vscode.Uri.file(node.row.value)] };
        return item;
      }
    }
  }
}

/** Virtual time and instructions retired, while a xensim session is active. */
export function statusBar(state: MachineState): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('xensim.time', vscode.StatusBarAlignment.Left, 10);
  item.name = 'xensim virtual time';
  item.command = 'xensim.domains.focus';
  const sub = state.onDidChange((s) => {
    if (!s) return item.hide();
    if (!s.body) {
      item.text = '$(vm-running) xensim: running';
      item.tooltip = 'The simulated machine is running';
    } else {
      const t = (s.body.timeNs / 1e9).toFixed(9);
      item.text = `$(watch) ${t} s · ${s.body.instructions.toLocaleString('en-US')} instr`;
      item.tooltip = `xensim virtual time ${s.body.timeNs} ns, ${s.body.instructions} instructions retired on ${s.body.pcpus} pCPU(s)${s.running ? ' (running)' : ''}`;
    }
    item.show();
  });
  return vscode.Disposable.from(item, sub);
}
