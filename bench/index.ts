// `npm run bench`: runs every bench/*.bench.ts in turn. Each prints its own figures beside
// peers measured in the same run (ratios), because these machines are shared and noisy.
import * as fs from 'fs';
import * as path from 'path';

async function run(): Promise<void> {
  const only = process.argv.slice(2);
  const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.bench.ts')).sort();
  for (const f of files) {
    const name = f.replace(/\.bench\.ts$/, '');
    if (only.length && !only.includes(name)) continue;
    console.log(`\n== ${name} ==`);
    const mod = require(path.join(__dirname, f)) as { default: () => Promise<void> | void };
    await mod.default();
  }
}

run().catch((e) => {
  console.error(e);
  process.exit(1);
});
