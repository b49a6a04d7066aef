// The Timeline's rendering logic (render.ts) and page (html.ts) without a browser: scale, ticks,
// colours and shapes, layout, hit testing, zoom and pan, keyboard moves, the CSP.
import * as assert from 'assert';
import * as esbuild from 'esbuild';
import * as path from 'path';
import type { MarkerKind, TimelineBody, TimelineMarker, TimelinePeriod } from '../../src/debug/timeline';
import { MARKER_KINDS } from '../../src/debug/timeline';
import { contentSecurityPolicy, nonceFrom, timelineHtml } from '../../src/extension/timeline/html';
import {
  contrast,
  DEFAULT_LAYOUT,
  describeGlyph,
  domainColours,
  fit,
  formatNs,
  hitTest,
  layout,
  MARKER_SHAPE,
  MIN_SPAN_NS,
  moveSelection,
  needsDetail,
  niceTicks,
  OKABE_ITO,
  pan,
  panByPixels,
  requestWindow,
  shapePath,
  timeAt,
  xOf,
  zoom,
} from '../../src/extension/timeline/render';

const root = path.resolve(__dirname, '..', '..');
const o = { ...DEFAULT_LAYOUT, width: 1064 }; // 1000 px of time after the 64 px labels

function period(pcpu: number, domid: number, start: number, end: number): TimelinePeriod {
  return { pcpu, domid, vcpu: 0, name: `d${domid} dom${domid} vcpu0`, start, end };
}
let rec = 0;
function marker(kind: MarkerKind, pcpu: number, time: number): TimelineMarker {
  return { kind, record: ++rec, time, pcpu, domid: 1, vcpu: 0, label: kind, detail: `${kind} at ${time}` };
}

/** Two pCPUs over 1 ms: dom0 then d1, d2 on pCPU 0; d3 on pCPU 1; a marker of every kind. */
function body(): TimelineBody {
  rec = 0;
  return {
    from: 0,
    to: 1_000_000,
    nowNs: 400_000,
    nowRecord: 5,
    endNs: 1_000_000,
    records: 50,
    pcpus: 2,
    domains: [0, 1, 2, 3].map((domid) => ({ domid, name: `dom${domid}` })),
    lanes: [
      { pcpu: 0, periods: [period(0, 0, 0, 100_000), period(0, 1, 100_000, 600_000), period(0, 2, 600_000, 1_000_000)] },
      { pcpu: 1, periods: [period(1, 3, 200_000, 900_000)] },
    ],
    markers: [marker('hypercall', 0, 50_000), marker('domain', 0, 60_000), ...MARKER_KINDS.map((k, i) => marker(k, i % 2, 300_000 + i * 100_000)), marker('hypercall', 0, 50_100)],
  };
}

