/// <reference lib="dom" />
/**
 * The Timeline inside its webview (bundled to dist/timelineView.js for the browser): turns
 * render.ts's Scene into SVG elements and pointer and key events into zoom, pan, selection and
 * travel requests to the panel (panel.ts). No network, no inline handlers: the page's CSP
 * allows only this nonce'd script.
 */
import type { TimelineBody } from '../../debug/timeline';
import type { FromWebview, ToWebview } from './messages';
import {
  Bar,
  DEFAULT_LAYOUT,
  describeGlyph,
  describePeriod,
  fit,
  formatNs,
  Glyph,
  hitTest,
  KIND_LABEL,
  layout,
  MARKER_SHAPE,
  moveSelection,
  needsDetail,
  pan,
  panByPixels,
  requestWindow,
  Scene,
  shapePath,
  timeAt,
  Viewport,
  zoom,
} from './render';

declare function acquireVsCodeApi(): { postMessage(m: FromWebview): void };

const vscode = acquireVsCodeApi();
const SVG = 'http://www.w3.org/2000/svg';
const MAX_ITEMS = 3000;
const $ = <T extends HTMLElement | SVGElement>(id: string) => document.getElementById(id) as unknown as T;
const chart = $<SVGSVGElement>('chart');
const tooltip = $<HTMLDivElement>('tooltip');
const live = $<HTMLDivElement>('live');
const status = $<HTMLSpanElement>('status');
const legend = $<HTMLDivElement>('legend');
const message = $<HTMLDivElement>('message');

let body: TimelineBody | undefined;
/** undefined: follow the whole history */
let view: Viewport | undefined;
let scene: Scene | undefined;
let selected = -1;
let requestNo = 0;
let pending: ReturnType<typeof setTimeout> | undefined;
let ended = false;
let note = '';

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, parent: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent.appendChild(e);
  return e;
}

function post(m: FromWebview): void {
  vscode.postMessage(m);
}

/** Asks for the window on screen (with a margin for panning), or the whole history. */
function requestData(delay = 0): void {
  if (pending) clearTimeout(pending);
  pending = setTimeout(() => {
    pending = undefined;
    const request = ++requestNo;
    if (!view || !body) return post({ type: 'range', request, maxItems: MAX_ITEMS });
    post({ type: 'range', request, ...requestWindow(view), maxItems: MAX_ITEMS });
  }, delay);
}

function setView(v: Viewport | undefined): void {
  view = v;
  draw();
  if (v === undefined || needsDetail(body, v)) requestData(120);
}

