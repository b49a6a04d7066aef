/**
 * The Timeline webview's page: a strict Content-Security-Policy (nothing from the network; one
 * script and one style element, both carrying the nonce), VS Code's theme variables for text and
 * background, and the elements webview.ts fills. No vscode import, so it is tested as text.
 */

export interface PageParts {
  /** webview.cspSource */
  cspSource: string;
  /** fresh per page: 32 characters from [A-Za-z0-9] */
  nonce: string;
  /** webview.asWebviewUri(dist/timelineView.js) */
  scriptUri: string;
}

/** A nonce from `bytes` (crypto.randomBytes(24) in the extension; any 24 bytes in tests). */
export function nonceFrom(bytes: Uint8Array): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(bytes, (b) => abc[b % abc.length]).join('');
}

export function contentSecurityPolicy(p: PageParts): string {
  return [`default-src 'none'`, `style-src ${p.cspSource} 'nonce-${p.nonce}'`, `script-src 'nonce-${p.nonce}'`].join('; ');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

const STYLE = `
  body { margin: 0; padding: 8px 12px; color: var(--vscode-foreground); background: var(--vscode-editor-background);
    font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
  #toolbar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-bottom: 6px; }
  button { color: var(--vscode-button-secondaryForeground); background: var(--vscode-button-secondaryBackground);
    border: 1px solid var(--vscode-button-border, transparent); padding: 2px 9px; cursor: pointer; font: inherit; }
  button:hover { background: var(--vscode-button-secondaryHoverBackground); }
  button:focus-visible, #chart:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: 1px; }
  #status { color: var(--vscode-descriptionForeground); margin-left: 8px; }
  #legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 4px 0 8px; align-items: center; }
  .swatch { display: inline-block; width: 14px; height: 12px; vertical-align: middle; margin-right: 4px;
    border: 1px solid var(--vscode-foreground); }
  #legend svg { vertical-align: middle; margin-right: 3px; }
  #chart { display: block; width: 100%; user-select: none; cursor: crosshair; }
  #chart.dragging { cursor: grabbing; }
  .lane-bg { fill: var(--vscode-editorWidget-background, var(--vscode-editor-background)); }
  .lane-label, .tick-label, .bar-label { font-family: var(--vscode-font-family); }
  .lane-label, .tick-label { fill: var(--vscode-foreground); font-size: 11px; }
  .bar-label { font-size: 11px; pointer-events: none; }
  .tick { stroke: var(--vscode-foreground); stroke-opacity: 0.2; }
  .period { stroke: var(--vscode-editor-background); stroke-width: 1; }
  .period.merged { stroke-dasharray: 3 2; stroke: var(--vscode-foreground); }
  .marker { fill: var(--vscode-foreground); stroke: var(--vscode-editor-background); stroke-width: 0.75; cursor: pointer; }
  .marker[data-kind="fault"] { fill: var(--vscode-errorForeground); }
  .marker.selected { stroke: var(--vscode-focusBorder); stroke-width: 2.5; }
  .marker.many { stroke: var(--vscode-foreground); stroke-width: 1.5; fill-opacity: 0.55; }
  .future { fill: var(--vscode-editor-background); fill-opacity: 0.35; pointer-events: none; }
  .now { stroke: var(--vscode-editorCursor-foreground, var(--vscode-foreground)); stroke-width: 2; pointer-events: none; }
  #tooltip { position: fixed; display: none; max-width: 520px; white-space: pre-wrap; z-index: 10; padding: 4px 8px;
    color: var(--vscode-editorHoverWidget-foreground, var(--vscode-foreground));
    background: var(--vscode-editorHoverWidget-background, var(--vscode-editor-background));
    border: 1px solid var(--vscode-editorHoverWidget-border, var(--vscode-foreground));
    font-family: var(--vscode-editor-font-family); font-size: 12px; pointer-events: none; }
  #message { color: var(--vscode-descriptionForeground); margin: 12px 0; }
  .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  #help { color: var(--vscode-descriptionForeground); font-size: 11px; margin-top: 6px; }
`;

export function timelineHtml(p: PageParts): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${esc(contentSecurityPolicy(p))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>xensim Timeline</title>
<style nonce="${p.nonce}">${STYLE}</style>
</head>
<body>
<div id="toolbar" role="toolbar" aria-label="Timeline zoom and pan">
  <button id="zoom-in" title="Zoom in (+)" aria-label="Zoom in">+</button>
  <button id="zoom-out" title="Zoom out (−)" aria-label="Zoom out">−</button>
  <button id="pan-left" title="Pan left (Shift+←)" aria-label="Pan left">◀</button>
  <button id="pan-right" title="Pan right (Shift+→)" aria-label="Pan right">▶</button>
  <button id="fit" title="Whole history (0)" aria-label="Show the whole history">Fit</button>
  <button id="to-now" title="Centre on the present (N)" aria-label="Centre on the present">Now</button>
  <span id="status" aria-live="polite"></span>
</div>
<div id="legend" aria-label="Legend"></div>
<div id="message">Start a xensim debug session: the timeline shows its recorded history at each stop.</div>
<svg id="chart" tabindex="0" role="application" aria-roledescription="timeline"
  aria-label="Timeline: one lane per pCPU. Arrow keys move between markers, Enter travels to the selected one, + and − zoom, Shift+arrows pan, 0 fits."></svg>
<div id="help">Wheel or +/− to zoom, drag or Shift+←/→ to pan, ←/→/↑/↓ to move between markers, Enter or click to travel there (reverse execution); a click on a lane travels to that time.</div>
<div id="tooltip" role="tooltip"></div>
<div id="live" class="sr-only" aria-live="polite"></div>
<script nonce="${p.nonce}" src="${esc(p.scriptUri)}"></script>
</body>
</html>`;
}
