#!/usr/bin/env node
// What a person does with the packaged extension in a real VS Code (code-server in headless
// Chromium): install the VSIX, open examples/hello, see a squiggle and a hover in hello.asm, set a
// hypercall breakpoint, press F5, read Call Stack, Variables, the Xen Domains view and the status
// bar, open machine memory, continue to the end, open the trace. Screenshots at each step.
//
// usage: node test/e2e/driver.js XENSIM.vsix [SCREENSHOT_DIR]    (exit 0: every step passed)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { CodeServer, missingTools, root } = require('./codeServer');
const ui = require('./ui');

const vsix = path.resolve(process.argv[2] || path.join(root, 'xensim.vsix'));
const shots = path.resolve(process.argv[3] || path.join(root, '.e2e', 'screenshots'));
const log = ui.logger();

async function main() {
  const missing = missingTools();
  if (missing.length) throw new Error(`missing: ${missing.join(', ')} (run bash test/e2e/install.sh)`);
  if (!fs.existsSync(vsix)) throw new Error(`${vsix}: no such VSIX (npm run package)`);
  fs.mkdirSync(shots, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-e2e-'));
  // a copy of the example, so the trace it writes stays out of the checkout
  const ws = path.join(tmp, 'hello');
  fs.cpSync(path.join(root, 'examples', 'hello'), ws, { recursive: true });

  const cs = new CodeServer(tmp);
  const ref = {};
  let page;
  const step = ui.stepper(log, shots, () => ref.page);
  const shot = (name) => page.screenshot({ path: path.join(shots, name) });
  const palette = (command, label) => ui.palette(page, command, label);
  const goto = async (line, col) => {
    await page.keyboard.press('Control+G');
    await page.locator('.quick-input-widget input').waitFor({ state: 'visible', timeout: 10000 });
    await page.keyboard.type(`${line}:${col}`);
    await page.keyboard.press('Enter');
  };

  try {
    page = await ui.openWorkbench({ cs, tmp, vsix, ws, file: 'hello.asm', step, ref });

    await step('open hello.asm: the grammar colours it, the language server answers', () => ui.openSource(page, cs, 'hello.asm', 'HYPERCALL console_io'));

    await step('hover on console_io shows the hypercall', async () => {
      await page.click('.monaco-editor .view-lines');
      // line 14: "    HYPERCALL console_io"; column 20 is inside console_io
      for (let attempt = 0; ; attempt++) {
        await goto(14, 20);
        await page.keyboard.press('Control+K');
        await page.keyboard.press('Control+I');
        try {
          await page.waitForSelector('.monaco-hover:visible:has-text("__HYPERVISOR_console_io")', { timeout: 15000 });
          break;
        } catch (e) {
          // the language server may still be starting: ask again
          if (attempt >= 4) throw e;
          await page.keyboard.press('Escape');
        }
      }
      await shot('01-hover.png');
      await page.keyboard.press('Escape');
    });

    await step('a typo gets a squiggle and a Problems entry', async () => {
      // on the empty last line, so taking it away leaves the file as it was
      await goto(30, 1);
      await page.keyboard.type('movz eax, 1');
      await page.waitForSelector('.monaco-editor .squiggly-error', { state: 'attached', timeout: 30000 });
      await page.keyboard.press('Control+Shift+M');
      await page.waitForSelector('.markers-panel .monaco-list-row:has-text("movz")', { timeout: 20000 });
      await shot('02-diagnostic.png');
      await page.click('.monaco-editor .view-lines');
      await goto(30, 1);
      await page.keyboard.press('Shift+End');
      await page.keyboard.press('Delete');
      await page.keyboard.press('Control+S');
      await page.waitForSelector('.monaco-editor .squiggly-error', { state: 'detached', timeout: 30000 });
      const original = fs.readFileSync(path.join(root, 'examples', 'hello', 'hello.asm'), 'utf8');
      for (let i = 0; fs.readFileSync(path.join(ws, 'hello.asm'), 'utf8') !== original; i++) {
        if (i > 40) throw new Error('hello.asm changed on disk');
        await page.waitForTimeout(250);
      }
    });

    await step('add the function breakpoint hypercall:console_io', async () => {
      await page.keyboard.press('Control+Shift+D');
      await page.waitForSelector('.pane-header:has-text("Breakpoints")', { timeout: 15000 });
      // a wider side bar, so thread names and the Xen Domains rows read whole in the screenshots
      const bar = await page.locator('.part.sidebar').boundingBox();
      if (bar) {
        const x = bar.x + bar.width + 1;
        await page.mouse.move(x, bar.y + 200);
        await page.mouse.down();
        await page.mouse.move(x + 200, bar.y + 200, { steps: 5 });
        await page.mouse.up();
      }
      await ui.addFunctionBreakpoint(page, 'hypercall:console_io');
    });

    await step('F5 stops at the hypercall: Call Stack shows d1 hello vcpu0', async () => {
      await page.click('.monaco-editor .view-lines');
      await ui.startDebugging(page);
      // dom0 writes to the console too: continue until the hello domain's call is the stop
      const helloStopped = () =>
        page.$$eval('.debug-call-stack .monaco-list-row', (rows) => {
          const t = rows.map((r) => r.textContent || '');
          const i = t.findIndex((x) => x.includes('d1 hello vcpu0'));
          return i >= 0 && i + 1 < t.length && t[i + 1].includes('console_io');
        });
      for (let attempt = 0; ; attempt++) {
        await page.waitForSelector('.debug-call-stack .monaco-list-row:has-text("console_io")', { timeout: 60000 });
        await page.waitForTimeout(500);
        if (await helloStopped()) break;
        const d1 = page.locator('.debug-call-stack .monaco-list-row:has-text("d1 hello vcpu0")');
        if (await d1.count()) {
          // the stopped thread may be d1 with its frames folded
          await d1.first().click();
          await page.waitForTimeout(1000);
          if (await helloStopped()) break;
        }
        if (attempt >= 5) throw new Error('never stopped in the hello domain');
        await page.keyboard.press('F5');
        await page.waitForTimeout(1000);
      }
    });

    await step('Variables: the Registers scope lists eax', async () => {
      await page.locator('.debug-call-stack .monaco-list-row:has-text("xen: console_io")').last().click();
      const registers = page.locator('.debug-variables .monaco-list-row:has-text("Registers")').first();
      await registers.waitFor({ timeout: 20000 });
      const eax = page.locator('.debug-variables .monaco-list-row:has-text("eax")').first();
      for (let attempt = 0; !(await eax.isVisible()); attempt++) {
        if (attempt > 5) throw new Error('the Registers scope does not open');
        await registers.click();
        if (!(await eax.isVisible())) await page.keyboard.press('ArrowRight');
        await page.waitForTimeout(1000);
      }
      await page.waitForTimeout(500);
      await shot('03-debug.png');
    });

    await step('Xen Domains view shows dom0 and d1 hello; the status bar shows virtual time', async () => {
      const header = page.locator('.pane-header:has-text("Xen Domains")');
      await header.waitFor({ timeout: 20000 });
      if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
      await page.waitForSelector('.monaco-list-row:has-text("d1 hello")', { timeout: 20000 });
      await page.waitForSelector('.monaco-list-row:has-text("Domain-0")', { timeout: 20000 });
      await page.waitForSelector('.statusbar-item:has-text("instr")', { timeout: 20000 });
      // room for the view in the screenshot: fold the panes above it
      for (const pane of ['Variables', 'Watch', 'Breakpoints', 'Call Stack']) {
        const h = page.locator(`.pane-header:has-text("${pane}")`).first();
        if ((await h.getAttribute('aria-expanded')) === 'true') await h.click();
      }
      await page.waitForSelector('.monaco-list-row:has-text("vcpu0") >> nth=1', { timeout: 20000 });
      await page.waitForTimeout(500);
      await shot('04-domains.png');
    });

    await step('xensim: Open Machine Memory shows the guest bytes', async () => {
      await palette('xensim: Open Machine Memory');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: 10000 });
      await input.fill('d1:gva:0x100000');
      await page.keyboard.press('Enter');
      await page.waitForSelector('.monaco-editor .view-line:has-text("00100000")', { timeout: 20000 });
      await shot('05-memory.png');
    });

    await step('continue: the guest prints and the session ends', async () => {
      await page.keyboard.press('F5');
      await page.waitForSelector('.debug-toolbar', { state: 'hidden', timeout: 60000 });
      await page.keyboard.press('Control+Shift+Y');
      await page.waitForSelector('.repl :text("Hello from a PV guest on xensim!")', { timeout: 20000 });
    });

    await step('xensim: Open Trace shows the run as readable records', async () => {
      await palette('xensim: Open Trace');
      const pick = page.locator('.quick-input-list .monaco-list-row:has-text("trace.jsonl")');
      await pick.first().waitFor({ timeout: 15000 });
      await page.keyboard.press('Enter');
      await page.waitForSelector('.monaco-editor .view-line:has-text("trace.jsonl:")', { timeout: 20000 });
      await page.waitForSelector('.monaco-editor .view-line:has-text("hypercall")', { timeout: 20000 });
      await shot('06-trace.png');
    });
  } finally {
    if (ref.ctx) await ref.ctx.close().catch(() => {});
    await cs.stop();
    if (!step.failed && !process.env.E2E_KEEP) fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
    else log('kept', tmp);
  }
  log(`all steps passed; screenshots in ${shots}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`e2e failed: ${e.stack || e}`);
    process.exit(1);
  },
);
