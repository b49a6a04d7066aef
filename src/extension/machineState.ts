/**
 * The machine as the last stop left it: at each `stopped` event of a xensim session this asks the
 * adapter for `xensim/domains` (src/debug/domains.ts) and tells the Xen Domains view and the
 * status bar. One request per stop, whatever the number of listeners.
 */
import * as vscode from 'vscode';
import type { DomainsBody } from '../debug/domains';
import { DOMAINS_REQUEST } from '../debug/domains';

export interface MachineSnapshotView {
  session: vscode.DebugSession;
  body?: DomainsBody;
  running: boolean;
}

export class MachineState implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<MachineSnapshotView | undefined>();
  readonly onDidChange = this.changed.event;
  private current: MachineSnapshotView | undefined;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor() {
    this.disposables.push(
      vscode.debug.registerDebugAdapterTrackerFactory('xensim', {
        createDebugAdapterTracker: (session) => ({
          onDidSendMessage: (m: { type?: string; event?: string }) => {
            if (m.type !== 'event') return;
            if (m.event === 'stopped') void this.refresh(session);
            else if (m.event === 'continued') this.set({ session, body: this.current?.session === session ? this.current.body : undefined, running: true });
          },
          // the client's own continue/step requests: the machine runs until the next stop
          onWillReceiveMessage: (m: { type?: string; command?: string }) => {
            if (m.type === 'request' && /^(continue|next|stepIn|stepOut|restart)$/.test(m.command ?? '')) {
              if (this.current?.session === session) this.set({ ...this.current, running: true });
            }
          },
        }),
      }),
      vscode.debug.onDidStartDebugSession((s) => s.type === 'xensim' && this.set({ session: s, running: true })),
      vscode.debug.onDidTerminateDebugSession((s) => this.current?.session === s && this.set(undefined)),
      vscode.debug.onDidChangeActiveDebugSession((s) => s?.type === 'xensim' && s !== this.current?.session && void this.refresh(s)),
    );
  }

  get snapshot(): MachineSnapshotView | undefined {
    return this.current;
  }

  /** Asks the session for a fresh snapshot (also the view's refresh button). */
  async refresh(session = this.current?.session ?? vscode.debug.activeDebugSession): Promise<void> {
    if (!session || session.type !== 'xensim') return;
    try {
      const body = (await session.customRequest(DOMAINS_REQUEST)) as DomainsBody;
      this.set({ session, body, running: false });
    } catch {
      // the session ended or is between launches: keep what was shown
    }
  }

  private set(v: MachineSnapshotView | undefined): void {
    this.current = v;
    this.changed.fire(v);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
