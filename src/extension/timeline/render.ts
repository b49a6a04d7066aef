/**
 * The Timeline's geometry, without a browser: time ↔ x, the time axis, where each run period
 * and marker is drawn, what is under the pointer, zoom and pan, keyboard moves between markers,
 * colours and marker shapes. The webview (webview.ts) only turns a Scene into SVG elements and
 * events into calls here, so all of this is unit-tested in test/extension.
 */
import type { MarkerKind, TimelineBody, TimelineMarker, TimelinePeriod } from '../../debug/timeline';

/** The visible window of virtual time, in ns. */
export interface Viewport {
  from: number;
  to: number;
}

export interface LayoutOptions {
  /** the drawing's width in px */
  width: number;
  /** left column with the lane names */
  labelWidth: number;
  /** height of a run-period bar */
  barHeight: number;
  /** height of one row of markers (three rows sit above each bar) */
  markerRow: number;
  /** space between lanes */
  gap: number;
  /** height of the time axis at the top */
  axisHeight: number;
}

export const DEFAULT_LAYOUT: LayoutOptions = { width: 900, labelWidth: 64, barHeight: 26, markerRow: 13, gap: 10, axisHeight: 28 };

/** The narrowest window zoom goes to: a few instructions. */
export const MIN_SPAN_NS = 20;

/**
 * Okabe & Ito's colour-blind-safe palette (without black, which vanishes in dark themes), in the
 * order domains get them: dom0 orange, then sky blue, bluish green, yellow, blue, vermillion,
 * reddish purple. Each period also carries its name and a text colour chosen for contrast.
 */
export const OKABE_ITO = ['#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7'] as const;

export type Shape = 'circle' | 'triangle-up' | 'triangle-down' | 'diamond' | 'cross' | 'square';

/** Distinct shapes, so a marker's kind never rests on colour alone. */
export const MARKER_SHAPE: Readonly<Record<MarkerKind, Shape>> = {
  hypercall: 'circle',
  'event-send': 'triangle-up',
  'event-deliver': 'triangle-down',
  vmexit: 'diamond',
  fault: 'cross',
  domain: 'square',
};

/** Which of the three marker rows above a bar a kind sits in. */
const MARKER_ROW: Readonly<Record<MarkerKind, number>> = { hypercall: 0, 'event-send': 1, 'event-deliver': 1, vmexit: 2, fault: 2, domain: 2 };
const MARKER_ROWS = 3;

export const KIND_LABEL: Readonly<Record<MarkerKind, string>> = {
  hypercall: 'hypercall',
  'event-send': 'event send',
  'event-deliver': 'event delivery',
  vmexit: 'VM exit',
  fault: 'fault',
  domain: 'domain lifecycle',
};

export interface LaneBox {
  pcpu: number;
  label: string;
  /** top of the lane (its marker rows), and of its bar */
  y: number;
  barY: number;
  height: number;
}

export interface Bar {
  period: TimelinePeriod;
  x: number;
  width: number;
  y: number;
  height: number;
  fill: string;
  /** black or white, whichever reads better on `fill` */
  text: string;
  /** the period's name when it fits inside the bar, else empty */
  label: string;
}

export interface Glyph {
  marker: TimelineMarker;
  /** markers of the same lane and kind drawn at this point (the first stands for them all) */
  members: TimelineMarker[];
  x: number;
  y: number;
  r: number;
  shape: Shape;
}

export interface Tick {
  x: number;
  t: number;
  label: string;
}

export interface Scene {
  width: number;
  height: number;
  options: LayoutOptions;
  viewport: Viewport;
  lanes: LaneBox[];
  bars: Bar[];
  /** in time order, lane by lane for equal times: the keyboard walks this list */
  glyphs: Glyph[];
  ticks: Tick[];
  /** the machine's present, when inside the window */
  nowX?: number;
  /** domain colours, for the legend */
  domains: Array<{ domid: number; name: string; fill: string; text: string }>;
}

// ------------------------------------------------------------------ scale

export function xOf(v: Viewport, o: LayoutOptions, t: number): number {
  const span = Math.max(v.to - v.from, 1e-9);
  return o.labelWidth + ((t - v.from) / span) * (o.width - o.labelWidth);
}

export function timeAt(v: Viewport, o: LayoutOptions, x: number): number {
  const w = Math.max(o.width - o.labelWidth, 1);
  return v.from + ((x - o.labelWidth) / w) * (v.to - v.from);
}