describe('extension/timeline rendering', () => {
  it('maps time to x and back, and labels ticks on a 1-2-5 grid in readable units', () => {
    const v = { from: 1000, to: 2000 };
    assert.strictEqual(xOf(v, o, 1000), 64);
    assert.strictEqual(xOf(v, o, 2000), 1064);
    for (const t of [1000, 1234.5, 2000]) assert.ok(Math.abs(timeAt(v, o, xOf(v, o, t)) - t) < 1e-9);
    const ticks = niceTicks({ from: 0, to: 1_000_000 }, o);
    assert.ok(ticks.length >= 4 && ticks.length <= 12, `${ticks.length} ticks`);
    const step = ticks[1].t - ticks[0].t;
    assert.ok([1, 2, 5].includes(step / 10 ** Math.floor(Math.log10(step))), `step ${step}`);
    for (const t of ticks) assert.ok(t.t >= 0 && t.t <= 1_000_000 && t.t % step === 0);
    assert.deepStrictEqual([0, 750, 12_500, 3_000_000, 1_250_000_000].map(formatNs), ['0 ns', '750 ns', '12.5 µs', '3 ms', '1.25 s']);
  });

  it('colours domains from Okabe–Ito with text that reads on them (WCAG AA), distinct for seven domains', () => {
    const c = domainColours({ domains: [6, 0, 3, 1, 2, 5, 4].map((domid) => ({ domid, name: '' })) });
    assert.strictEqual(c.get(0)?.fill, OKABE_ITO[0], 'dom0 first');
    assert.strictEqual(new Set([...c.values()].map((x) => x.fill)).size, 7);
    for (const { fill, text } of c.values()) assert.ok(contrast(fill, text) >= 4.5, `${text} on ${fill}: ${contrast(fill, text).toFixed(2)}`);
    assert.ok(Math.abs(contrast('#000000', '#FFFFFF') - 21) < 1e-9);
  });

  it('gives each marker kind its own shape, centred and within its radius', () => {
    assert.strictEqual(new Set(Object.values(MARKER_SHAPE)).size, MARKER_KINDS.length);
    const paths = new Set<string>();
    for (const k of MARKER_KINDS) {
      const d = shapePath(MARKER_SHAPE[k], 100, 50, 5);
      paths.add(d);
      const pts = [...d.matchAll(/([ML])(-?[\d.]+),(-?[\d.]+)/g)].map((m) => [Number(m[2]), Number(m[3])]);
      assert.ok(pts.length >= 1, d);
      for (const [x, y] of pts) assert.ok(Math.abs(x - 100) <= 5 && Math.abs(y - 50) <= 5, `${k}: ${x},${y}`);
    }
    assert.strictEqual(paths.size, MARKER_KINDS.length);
  });

  it('lays out one lane per pCPU, bars where the periods are, named when they fit, a glyph per marker cell', () => {
    const b = body();
    const s = layout(b, fit(b), o);
    assert.deepStrictEqual(s.lanes.map((l) => l.label), ['pCPU 0', 'pCPU 1']);
    assert.ok(s.lanes[1].y >= s.lanes[0].y + s.lanes[0].height, 'lanes do not overlap');
    assert.strictEqual(s.bars.length, 4);
    const d1 = s.bars.find((x) => x.period.domid === 1)!;
    assert.strictEqual(d1.x, 64 + 100);
    assert.strictEqual(d1.width, 500);
    assert.strictEqual(d1.label, 'd1 dom1 vcpu0');
    assert.strictEqual(s.bars.find((x) => x.period.domid === 0)!.fill, OKABE_ITO[0]);
    assert.strictEqual(s.nowX, 64 + 400);
    // the two hypercalls 100 ns apart share a glyph; every marker is in exactly one
    const all = s.glyphs.flatMap((g) => g.members);
    assert.strictEqual(all.length, b.markers.length);
    assert.strictEqual(new Set(all).size, all.length);
    const shared = s.glyphs.find((g) => g.members.length === 2)!;
    assert.deepStrictEqual(shared.members.map((m) => m.time), [50_000, 50_100]);
    assert.match(describeGlyph(shared), /\+1 more hypercall here/);
    // markers of one lane sit above its bar, apart by kind row
    for (const g of s.glyphs) {
      const lane = s.lanes.find((l) => l.pcpu === g.marker.pcpu)!;
      assert.ok(g.y - g.r >= lane.y && g.y + g.r <= lane.barY, `${g.marker.kind} inside its lane's marker rows`);
    }
    // zoomed in, the narrow bar loses its name, and the two hypercalls come apart
    const z = layout(b, { from: 49_000, to: 51_000 }, o);
    assert.strictEqual(z.glyphs.filter((g) => g.marker.kind === 'hypercall').length, 2);
    assert.strictEqual(layout(b, { from: 0, to: 100_000_000 }, o).bars.find((x) => x.period.domid === 0)!.label, '');
  });

  it('hit tests markers before lanes, and a lane gives its time and bar', () => {
    const b = body();
    const s = layout(b, fit(b), o);
    for (const g of s.glyphs) {
      const h = hitTest(s, g.x + 1, g.y - 1);
      assert.ok(h?.kind === 'marker' && h.glyph === g, `${g.marker.kind} at ${g.x},${g.y}`);
    }
    const bar = s.bars.find((x) => x.period.domid === 3)!;
    const h = hitTest(s, bar.x + 350, bar.y + bar.height / 2);
    assert.ok(h?.kind === 'lane');
    assert.strictEqual(h.pcpu, 1);
    assert.strictEqual(h.bar, bar);
    assert.ok(Math.abs(h.time - 550_000) < 1e-6);
    const idle = hitTest(s, 64 + 50, bar.y + 2);
    assert.ok(idle?.kind === 'lane' && idle.bar === undefined, 'pCPU 1 idles before 200 µs');
    assert.strictEqual(hitTest(s, 10, bar.y + 2), undefined, 'the label column');
    assert.strictEqual(hitTest(s, 500, 2), undefined, 'the axis');
  });

  it('zooms around the anchor, pans, and never leaves the recorded history', () => {
    const end = 1_000_000;
    const v = { from: 0, to: end };
    const z = zoom(v, 4, 500_000, end);
    assert.deepStrictEqual(z, { from: 375_000, to: 625_000 });
    // the anchor keeps its place on screen
    const a = 300_000;
    const z2 = zoom({ from: 200_000, to: 600_000 }, 2, a, end);
    assert.ok(Math.abs(xOf(z2, o, a) - xOf({ from: 200_000, to: 600_000 }, o, a)) < 1e-6);
    assert.deepStrictEqual(zoom(z, 0.25, 500_000, end), v, 'and back out');
    assert.deepStrictEqual(zoom(v, 1e9, 10, end).to - zoom(v, 1e9, 10, end).from, MIN_SPAN_NS);
    assert.deepStrictEqual(zoom(v, 0.1, 0, end), v, 'no further out than the whole history');
    assert.deepStrictEqual(pan(z, -1e9, end), { from: 0, to: 250_000 });
    assert.deepStrictEqual(pan(z, 1e9, end), { from: 750_000, to: end });
    // dragging right by 100 px shows earlier time
    assert.deepStrictEqual(panByPixels(z, o, 100, end), { from: 350_000, to: 600_000 });
  });

  it('asks the session again when the window on screen is summarised or not covered, with room to pan', () => {
    const whole = { from: 0, to: 1_000_000 };
    assert.strictEqual(needsDetail(undefined, whole), true);
    assert.strictEqual(needsDetail(whole, { from: 10, to: 500 }), false, 'inside a full-detail body');
    assert.strictEqual(needsDetail({ ...whole, decimated: { resolutionNs: 5, periods: { total: 9, shown: 3 }, markers: { total: 0, shown: 0 } } }, { from: 10, to: 500 }), true);
    assert.strictEqual(needsDetail({ from: 100, to: 200 }, { from: 50, to: 150 }), true, 'panned out of the window');
    assert.deepStrictEqual(requestWindow({ from: 1000, to: 2000 }), { from: 500, to: 2500 });
    assert.deepStrictEqual(requestWindow({ from: 100, to: 2100 }), { from: 0, to: 3100 });
  });

  it('walks markers with the keyboard: left and right in time, up and down across lanes', () => {
    const b = body();
    const s = layout(b, fit(b), o);
    const times = s.glyphs.map((g) => g.marker.time);
    assert.deepStrictEqual(times, [...times].sort((x, y) => x - y));
    let i = moveSelection(s, -1, 'right');
    assert.strictEqual(i, 0);
    i = moveSelection(s, i, 'right');
    assert.strictEqual(i, 1);
    assert.strictEqual(moveSelection(s, 0, 'left'), 0);
    assert.strictEqual(moveSelection(s, -1, 'last'), s.glyphs.length - 1);
    const on0 = s.glyphs.findIndex((g) => g.marker.pcpu === 0);
    const down = moveSelection(s, on0, 'down');
    assert.strictEqual(s.glyphs[down].marker.pcpu, 1);
    assert.strictEqual(s.glyphs[moveSelection(s, down, 'up')].marker.pcpu, 0);
    assert.strictEqual(moveSelection(s, down, 'down'), down, 'no lane below the last');
  });
});

