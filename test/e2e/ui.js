// What the UI drivers (driver.js, timeline.js) share: a log with elapsed time, named steps that
// save failed.png when they fail, and the command palette.
'use strict';
const path = require('path');
const { launchChromium } = require('./codeServer');

function logger() {
  const t0 = Date.now();
  return (...a) => console.log(`[e2e ${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
}

/** `step(name, fn)` runs fn; a failure is logged, screenshotted into `shots`, and rethrown. */
function stepper(log, shots, page) {
  const s = async (name, fn) => {
    try {
      await fn();
      log('ok  ', name);
    } catch (e) {
      s.failed = true;
      log('FAIL', name, String(e.message || e).split('\n')[0]);
      if (page()) await page().screenshot({ path: path.join(shots, 'failed.png') }).catch(() => {});
      throw e;
    }
  };
  s.failed = false;
  return s;
}

/** Runs a command from the palette (F1), picking the row that shows `label`. */
async function palette(page, command, label = command) {
  const input = page.locator('.quick-input-widget input');
  // A webview or view taking focus as it loads closes a palette opened that moment: open it
  // again then (the command still has to be found and run).
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible', timeout: 10000 });
    try {
      await input.fill(`>${command}`, { timeout: 5000 });
      break;
    } catch (e) {
      if (attempt === 3) throw e;
    }
  }
  await page.locator(`.quick-input-list .monaco-list-row:has-text("${label}")`).first().waitFor({ timeout: 15000 });
  await page.keyboard.press('Enter');
}

/** Debug: Add Function Breakpoint `name` (Run and Debug must be open). */
async function addFunctionBreakpoint(page, name) {
  await palette(page, 'Debug: Add Function Breakpoint', 'Add Function Breakpoint');
  const input = page.locator('.debug-breakpoints input, .debug-pane input').last();
  await input.waitFor({ state: 'visible', timeout: 10000 });
  await input.fill(name);
  await page.keyboard.press('Enter');
  await page.locator(`.debug-breakpoints .monaco-list-row:has-text("${name}")`).waitFor({ timeout: 10000 });
  await page.waitForTimeout(300);
}

/** F5 until the debug toolbar shows (the extension host may not have registered the debugger yet). */
async function startDebugging(page) {
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press('F5');
    try {
      await page.waitForSelector('.debug-toolbar', { timeout: 20000 });
      return;
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

/**
 * Installs the VSIX into `cs`, starts it and Chromium on folder `ws`, and waits for `file` in the
 * Explorer. `ref.page` is set as soon as the page exists (for the steps' failure screenshots).
 */
async function openWorkbench({ cs, tmp, vsix, ws, file, step, ref, viewport }) {
  await step('install the VSIX', async () => {
    const out = cs.installExtension(vsix);
    if (!/successfully installed/i.test(out)) throw new Error(out);
  });
  const url = await cs.start();
  ref.ctx = await launchChromium(tmp);
  const page = ref.ctx.pages()[0] || (await ref.ctx.newPage());
  ref.page = page;
  if (viewport) await page.setViewportSize(viewport);
  await page.goto(`${url}/?folder=${encodeURIComponent(ws)}`);
  await step(`workbench shows the example folder (${file})`, () => page.waitForSelector(`.explorer-folders-view .monaco-list-row:has-text("${file}")`, { timeout: 90000 }));
  return page;
}

/** Opens `file` from the Explorer and waits for `text` in it and for the extension to activate. */
async function openSource(page, cs, file, text) {
  await page.dblclick(`.explorer-folders-view .monaco-list-row:has-text("${file}")`);
  await page.waitForSelector(`.monaco-editor .view-line:has-text("${text}")`, { timeout: 30000 });
  for (let i = 0; i < 120 && !/xensim|Eager extensions activated/.test(cs.exthostLog()); i++) await page.waitForTimeout(500);
}

module.exports = { logger, stepper, palette, addFunctionBreakpoint, startDebugging, openWorkbench, openSource };