function draw(): void {
  if (!body) return;
  message.style.display = 'none';
  const width = Math.max(320, chart.clientWidth || document.body.clientWidth - 24);
  const v = view ?? fit(body);
  scene = layout(body, v, { ...DEFAULT_LAYOUT, width });
  const s = scene;
  chart.replaceChildren();
  chart.setAttribute('width', String(s.width));
  chart.setAttribute('height', String(s.height));
  chart.setAttribute('viewBox', `0 0 ${s.width} ${s.height}`);
  const o = s.options;
  const axis = el('g', { class: 'axis' }, chart);
  for (const t of s.ticks) {
    el('line', { class: 'tick', x1: t.x, x2: t.x, y1: o.axisHeight - 6, y2: s.height }, axis);
    const label = el('text', { class: 'tick-label', x: t.x + 3, y: o.axisHeight - 10 }, axis);
    label.textContent = t.label;
  }
  for (const lane of s.lanes) {
    const g = el('g', { class: 'lane', 'data-pcpu': lane.pcpu }, chart);
    el('rect', { class: 'lane-bg', x: o.labelWidth, y: lane.barY, width: s.width - o.labelWidth, height: o.barHeight }, g);
    const label = el('text', { class: 'lane-label', x: 4, y: lane.barY + o.barHeight / 2 + 4 }, g);
    label.textContent = lane.label;
  }
  const bars = el('g', { class: 'periods' }, chart);
  for (const b of s.bars) drawBar(b, bars);
  if (s.nowX !== undefined) {
    el('rect', { class: 'future', x: s.nowX, y: o.axisHeight, width: Math.max(0, s.width - s.nowX), height: s.height - o.axisHeight }, chart);
    el('line', { class: 'now', x1: s.nowX, x2: s.nowX, y1: o.axisHeight - 4, y2: s.height }, chart);
  }
  const marks = el('g', { class: 'markers' }, chart);
  s.glyphs.forEach((g, i) => drawGlyph(g, i, marks));
  drawLegend(s);
  const d = body.decimated;
  status.textContent =
    `${formatNs(v.from)} – ${formatNs(v.to)} of ${formatNs(body.endNs)} · now ${formatNs(body.nowNs)} (record ${body.nowRecord})` +
    `${d ? ` · summarised: ${d.periods.shown}/${d.periods.total} periods, ${d.markers.shown}/${d.markers.total} markers` : ''}` +
    `${body.unrecorded ? ` · ${body.unrecorded} later markers not kept (the recorder's limit)` : ''}` +
    `${ended ? ' · session ended' : ''}${note ? ` · ${note}` : ''}`;
  if (selected >= s.glyphs.length) selected = -1;
}

function drawBar(b: Bar, parent: Element): void {
  const p = b.period;
  const r = el('rect', { class: p.merged ? 'period merged' : 'period', x: b.x, y: b.y, width: b.width, height: b.height, fill: b.fill, 'data-domid': p.domid, 'data-vcpu': p.vcpu, 'data-pcpu': p.pcpu }, parent);
  r.setAttribute('aria-label', describePeriod(p));
  if (b.label) {
    const t = el('text', { class: 'bar-label', x: b.x + 4, y: b.y + b.height / 2 + 4, fill: b.text }, parent);
    t.textContent = b.label;
  }
}

function drawGlyph(g: Glyph, i: number, parent: Element): void {
  const many = g.members.length > 1 || (g.marker.count ?? 1) > 1;
  const cls = `marker${many ? ' many' : ''}${i === selected ? ' selected' : ''}`;
  el('path', { class: cls, d: shapePath(g.shape, g.x, g.y, g.r), 'data-kind': g.marker.kind, 'data-record': g.marker.record, 'data-index': i }, parent);
}

function drawLegend(s: Scene): void {
  legend.replaceChildren();
  const add = (build: (span: HTMLSpanElement) => void) => {
    const span = document.createElement('span');
    build(span);
    legend.appendChild(span);
  };
  for (const d of s.domains) {
    add((span) => {
      const sw = document.createElement('span');
      sw.className = 'swatch';
      sw.style.background = d.fill;
      span.append(sw, `d${d.domid} ${d.name}`);
    });
  }
  for (const kind of Object.keys(KIND_LABEL) as Array<keyof typeof KIND_LABEL>) {
    add((span) => {
      const svg = document.createElementNS(SVG, 'svg');
      svg.setAttribute('width', '12');
      svg.setAttribute('height', '12');
      el('path', { class: 'marker', 'data-kind': kind, d: shapePath(MARKER_SHAPE[kind], 6, 6, 5) }, svg);
      span.append(svg, KIND_LABEL[kind]);
    });
  }
}

function showTooltip(text: string, x: number, y: number): void {
  tooltip.textContent = text;
  tooltip.style.display = 'block';
  const w = tooltip.offsetWidth;
  tooltip.style.left = `${Math.max(4, Math.min(x + 14, window.innerWidth - w - 8))}px`;
  tooltip.style.top = `${y + 16}px`;
}

function hideTooltip(): void {
  tooltip.style.display = 'none';
}

function travel(m: FromWebview & { type: 'travel' }): void {
  if (ended) {
    note = 'the session has ended: travel needs a running session';
    draw();
    return;
  }
  note = m.record !== undefined ? `travelling to record ${m.record}…` : `travelling to ${formatNs(m.timeNs ?? 0)}…`;
  draw();
  post(m);
}

// ------------------------------------------------------------------ pointer

function local(e: MouseEvent): { x: number; y: number } {
  const r = chart.getBoundingClientRect();
  return { x: e.clientX - r.left, y: e.clientY - r.top };
}

let drag: { x: number; view: Viewport; moved: boolean } | undefined;

chart.addEventListener('mousedown', (e) => {
  if (!body || e.button !== 0) return;
  drag = { x: e.clientX, view: view ?? fit(body), moved: false };
});

window.addEventListener('mousemove', (e) => {
  if (drag && body && scene) {
    const dx = e.clientX - drag.x;
    if (Math.abs(dx) > 3) drag.moved = true;
    if (drag.moved) {
      chart.classList.add('dragging');
      hideTooltip();
      view = panByPixels(drag.view, scene.options, dx, body.endNs);
      draw();
      return;
    }
  }
  if (!scene || e.target === null || !chart.contains(e.target as Node)) return hideTooltip();
  const { x, y } = local(e);
  const hit = hitTest(scene, x, y);
  if (!hit) return hideTooltip();
  if (hit.kind === 'marker') showTooltip(describeGlyph(hit.glyph), e.clientX, e.clientY);
  else showTooltip(hit.bar ? describePeriod(hit.bar.period, hit.time) : `pCPU ${hit.pcpu} idle at ${formatNs(Math.round(hit.time))}\nclick: travel to this time`, e.clientX, e.clientY);
});

window.addEventListener('mouseup', (e) => {
  const d = drag;
  drag = undefined;
  chart.classList.remove('dragging');
  if (!d || !scene || !body) return;
  if (d.moved) {
    if (view && needsDetail(body, view)) requestData(0);
    return;
  }
  const { x, y } = local(e);
  const hit = hitTest(scene, x, y);
  if (!hit) return;
  if (hit.kind === 'marker') {
    selected = scene.glyphs.indexOf(hit.glyph);
    travel({ type: 'travel', record: hit.glyph.marker.record });
  } else travel({ type: 'travel', timeNs: Math.max(0, Math.round(hit.time)) });
});

chart.addEventListener('mouseleave', hideTooltip);

chart.addEventListener(
  'wheel',
  (e) => {
    if (!body || !scene) return;
    e.preventDefault();
    const v = view ?? fit(body);
    if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) return setView(pan(v, ((e.deltaX || e.deltaY) / 400) * (v.to - v.from), body.endNs));
    const { x } = local(e);
    setView(zoom(v, e.deltaY < 0 ? 1.25 : 0.8, timeAt(v, scene.options, x), body.endNs));
  },
  { passive: false },
);