/** `0 ns`, `750 ns`, `12.5 µs`, `3 ms`, `1.25 s`: the unit that keeps the number readable. */
export function formatNs(ns: number): string {
  const a = Math.abs(ns);
  const fmt = (v: number) => String(Number(v.toFixed(3)));
  if (a >= 1e9) return `${fmt(ns / 1e9)} s`;
  if (a >= 1e6) return `${fmt(ns / 1e6)} ms`;
  if (a >= 1e3) return `${fmt(ns / 1e3)} µs`;
  return `${fmt(ns)} ns`;
}

/** Ticks at 1, 2 or 5 × 10^k ns, about `approx` of them across the window. */
export function niceTicks(v: Viewport, o: LayoutOptions, approx = Math.max(2, Math.floor((o.width - o.labelWidth) / 110))): Tick[] {
  const span = v.to - v.from;
  if (!(span > 0)) return [{ x: xOf(v, o, v.from), t: v.from, label: formatNs(v.from) }];
  const raw = span / approx;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const out: Tick[] = [];
  for (let t = Math.ceil(v.from / step) * step; t <= v.to + step * 1e-9; t += step) {
    // rounding: keep tick times on the step's grid
    const tt = Math.round(t / step) * step;
    out.push({ x: xOf(v, o, tt), t: tt, label: formatNs(tt) });
  }
  return out;
}

// ------------------------------------------------------------------ colour

