// Bundles every entry point into dist/ (one file each, with source maps).
// Usage: node esbuild.js [--watch] [--production]
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

// Entry points exist as their layers land; a missing one is skipped, not an error,
// so the bundle step stays usable while the tree grows.
const entries = {
  cli: 'src/cli/index.ts',
  debugAdapter: 'src/debug/standalone.ts',
  languageServer: 'src/language/server.ts',
  extension: 'src/extension/extension.ts',
};

async function main() {
  const entryPoints = {};
  for (const [out, src] of Object.entries(entries)) {
    if (fs.existsSync(path.join(__dirname, src))) entryPoints[out] = src;
  }
  const ctx = await esbuild.context({
    entryPoints,
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    outdir: 'dist',
    sourcemap: true,
    minify: production,
    external: ['vscode'],
    logLevel: 'warning',
  });
  // The Timeline's webview script runs in the browser, not in Node
  const web = await esbuild.context({
    entryPoints: { timelineView: 'src/extension/timeline/webview.ts' },
    bundle: true,
    platform: 'browser',
    target: 'es2020',
    format: 'iife',
    outdir: 'dist',
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
  });
  if (watch) {
    await Promise.all([ctx.watch(), web.watch()]);
    console.log('esbuild: watching');
  } else {
    await Promise.all([ctx.rebuild(), web.rebuild()]);
    await Promise.all([ctx.dispose(), web.dispose()]);
  }
}

main().catch((e) => {
  console.error(e.message || e);
  process.exit(1);
});