// ------------------------------------------------------------------ keyboard and buttons

function zoomBy(factor: number): void {
  if (!body) return;
  const v = view ?? fit(body);
  const g = scene?.glyphs[selected];
  setView(zoom(v, factor, g ? g.marker.time : (v.from + v.to) / 2, body.endNs));
}

function panBy(frac: number): void {
  if (!body) return;
  const v = view ?? fit(body);
  setView(pan(v, frac * (v.to - v.from), body.endNs));
}

function select(i: number): void {
  selected = i;
  draw();
  const g = scene?.glyphs[i];
  if (!g) return;
  const r = chart.getBoundingClientRect();
  live.textContent = describeGlyph(g);
  showTooltip(describeGlyph(g), r.left + g.x, r.top + g.y);
}

chart.addEventListener('keydown', (e) => {
  if (!scene || !body) return;
  const keys: Record<string, () => void> = {
    ArrowLeft: () => (e.shiftKey ? panBy(-0.2) : select(moveSelection(scene!, selected, 'left'))),
    ArrowRight: () => (e.shiftKey ? panBy(0.2) : select(moveSelection(scene!, selected, 'right'))),
    ArrowUp: () => select(moveSelection(scene!, selected, 'up')),
    ArrowDown: () => select(moveSelection(scene!, selected, 'down')),
    Home: () => select(moveSelection(scene!, selected, 'first')),
    End: () => select(moveSelection(scene!, selected, 'last')),
    Enter: () => {
      const g = scene?.glyphs[selected];
      if (g) travel({ type: 'travel', record: g.marker.record });
    },
    '+': () => zoomBy(2),
    '=': () => zoomBy(2),
    '-': () => zoomBy(0.5),
    _: () => zoomBy(0.5),
    '0': () => setView(undefined),
    n: () => centreOnNow(),
    Escape: () => hideTooltip(),
  };
  keys[' '] = keys.Enter;
  const f = keys[e.key];
  if (!f) return;
  e.preventDefault();
  f();
});

function centreOnNow(): void {
  if (!body) return;
  const v = view ?? fit(body);
  const span = v.to - v.from;
  setView(pan({ from: body.nowNs - span / 2, to: body.nowNs + span / 2 }, 0, body.endNs));
}

$('zoom-in').addEventListener('click', () => zoomBy(2));
$('zoom-out').addEventListener('click', () => zoomBy(0.5));
$('pan-left').addEventListener('click', () => panBy(-0.25));
$('pan-right').addEventListener('click', () => panBy(0.25));
$('fit').addEventListener('click', () => setView(undefined));
$('to-now').addEventListener('click', centreOnNow);
window.addEventListener('resize', () => draw());

// ------------------------------------------------------------------ the panel

window.addEventListener('message', (e: MessageEvent<ToWebview>) => {
  const m = e.data;
  switch (m.type) {
    case 'data':
      if (m.request !== requestNo) return;
      body = m.body;
      ended = false;
      if (!note.startsWith('the session')) note = '';
      draw();
      break;
    case 'stopped':
      ended = false;
      requestData(0);
      break;
    case 'running':
      note = 'running…';
      draw();
      break;
    case 'ended':
      ended = true;
      draw();
      break;
    case 'error':
      note = m.message;
      if (body) draw();
      else message.textContent = m.message;
      break;
  }
});

post({ type: 'ready' });
