#!/usr/bin/env node
// The Timeline in a real VS Code (code-server in headless Chromium): open examples/scheduler,
// stop at the spinners' console_io hypercalls, open the timeline from the Xen Domains view, see
// the pCPU lanes, run periods and markers drawn, hover a marker, click it and see the debugger
// travel back there (status bar time, the vCPU inside that hypercall in Call Stack), click a lane
// to travel to a time. Saves the screenshot for the README.
//
// usage: node test/e2e/timeline.js XENSIM.vsix [SCREENSHOT.png]    (exit 0: every step passed)
//        E2E_THEME="Default Dark Modern" runs it in that colour theme
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { CodeServer, missingTools, root } = require('./codeServer');
const ui = require('./ui');

const vsix = path.resolve(process.argv[2] || path.join(root, 'xensim.vsix'));
const screenshot = path.resolve(process.argv[3] || path.join(root, 'media', 'screenshots', 'timeline.png'));
const log = ui.logger();

/** The status bar's virtual time in seconds (`0.020000000 s · 123 instr`), or undefined. */
async function statusSeconds(page) {
  const text = await page
    .locator('.statusbar-item:has-text("instr")')
    .first()
    .textContent({ timeout: 2000 })
    .catch(() => '');
  const m = /([\d.]+) s ·/.exec(text || '');
  return m ? Number(m[1]) : undefined;
}

/** The x of virtual time `ns` on the drawn axis, from its tick labels (`10 ms`, `250 µs`). */
async function xOfTime(view, ns) {
  const unit = { ns: 1, µs: 1e3, ms: 1e6, s: 1e9 };
  const ticks = await view.locator('svg#chart .tick-label').evaluateAll((ts) => ts.map((t) => ({ label: t.textContent, x: Number(t.getAttribute('x')) - 3 })));
  const pts = ticks.map((t) => {
    const m = /^([\d.]+) (ns|µs|ms|s)$/.exec(t.label);
    return m ? { t: Number(m[1]) * unit[m[2]], x: t.x } : undefined;
  }).filter(Boolean);
  if (pts.length < 2) throw new Error(`axis ticks: ${ticks.map((t) => t.label).join(', ')}`);
  const [a, b] = pts;
  return a.x + ((ns - a.t) * (b.x - a.x)) / (b.t - a.t);
}

