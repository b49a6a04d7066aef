import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../src/cli/main';
import { CliIO } from '../../src/cli/command';
import { nasm } from './nasm-run';

const fixtures = path.join(__dirname, 'fixtures');

function capture(cwd: string): { io: CliIO; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t) => out.push(t), stderr: (t) => err.push(t), cwd }, out, err };
}

describe('cli: xensim asm', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-cli-asm-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('assembles a file with includes to the same bytes as nasm', async () => {
    const c = capture(fixtures);
    const out = path.join(dir, 'hello.bin');
    assert.strictEqual(await main(['asm', 'hello.asm', '-o', out, '-I', 'inc'], c.io), 0, c.err.join(''));
    const want = nasm(fs.readFileSync(path.join(fixtures, 'hello.asm'), 'utf8'), { 'console.inc': fs.readFileSync(path.join(fixtures, 'inc/console.inc'), 'utf8') });
    assert.ok(want.bytes, want.messages);
    assert.strictEqual(fs.readFileSync(out).toString('hex'), want.bytes.toString('hex'));
    assert.deepStrictEqual(c.err, []);
  });

  it('writes FILE.bin beside a relative input by default and prints a listing on request', async () => {
    fs.copyFileSync(path.join(fixtures, 'broken.asm'), path.join(dir, 'unused.asm'));
    fs.writeFileSync(path.join(dir, 'tiny.asm'), 'bits 32\nnop\nret\n');
    const c = capture(dir);
    assert.strictEqual(await main(['asm', 'tiny.asm', '--listing'], c.io), 0);
    assert.strictEqual(fs.readFileSync(path.join(dir, 'tiny.bin')).toString('hex'), '90c3');
    assert.match(c.out.join(''), /^\s+2 00000000 90\s+nop$/m);
    assert.match(c.out.join(''), /^\s+3 00000001 C3\s+ret$/m);
  });

  it('finds includes beside the source, on -I, and (like nasm) relative to the working directory', async () => {
    fs.mkdirSync(path.join(dir, 'src'));
    fs.mkdirSync(path.join(dir, 'common'));
    fs.writeFileSync(path.join(dir, 'src', 'main.asm'), '%include "common/defs.inc"\ndb VALUE\n');
    fs.writeFileSync(path.join(dir, 'common', 'defs.inc'), 'VALUE equ 7\n');
    const c = capture(dir);
    assert.strictEqual(await main(['asm', 'src/main.asm', '-o', 'out.bin'], c.io), 0, c.err.join(''));
    assert.deepStrictEqual([...fs.readFileSync(path.join(dir, 'out.bin'))], [7]);
  });

  it('prints every error as file:line:col and exits 1 without output', async () => {
    const c = capture(fixtures);
    const out = path.join(dir, 'broken.bin');
    assert.strictEqual(await main(['asm', 'broken.asm', '-o', out], c.io), 1);
    assert.deepStrictEqual(c.err.join('').split('\n').filter(Boolean), [
      "broken.asm:2:14: error: symbol `nosuch' not defined",
      "broken.asm:3:5: error: unknown instruction 'frob'",
      'broken.asm:4:5: error: invalid combination of opcode and operands',
      'xensim asm: 3 errors; no output written',
    ]);
    assert.ok(!fs.existsSync(out));
  });

  it('exits 2 on bad usage and 1 on a missing file', async () => {
    const c = capture(dir);
    assert.strictEqual(await main(['asm'], c.io), 2);
    assert.strictEqual(await main(['asm', 'a.asm', '--frob'], c.io), 2);
    assert.strictEqual(await main(['asm', 'missing.asm'], c.io), 1);
    assert.match(c.err.join(''), /no source file/);
    assert.match(c.err.join(''), /unknown option --frob/);
    assert.match(c.err.join(''), /cannot read missing\.asm: ENOENT/);
  });
});
