/** What the Timeline panel (panel.ts) and its webview (webview.ts) say to each other. */
import type { TimelineBody } from '../../debug/timeline';

export type ToWebview =
  /** the answer to the webview's `range` request number `request` */
  | { type: 'data'; request: number; body: TimelineBody }
  /** the machine stopped (a breakpoint, a step, a travel): ask again */
  | { type: 'stopped' }
  | { type: 'running' }
  /** the session ended: the last picture stays, travel is off */
  | { type: 'ended' }
  | { type: 'error'; message: string };

export type FromWebview =
  | { type: 'ready' }
  /** xensim/timeline for this window (both absent: the whole history) */
  | { type: 'range'; request: number; from?: number; to?: number; maxItems: number }
  /** xensim/travelTo: a marker's record, or a time on a lane */
  | { type: 'travel'; record?: number; timeNs?: number };
