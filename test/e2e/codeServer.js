// code-server (VS Code's server and web workbench, from npm) and Debian's Chromium, isolated in
// one temporary folder: their own HOME, XDG folders, TMPDIR, user data and extensions.
// Used by driver.js; the recipe is ../shared/vscode-e2e/README.md.
'use strict';
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const E2E_DIR = path.resolve(root, process.env.E2E_DIR || '.e2e');
const NODE24 = path.join(E2E_DIR, 'node24/node_modules/node/bin/node');
const CS = path.join(E2E_DIR, 'cs/node_modules/code-server/out/node/entry.js');
const PLAYWRIGHT = path.join(E2E_DIR, 'tools/node_modules/playwright-core');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** What is missing to run the e2e tests (empty when all is there). */
function missingTools() {
  return [
    [NODE24, 'Node 24'],
    [CS, 'code-server'],
    [PLAYWRIGHT, 'playwright-core'],
    [CHROMIUM, 'chromium'],
  ]
    .filter(([p]) => !fs.existsSync(p))
    .map(([p, what]) => `${what} (${p})`);
}

const SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'chat.disableAIFeatures': true,
  'git.openRepositoryInParentFolders': 'never',
  'git.enabled': false,
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'editor.hover.delay': 300,
  'debug.saveBeforeStart': 'none',
};

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

class CodeServer {
  /** `tmp`: a fresh folder that holds everything this instance writes. */
  constructor(tmp) {
    this.tmp = tmp;
    this.udd = path.join(tmp, 'user-data');
    this.extDir = path.join(tmp, 'extensions');
    for (const d of ['home', 'xdg/config', 'xdg/data', 'xdg/cache', 'tmp', 'user-data/User', 'extensions']) fs.mkdirSync(path.join(tmp, d), { recursive: true });
    fs.writeFileSync(path.join(this.udd, 'User', 'settings.json'), JSON.stringify(SETTINGS, null, 2));
    this.env = {
      ...process.env,
      PATH: `${path.dirname(NODE24)}:${process.env.PATH}`,
      HOME: path.join(tmp, 'home'),
      XDG_CONFIG_HOME: path.join(tmp, 'xdg/config'),
      XDG_DATA_HOME: path.join(tmp, 'xdg/data'),
      XDG_CACHE_HOME: path.join(tmp, 'xdg/cache'),
      TMPDIR: path.join(tmp, 'tmp'),
    };
    this.flags = ['--auth', 'none', '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--user-data-dir', this.udd, '--extensions-dir', this.extDir];
  }

  installExtension(vsix) {
    return execFileSync(NODE24, [CS, ...this.flags, '--install-extension', vsix], { env: this.env, encoding: 'utf8', timeout: 120000 });
  }

  /** `testDriver`: let the workbench URL's payload run extension tests (extensionTestsPath). */
  async start(testDriver = false) {
    this.port = await freePort();
    const extra = testDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : [];
    this.proc = spawn(NODE24, [CS, '--bind-addr', `127.0.0.1:${this.port}`, ...this.flags, '--reconnection-grace-time', '5', ...extra], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.log = '';
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`code-server did not start in 120 s:\n${this.log}`)), 120000);
      const onData = (d) => {
        this.log += d;
        if (/HTTP server listening/.test(this.log)) {
          clearTimeout(timer);
          resolve();
        }
      };
      this.proc.stdout.on('data', onData);
      this.proc.stderr.on('data', onData);
      this.proc.on('exit', (c) => reject(new Error(`code-server exited ${c}:\n${this.log}`)));
    });
    return `http://127.0.0.1:${this.port}`;
  }

  /** The server-side extension host's log, where activation shows. */
  exthostLog() {
    const logs = path.join(this.udd, 'logs');
    const out = [];
    const walk = (d) => {
      for (const e of fs.existsSync(d) ? fs.readdirSync(d, { withFileTypes: true }) : []) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (/exthost\.log$/.test(e.name)) out.push(fs.readFileSync(p, 'utf8'));
      }
    };
    walk(logs);
    return out.join('\n');
  }

  /** Ends code-server and its extension hosts (one process group); resolves once it has exited. */
  async stop() {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((resolve) => p.once('exit', resolve));
    try {
      process.kill(-p.pid, 'SIGTERM');
    } catch {
      return; // already gone
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10000))]);
    // its children may still be flushing logs into the temporary folder
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function launchChromium(tmp) {
  const { chromium } = require(PLAYWRIGHT);
  return chromium.launchPersistentContext(path.join(tmp, 'chromium'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 900 },
    env: { HOME: path.join(tmp, 'home'), TMPDIR: path.join(tmp, 'tmp'), XDG_CONFIG_HOME: path.join(tmp, 'xdg/config'), XDG_CACHE_HOME: path.join(tmp, 'xdg/cache'), PATH: process.env.PATH },
  });
}

module.exports = { CodeServer, launchChromium, missingTools, E2E_DIR, root };
