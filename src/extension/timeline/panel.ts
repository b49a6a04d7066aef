/**
 * The Timeline panel (command `xensim.showTimeline`, also on the Xen Domains view's title): one
 * webview beside the editor that asks the session for `xensim/timeline` at each stop and sends
 * `xensim/travelTo` when a marker or a lane is clicked. The adapter then reports a stop, so
 * every view (Call Stack, Variables, Xen Domains, the status bar, this panel) shows the machine
 * at that moment.
 */
import { randomBytes } from 'crypto';
import * as vscode from 'vscode';
import { TIMELINE_REQUEST } from '../../debug/timeline';
import { TRAVEL_REQUEST } from '../../debug/reverse';
import type { MachineState } from '../machineState';
import { nonceFrom, timelineHtml } from './html';
import type { FromWebview, ToWebview } from './messages';

export class TimelinePanel implements vscode.Disposable {
  static readonly viewType = 'xensim.timeline';
  private static current: TimelinePanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];

  /** Opens the panel, or brings the open one forward. */
  static show(context: vscode.ExtensionContext, state: MachineState): TimelinePanel {
    if (TimelinePanel.current) {
      TimelinePanel.current.panel.reveal(undefined, true);
      return TimelinePanel.current;
    }
    const dist = vscode.Uri.joinPath(context.extensionUri, 'dist');
    const panel = vscode.window.createWebviewPanel(TimelinePanel.viewType, 'xensim Timeline', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [dist],
    });
    TimelinePanel.current = new TimelinePanel(panel, dist, state);
    return TimelinePanel.current;
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    dist: vscode.Uri,
    private readonly state: MachineState,
  ) {
    panel.webview.html = timelineHtml({
      cspSource: panel.webview.cspSource,
      nonce: nonceFrom(randomBytes(24)),
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'timelineView.js')).toString(),
    });
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: FromWebview) => void this.onMessage(m)),
      state.onDidChange((s) => {
        if (!s) this.post({ type: 'ended' });
        else if (s.running) this.post({ type: 'running' });
        else if (s.body) this.post({ type: 'stopped' });
      }),
    );
  }

  private session(): vscode.DebugSession | undefined {
    const s = this.state.snapshot?.session ?? vscode.debug.activeDebugSession;
    return s?.type === 'xensim' ? s : undefined;
  }

  private post(m: ToWebview): void {
    void this.panel.webview.postMessage(m);
  }

  private async onMessage(m: FromWebview): Promise<void> {
    const session = this.session();
    if (m.type === 'ready') {
      if (session && this.state.snapshot?.body) this.post({ type: 'stopped' });
      else this.post({ type: 'error', message: session ? 'The machine is running: the timeline shows at the next stop.' : 'Start a xensim debug session: the timeline shows its recorded history at each stop.' });
      return;
    }
    if (!session) return this.post({ type: 'ended' });
    try {
      if (m.type === 'range') {
        const body = await session.customRequest(TIMELINE_REQUEST, { from: m.from, to: m.to, maxItems: m.maxItems });
        this.post({ type: 'data', request: m.request, body });
      } else if (m.type === 'travel') {
        await session.customRequest(TRAVEL_REQUEST, m.record !== undefined ? { record: m.record } : { timeNs: m.timeNs });
      }
    } catch (e) {
      const text = e instanceof Error ? e.message : String(e);
      this.post({ type: 'error', message: text });
      if (m.type === 'travel') void vscode.window.showErrorMessage(`xensim: ${text}`);
    }
  }

  dispose(): void {
    if (TimelinePanel.current === this) TimelinePanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