describe('extension/timeline page', () => {
  const parts = { cspSource: 'https://file+.vscode-resource.vscode-cdn.net', nonce: nonceFrom(new Uint8Array(24).map((_, i) => i * 37)), scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/timelineView.js' };

  it('has a strict CSP: nothing by default, the script and style only with the nonce', () => {
    assert.match(parts.nonce, /^[A-Za-z0-9]{24}$/);
    const csp = contentSecurityPolicy(parts);
    assert.match(csp, /^default-src 'none'/);
    assert.match(csp, new RegExp(`script-src 'nonce-${parts.nonce}'(;|$)`));
    assert.ok(csp.includes(`style-src ${parts.cspSource} 'nonce-${parts.nonce}'`));
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*|img-src|connect-src/);
    const html = timelineHtml(parts);
    assert.ok(html.includes(`<meta http-equiv="Content-Security-Policy" content="${csp.replace(/'/g, "'")}">`));
    assert.strictEqual([...html.matchAll(/<script\b/g)].length, 1);
    assert.ok(html.includes(`<script nonce="${parts.nonce}" src="${parts.scriptUri}">`));
    assert.ok(html.includes(`<style nonce="${parts.nonce}">`));
    assert.doesNotMatch(html, /\son\w+=/, 'no inline event handlers');
    const urls = [...html.matchAll(/https?:\/\/[^\s"')]+/g)].map((m) => m[0]);
    assert.deepStrictEqual([...new Set(urls)], [parts.cspSource, parts.scriptUri], 'the script is the only resource');
    assert.match(html, /var\(--vscode-foreground\)/);
    assert.match(html, /var\(--vscode-editor-background\)/);
  });

  it('the webview bundle loads nothing from the network and evaluates no strings', async () => {
    const out = await esbuild.build({ entryPoints: [path.join(root, 'src/extension/timeline/webview.ts')], bundle: true, platform: 'browser', format: 'iife', write: false, logLevel: 'silent' });
    const js = out.outputFiles[0].text;
    const urls = [...js.matchAll(/https?:\/\/[^\s"'`)]+/g)].map((m) => m[0]);
    assert.deepStrictEqual([...new Set(urls)], ['http://www.w3.org/2000/svg'], 'only the SVG namespace');
    assert.doesNotMatch(js, /\beval\(|new Function\(|fetch\(|XMLHttpRequest|innerHTML/);
    assert.match(js, /acquireVsCodeApi/);
  });
});