async function main() {
  const missing = missingTools();
  if (missing.length) throw new Error(`missing: ${missing.join(', ')} (run bash test/e2e/install.sh)`);
  if (!fs.existsSync(vsix)) throw new Error(`${vsix}: no such VSIX (npm run package)`);
  fs.mkdirSync(path.dirname(screenshot), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-e2e-timeline-'));
  const ws = path.join(tmp, 'scheduler');
  fs.cpSync(path.join(root, 'examples', 'scheduler'), ws, { recursive: true });

  const cs = new CodeServer(tmp);
  if (process.env.E2E_THEME) {
    // e.g. E2E_THEME="Default Dark Modern": the same run in another colour theme
    const file = path.join(cs.udd, 'User', 'settings.json');
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), 'workbench.colorTheme': process.env.E2E_THEME }, null, 2));
  }
  const ref = {};
  let page;
  const step = ui.stepper(log, tmp, () => ref.page);
  // the webview's document: VS Code nests it in an iframe inside the webview's iframe
  const view = () => page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');

  try {
    page = await ui.openWorkbench({ cs, tmp, vsix, ws, file: 'spin.asm', step, ref, viewport: { width: 1600, height: 900 } });

    await step('open spin.asm and add the function breakpoint hypercall:console_io', async () => {
      await ui.openSource(page, cs, 'spin.asm', 'HYPERCALL console_io');
      await page.keyboard.press('Control+Shift+D');
      await page.waitForSelector('.pane-header:has-text("Breakpoints")', { timeout: 15000 });
      await ui.addFunctionBreakpoint(page, 'hypercall:console_io');
    });

    await step('F5 runs the three spinners; continue to w1024\'s first console_io (20 ms of virtual time)', async () => {
      await page.click('.monaco-editor .view-lines');
      await ui.startDebugging(page);
      // dom0's, then each spinner's first line, as the credit scheduler first runs it
      let last;
      for (let attempt = 0; ; attempt++) {
        let now;
        for (let i = 0; i < 120; i++) {
          now = await statusSeconds(page);
          if (now !== undefined && now !== last) break;
          await page.waitForTimeout(250);
        }
        if (now !== undefined && now >= 0.02) break;
        if (attempt >= 6) throw new Error(`never reached 20 ms (status bar at ${now} s)`);
        last = now;
        await page.keyboard.press('F5');
        await page.waitForTimeout(500);
      }
    });

    await step('the Xen Domains view title opens the Timeline', async () => {
      const header = page.locator('.pane-header:has-text("Xen Domains")');
      await header.waitFor({ timeout: 20000 });
      if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
      for (const pane of ['Watch', 'Breakpoints', 'Variables']) {
        const h = page.locator(`.pane-header:has-text("${pane}")`).first();
        if ((await h.getAttribute('aria-expanded').catch(() => null)) === 'true') await h.click();
      }
      await header.hover();
      const button = header.locator('.action-label[aria-label="Show Timeline"], .action-label[title="Show Timeline"]');
      if (await button.count()) await button.first().click();
      else await ui.palette(page, 'xensim: Show Timeline');
      await page.waitForSelector('.tab:has-text("xensim Timeline")', { timeout: 20000 });
      // the timeline below the source, full width; stops open sources in the other group
      await ui.palette(page, 'View: Toggle Vertical/Horizontal Editor Layout', 'Toggle Vertical/Horizontal Editor Layout');
      await page.keyboard.press('Control+J');
      await page.waitForTimeout(500);
    });

    let lanes = 0;
    await step('the timeline draws a lane per pCPU, run periods of every spinner and markers', async () => {
      const v = view();
      await v.locator('svg#chart rect.period').first().waitFor({ timeout: 30000 });
      lanes = await v.locator('svg#chart g.lane').count();
      if (lanes !== 2) throw new Error(`${lanes} lanes, expected 2 (pCPU 0 and 1)`);
      const domids = await v.locator('svg#chart rect.period').evaluateAll((rs) => [...new Set(rs.map((r) => r.getAttribute('data-domid')))].sort());
      if (domids.join(',') !== '0,1,2,3') throw new Error(`periods of domains ${domids}, expected 0,1,2,3`);
      for (const kind of ['hypercall', 'domain']) {
        const n = await v.locator(`svg#chart path.marker[data-kind="${kind}"]`).count();
        if (n < 1) throw new Error(`no ${kind} marker`);
      }
      // launch.json's first configuration boots w1024, w256, w512 as d1, d2, d3
      const labels = await v.locator('svg#chart .bar-label').allTextContents();
      if (!labels.includes('d1 w1024 vcpu0') || !labels.includes('d2 w256 vcpu0')) throw new Error(`bar labels: ${labels.join(' | ')}`);
      const legend = await v.locator('#legend').textContent();
      if (!/d3 w512/.test(legend) || !/hypercall/.test(legend) || !/VM exit/.test(legend)) throw new Error(`legend: ${legend}`);
    });

    let target;
    await step('continue without breakpoints and pause: the timeline follows the run', async () => {
      const before = await view().locator('svg#chart rect.period').count();
      await ui.palette(page, 'Debug: Remove All Breakpoints', 'Remove All Breakpoints');
      await page.locator('.debug-toolbar .action-label[aria-label^="Continue"]').first().click();
      await page.waitForTimeout(3000);
      await page.locator('.debug-toolbar .action-label[aria-label^="Pause"]').first().click();
      for (let i = 0; i < 80 && (await view().locator('svg#chart rect.period').count()) <= before; i++) await page.waitForTimeout(250);
      const after = await view().locator('svg#chart rect.period').count();
      if (after <= before) throw new Error(`${after} run periods after running on (${before} before)`);
    });
    await step('hovering w256\'s console_io marker (at 10 ms) shows the decoded hypercall', async () => {
      const v = view();
      const ten = await xOfTime(v, 10e6);
      const boxes = await v.locator('svg#chart path.marker[data-kind="hypercall"]').evaluateAll((ps) =>
        ps.map((p) => {
          const b = p.getBBox();
          return { record: Number(p.getAttribute('data-record')), x: b.x + b.width / 2, y: b.y + b.height / 2 };
        }),
      );
      target = boxes.reduce((a, b) => (Math.abs(b.x - ten) < Math.abs(a.x - ten) ? b : a));
      await v.locator(`svg#chart path.marker[data-record="${target.record}"]`).hover();
      const tip = v.locator('#tooltip');
      await tip.waitFor({ state: 'visible', timeout: 10000 });
      const text = await tip.textContent();
      if (!/console_io\(CONSOLEIO_write, count=9/.test(text) || !/d2 vcpu0/.test(text)) throw new Error(`tooltip: ${text}`);
    });

    await step('clicking the marker travels back: 10 ms in the status bar, w256 inside console_io', async () => {
      const before = await statusSeconds(page);
      await view().locator(`svg#chart path.marker[data-record="${target.record}"]`).click();
      let now;
      for (let i = 0; i < 80; i++) {
        now = await statusSeconds(page);
        if (now !== undefined && now !== before) break;
        await page.waitForTimeout(250);
      }
      if (!(now >= 0.009 && now <= 0.0101)) throw new Error(`status bar at ${now} s after the travel (was ${before} s)`);
      // the timeline asks again at the stop: its present is now the marker's record
      await view().locator(`#status:has-text("(record ${target.record})")`).waitFor({ timeout: 20000 });
      // the stop is on the marker's vCPU, inside that hypercall (room for Call Stack: fold Xen Domains)
      const domains = page.locator('.pane-header:has-text("Xen Domains")');
      if ((await domains.getAttribute('aria-expanded')) === 'true') await domains.click();
      await page.waitForSelector('.debug-call-stack .monaco-list-row:has-text("d2 w256 vcpu0")', { timeout: 20000 });
      await page.waitForSelector('.debug-call-stack .monaco-list-row:has-text("xen: console_io")', { timeout: 20000 });
      const rows = await page.locator('.debug-call-stack .monaco-list-row').allTextContents();
      const at = rows.findIndex((r) => r.includes('d2 w256 vcpu0'));
      if (!(at >= 0 && /travelled/i.test(rows[at] + rows[at + 1]) && rows.slice(at).some((r) => r.includes('xen: console_io')))) throw new Error(`Call Stack: ${rows.join(' | ')}`);
      // the present moved: the "now" line sits at the marker
      const nowX = Number(await view().locator('svg#chart line.now').getAttribute('x1'));
      if (Math.abs(nowX - target.x) > 2) throw new Error(`now line at x=${nowX}, the marker at ${target.x}`);
      // the README's picture: the machine back at the marker, its record in the tooltip
      await view().locator(`svg#chart path.marker[data-record="${target.record}"]`).hover();
      await view().locator('#tooltip').waitFor({ state: 'visible', timeout: 10000 });
      await page.waitForTimeout(300);
      await page.screenshot({ path: screenshot });
    });

    await step('a click on pCPU 0\'s lane at 30 ms travels to that time', async () => {
      const v = view();
      const t30 = { x: await xOfTime(v, 30e6) };
      const barY = Number(await v.locator('svg#chart g.lane[data-pcpu="0"] rect.lane-bg').getAttribute('y'));
      const before = await statusSeconds(page);
      await v.locator('svg#chart').click({ position: { x: t30.x, y: barY + 6 } });
      let now;
      for (let i = 0; i < 80; i++) {
        now = await statusSeconds(page);
        if (now !== undefined && now !== before) break;
        await page.waitForTimeout(250);
      }
      // 30 ms to within the width of two pixels (and a 10 µs scheduling round)
      const px = 1e-3 / ((await xOfTime(v, 31e6)) - t30.x);
      if (!(Math.abs(now - 0.03) <= 2 * px + 1e-5)) throw new Error(`status bar at ${now} s after a click at 30 ms (was ${before} s; a pixel is ${px} s)`);
    });

    await step('keyboard: End selects the last marker and announces it, + zooms, 0 fits', async () => {
      const v = view();
      await v.locator('svg#chart').focus();
      await v.locator('svg#chart').press('End');
      await v.locator('svg#chart path.marker.selected').waitFor({ timeout: 5000 });
      const live = await v.locator('#live').textContent();
      if (!/record \d+/.test(live)) throw new Error(`live region: ${live}`);
      const span = async () => (await v.locator('#status').textContent()).split(' of ')[0];
      const was = await span();
      await v.locator('svg#chart').press('+');
      await page.waitForTimeout(300);
      if ((await span()) === was) throw new Error('+ did not zoom');
      await v.locator('svg#chart').press('0');
      await page.waitForTimeout(300);
    });

  } finally {
    if (ref.ctx) await ref.ctx.close().catch(() => {});
    await cs.stop();
    if (!step.failed && !process.env.E2E_KEEP) fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
    else log('kept', tmp);
  }
  log(`all steps passed; screenshot ${screenshot}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`e2e failed: ${e.stack || e}`);
    process.exit(1);
  },
);