function rgb(hex: string): [number, number, number] {
  const n = parseInt(hex.replace('#', ''), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** WCAG relative luminance. */
export function luminance(hex: string): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  const [r, g, b] = rgb(hex).map(lin);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio (1..21). */
export function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

export function textOn(fill: string): string {
  return contrast(fill, '#000000') >= contrast(fill, '#FFFFFF') ? '#000000' : '#FFFFFF';
}

/** The colour of each domain: its place among the body's domains (dom0 first). */
export function domainColours(body: Pick<TimelineBody, 'domains'>): Map<number, { fill: string; text: string }> {
  const out = new Map<number, { fill: string; text: string }>();
  [...body.domains].sort((a, b) => a.domid - b.domid).forEach((d, i) => {
    const fill = OKABE_ITO[i % OKABE_ITO.length];
    out.set(d.domid, { fill, text: textOn(fill) });
  });
  return out;
}

// ------------------------------------------------------------------ shapes

/** SVG path data for a marker of `shape` centred on (cx, cy) with radius r. */
export function shapePath(shape: Shape, cx: number, cy: number, r: number): string {
  const f = (v: number) => String(Math.round(v * 100) / 100);
  const pts = (p: Array<[number, number]>) => `M${p.map(([x, y]) => `${f(cx + x)},${f(cy + y)}`).join('L')}Z`;
  switch (shape) {
    case 'circle':
      return `M${f(cx - r)},${f(cy)}a${f(r)},${f(r)} 0 1,0 ${f(2 * r)},0a${f(r)},${f(r)} 0 1,0 ${f(-2 * r)},0Z`;
    case 'triangle-up':
      return pts([[0, -r], [r, r * 0.8], [-r, r * 0.8]]);
    case 'triangle-down':
      return pts([[0, r], [r, -r * 0.8], [-r, -r * 0.8]]);
    case 'diamond':
      return pts([[0, -r], [r, 0], [0, r], [-r, 0]]);
    case 'square':
      return pts([[-r * 0.8, -r * 0.8], [r * 0.8, -r * 0.8], [r * 0.8, r * 0.8], [-r * 0.8, r * 0.8]]);
    case 'cross': {
      const t = r * 0.35;
      return pts([[-r, -r + t], [-r + t, -r], [0, -t], [r - t, -r], [r, -r + t], [t, 0], [r, r - t], [r - t, r], [0, t], [-r + t, r], [-r, r - t], [-t, 0]]);
    }
  }
}

// ------------------------------------------------------------------ layout

const CHAR_PX = 6.5;

/** Everything to draw for `body` in the window `v`. */
export function layout(body: TimelineBody, v: Viewport, o: LayoutOptions = DEFAULT_LAYOUT): Scene {
  const colours = domainColours(body);
  const laneHeight = MARKER_ROWS * o.markerRow + o.barHeight;
  const lanes: LaneBox[] = body.lanes.map((l, i) => {
    const y = o.axisHeight + i * (laneHeight + o.gap);
    return { pcpu: l.pcpu, label: `pCPU ${l.pcpu}`, y, barY: y + MARKER_ROWS * o.markerRow, height: laneHeight };
  });
  const left = o.labelWidth;
  const right = o.width;
  const bars: Bar[] = [];
  body.lanes.forEach((l, i) => {
    const lane = lanes[i];
    for (const p of l.periods) {
      if (p.end < v.from || p.start > v.to) continue;
      const x0 = Math.max(left, xOf(v, o, p.start));
      const x1 = Math.min(right, xOf(v, o, p.end));
      const width = Math.max(1, x1 - x0);
      const c = colours.get(p.domid) ?? { fill: '#999999', text: '#000000' };
      const name = p.merged ? `${p.name} +${p.merged - 1}` : p.name;
      bars.push({ period: p, x: x0, width, y: lane.barY, height: o.barHeight, fill: c.fill, text: c.text, label: width > name.length * CHAR_PX + 8 ? name : '' });
    }
  });
  const r = Math.min(5, o.markerRow / 2 - 1);
  const glyphs: Glyph[] = [];
  // one glyph per lane, kind and marker-sized cell: overlapping markers would hide each other
  const cells = new Map<string, Glyph>();
  const laneOf = new Map(lanes.map((l) => [l.pcpu, l]));
  for (const m of body.markers) {
    if (m.time < v.from || m.time > v.to) continue;
    const lane = laneOf.get(m.pcpu);
    if (!lane) continue;
    const x = xOf(v, o, m.time);
    const key = `${m.pcpu}|${m.kind}|${Math.floor((x - left) / (2 * r + 2))}`;
    const g = cells.get(key);
    if (g) {
      g.members.push(m);
      continue;
    }
    const glyph: Glyph = { marker: m, members: [m], x, y: lane.y + MARKER_ROW[m.kind] * o.markerRow + o.markerRow / 2, r, shape: MARKER_SHAPE[m.kind] };
    cells.set(key, glyph);
    glyphs.push(glyph);
  }
  glyphs.sort((a, b) => a.x - b.x || a.marker.pcpu - b.marker.pcpu || a.y - b.y);
  const height = lanes.length ? lanes[lanes.length - 1].y + laneHeight + 4 : o.axisHeight + 4;
  const scene: Scene = {
    width: o.width,
    height,
    options: o,
    viewport: v,
    lanes,
    bars,
    glyphs,
    ticks: niceTicks(v, o),
    domains: body.domains.map((d) => ({ domid: d.domid, name: d.name, ...(colours.get(d.domid) ?? { fill: '#999999', text: '#000000' }) })),
  };
  if (body.nowNs >= v.from && body.nowNs <= v.to) scene.nowX = xOf(v, o, body.nowNs);
  return scene;
}

// ------------------------------------------------------------------ hit testing

export type Hit = { kind: 'marker'; glyph: Glyph } | { kind: 'lane'; pcpu: number; time: number; bar?: Bar };

/** What is at (x, y): the nearest marker within reach, else a lane at a time (and the bar there). */
export function hitTest(scene: Scene, x: number, y: number): Hit | undefined {
  let best: Glyph | undefined;
  let bestD = Infinity;
  for (const g of scene.glyphs) {
    const d = Math.hypot(g.x - x, g.y - y);
    if (d <= g.r + 3 && d < bestD) {
      best = g;
      bestD = d;
    }
  }
  if (best) return { kind: 'marker', glyph: best };
  if (x < scene.options.labelWidth || x > scene.width) return undefined;
  const lane = scene.lanes.find((l) => y >= l.y && y < l.y + l.height);
  if (!lane) return undefined;
  const time = timeAt(scene.viewport, scene.options, x);
  const bar = scene.bars.find((b) => b.period.pcpu === lane.pcpu && y >= b.y && y < b.y + b.height && x >= b.x && x <= b.x + b.width);
  return { kind: 'lane', pcpu: lane.pcpu, time, bar };
}

// ------------------------------------------------------------------ zoom and pan

/** The whole recorded history (with a little room at the end for the present). */
export function fit(body: Pick<TimelineBody, 'endNs'>): Viewport {
  return { from: 0, to: Math.max(body.endNs, MIN_SPAN_NS) };
}

function clamp(v: Viewport, endNs: number): Viewport {
  const limit = Math.max(endNs, MIN_SPAN_NS);
  const span = Math.min(Math.max(v.to - v.from, MIN_SPAN_NS), limit);
  let from = Math.min(Math.max(v.from, 0), limit - span);
  from = Math.max(0, from);
  return { from, to: from + span };
}

/** Zooms by `factor` (> 1 in, < 1 out) keeping time `anchor` where it is on screen. */
export function zoom(v: Viewport, factor: number, anchor: number, endNs: number): Viewport {
  const span = (v.to - v.from) / factor;
  const frac = v.to > v.from ? (anchor - v.from) / (v.to - v.from) : 0.5;
  return clamp({ from: anchor - frac * span, to: anchor - frac * span + span }, endNs);
}

/** Moves the window by `dt` ns (negative: towards the start). */
export function pan(v: Viewport, dt: number, endNs: number): Viewport {
  return clamp({ from: v.from + dt, to: v.to + dt }, endNs);
}

/** Pan by a pointer drag of `dx` px: the content follows the pointer. */
export function panByPixels(v: Viewport, o: LayoutOptions, dx: number, endNs: number): Viewport {
  const w = Math.max(o.width - o.labelWidth, 1);
  return pan(v, (-dx / w) * (v.to - v.from), endNs);
}

/**
 * Whether the body on hand is too coarse (decimated) or too narrow for the window on screen, so
 * the webview should ask for that window again.
 */
export function needsDetail(body: Pick<TimelineBody, 'from' | 'to' | 'decimated'> | undefined, v: Viewport): boolean {
  if (!body) return true;
  return !!body.decimated || v.from < body.from || v.to > body.to;
}

/** The window to ask for: the one on screen with half its span on each side, for panning. */
export function requestWindow(v: Viewport): { from: number; to: number } {
  const span = v.to - v.from;
  return { from: Math.max(0, Math.floor(v.from - span / 2)), to: Math.ceil(v.to + span / 2) };
}

// ------------------------------------------------------------------ keyboard

/**
 * The glyph a key moves to from `current` (an index into scene.glyphs, or -1): left and right
 * walk time, up and down go to the nearest glyph in the lane above or below.
 */
export function moveSelection(scene: Scene, current: number, key: 'left' | 'right' | 'up' | 'down' | 'first' | 'last'): number {
  const n = scene.glyphs.length;
  if (!n) return -1;
  if (key === 'first') return 0;
  if (key === 'last') return n - 1;
  if (current < 0 || current >= n) return key === 'left' || key === 'up' ? n - 1 : 0;
  if (key === 'left') return Math.max(0, current - 1);
  if (key === 'right') return Math.min(n - 1, current + 1);
  const here = scene.glyphs[current];
  const order = scene.lanes.map((l) => l.pcpu);
  const li = order.indexOf(here.marker.pcpu) + (key === 'up' ? -1 : 1);
  if (li < 0 || li >= order.length) return current;
  let best = current;
  let bestD = Infinity;
  scene.glyphs.forEach((g, i) => {
    if (g.marker.pcpu !== order[li]) return;
    const d = Math.abs(g.x - here.x);
    if (d < bestD) {
      best = i;
      bestD = d;
    }
  });
  return best;
}

// ------------------------------------------------------------------ words

/** The tooltip (and screen reader text) for a glyph. */
export function describeGlyph(g: Glyph): string {
  const m = g.marker;
  const head = `${KIND_LABEL[m.kind]} · ${formatNs(m.time)} · pCPU ${m.pcpu} · d${m.domid} vcpu${m.vcpu} · record ${m.record}`;
  const more = g.members.reduce((n, x) => n + (x.count ?? 1), 0) - 1;
  const result = m.kind === 'hypercall' && m.result === undefined ? ' (still inside Xen)' : '';
  return `${head}\n${m.detail}${result}${more > 0 ? `\n+${more} more ${KIND_LABEL[m.kind]}${more > 1 ? 's' : ''} here (zoom in to see them)` : ''}\nclick or Enter: travel here`;
}

export function describePeriod(p: TimelinePeriod, at?: number): string {
  const head = `${p.name} on pCPU ${p.pcpu}: ${formatNs(p.start)} – ${formatNs(p.end)} (${formatNs(p.end - p.start)})`;
  const merged = p.merged ? `\n${p.merged} short run periods merged; the longest is shown (zoom in to see them)` : '';
  return `${head}${merged}${at !== undefined ? `\nclick: travel to ${formatNs(Math.round(at))}` : ''}`;
}
