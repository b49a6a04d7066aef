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
  if (watch) {
    await ctx.watch();
    console.log('esbuild: watching');
  } else {
    await ctx.rebuild();
    await ctx.dispose();
  }
}

main().catch((e) => {
  console.error(e.message || e);
  process.exit(1);
});
