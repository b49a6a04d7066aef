#!/usr/bin/env node
// Runs test/extension/host (mocha inside VS Code's extension host) in code-server: the
// workbench URL's payload names this checkout as the extension under development and the bundled
// suite as its tests; the exit code comes back through codeAutomationExit.
//
// usage: node test/e2e/hostTests.js    (needs dist/: npm run build; exit 0 when every test passed)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const esbuild = require('esbuild');
const { CodeServer, launchChromium, missingTools, root } = require('./codeServer');

// the workbench's own chatter (connections, the offline gallery); mocha's lines pass
const noise = /AgentHost|ChatModelSelection|AccountPolicyGate|github|Canceled|^\s+at |ENOTFOUND|socket|connection token|Service Worker|grace time|builtin extensions cache/;

async function main() {
  const missing = missingTools();
  if (missing.length) throw new Error(`missing: ${missing.join(', ')} (run bash test/e2e/install.sh)`);
  const out = path.join(root, 'out', 'test', 'host');
  await esbuild.build({
    entryPoints: { index: path.join(root, 'test/extension/host/index.ts'), suite: path.join(root, 'test/extension/host/suite.ts') },
    bundle: true, platform: 'node', format: 'cjs', target: 'node18', outdir: out, external: ['vscode', 'mocha'], logLevel: 'warning',
  });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-host-'));
  const ws = path.join(tmp, 'hello');
  fs.cpSync(path.join(root, 'examples', 'hello'), ws, { recursive: true });
  const cs = new CodeServer(tmp);
  let ctx;
  try {
    const url = await cs.start(true);
    const authority = url.replace(/^http:\/\//, '');
    ctx = await launchChromium(tmp);
    const page = ctx.pages()[0] || (await ctx.newPage());
    let done;
    const finished = new Promise((r) => (done = r));
    await page.exposeFunction('codeAutomationLog', (_type, args) => {
      const t = require('util').format(...(args || []));
      const lines = t.split('\n').filter((l) => !noise.test(l));
      if (lines.length && !noise.test(t.split('\n')[0])) console.log(lines.join('\n'));
    });
    await page.exposeFunction('codeAutomationExit', (code) => done(code));
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', `vscode-remote://${authority}${root}`],
      ['extensionTestsPath', `vscode-remote://${authority}${path.join(out, 'index.js')}`],
    ]);
    await page.goto(`${url}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(payload)}`);
    const code = await Promise.race([finished, new Promise((r) => setTimeout(() => r('timeout after 5 minutes'), 5 * 60 * 1000))]);
    if (code !== 0) {
      await page.screenshot({ path: path.join(tmp, 'host-tests.png') }).catch(() => {});
      throw new Error(`extension-host tests: exit ${code} (kept ${tmp})`);
    }
  } finally {
    if (ctx) await ctx.close().catch(() => {});
    await cs.stop();
  }
  fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  console.log('extension-host tests passed');
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`${e.stack || e}`);
    process.exit(1);
  },
);
