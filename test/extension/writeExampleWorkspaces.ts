// Writes examples/<name>/.vscode/{launch,settings}.json from the template (src/extension/template.ts)
// for every example: run after adding or renaming an example's configs.
//   node -r esbuild-register test/extension/writeExampleWorkspaces.ts
import * as fs from 'fs';
import * as path from 'path';
import { launchJson, settingsJson } from '../../src/extension/template';

export const examplesDir = path.resolve(__dirname, '..', '..', 'examples');

export function exampleConfigs(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.cfg')).sort();
}

if (require.main === module) {
  for (const ex of fs.readdirSync(examplesDir)) {
    const dir = path.join(examplesDir, ex);
    if (!fs.statSync(dir).isDirectory() || !exampleConfigs(dir).length) continue; // examples/xtf: hand-written
    fs.mkdirSync(path.join(dir, '.vscode'), { recursive: true });
    fs.writeFileSync(path.join(dir, '.vscode', 'launch.json'), launchJson(exampleConfigs(dir)));
    fs.writeFileSync(path.join(dir, '.vscode', 'settings.json'), settingsJson());
    console.log(`examples/${ex}/.vscode`);
  }
}
