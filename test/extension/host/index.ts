// extensionTestsPath for VS Code: runs suite.ts with mocha inside the extension host.
import * as path from 'path';

export function run(): Promise<void> {
  // out/test/host -> the repository, whose mocha it uses (the extension host resolves nothing from here)
  const root = path.resolve(__dirname, '..', '..', '..');
  const Mocha = require(path.join(root, 'node_modules', 'mocha')) as typeof import('mocha');
  const mocha = new Mocha({ ui: 'bdd', timeout: 120000, color: false, reporter: 'spec' });
  mocha.addFile(path.join(__dirname, 'suite.js'));
  return new Promise((resolve, reject) => mocha.run((failures) => (failures ? reject(new Error(`${failures} extension-host test(s) failed`)) : resolve())));
}
