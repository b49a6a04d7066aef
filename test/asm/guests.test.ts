import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { assemble, formatDiagnostic } from '../../src/asm';

/** Every guest the project ships, assembled by NASM and by us from the same files. */
const root = path.resolve(__dirname, '..', '..');
const include = path.join(root, 'guest', 'include');

function sources(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.asm') ? [p] : [];
  });
}

/** A file named relative to the repository (as the guests' includes are), or undefined. */
function read(p: string): Buffer | undefined {
  const full = path.resolve(root, p);
  return fs.existsSync(full) && fs.statSync(full).isFile() ? fs.readFileSync(full) : undefined;
}

describe('asm: the shipped guests against nasm -f bin', () => {
  const files = [...sources(path.join(root, 'examples')), ...sources(path.join(root, 'guest'))];
  it('finds guest sources to check', () => assert.ok(files.length > 0 || !fs.existsSync(path.join(root, 'examples'))));
  for (const file of files) {
    const rel = path.relative(root, file);
    it(rel, () => {
      const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-guest-')), 'g.bin');
      const r = spawnSync('nasm', ['-f', 'bin', `-I${include}/`, `-I${path.dirname(file)}/`, '-o', out, file], { encoding: 'utf8' });
      assert.strictEqual(r.status, 0, r.stderr);
      const want = fs.readFileSync(out);
      fs.rmSync(path.dirname(out), { recursive: true, force: true });
      const got = assemble(fs.readFileSync(file, 'utf8'), {
        file: rel,
        includePaths: [include],
        readFile: (p) => read(p)?.toString('utf8'),
        readBinary: (p) => read(p),
      });
      assert.deepStrictEqual(got.errors.map(formatDiagnostic), []);
      assert.ok(Buffer.from(got.image).equals(want), `${rel}: bytes differ from nasm's`);
    });
  }
});
