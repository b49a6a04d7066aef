import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { INSTRUCTIONS } from '../../src/language/instructions';
import { XL_KEYS } from '../../src/language/xlKeys';
import { HYPERCALLS } from '../../src/language/hypercalls';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'node_modules', 'vscode-tmgrammar-test', 'dist', 'unit.js');

/** Runs vscode-tmgrammar-test (grammars found through package.json's contributes) on the given files. */
function runGrammarTests(files: string[]): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [cli, '--compact', '--config', path.join(root, 'package.json'), ...files], {
    cwd: root,
    encoding: 'utf8',
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** A grammar regex from the JSON, as a JavaScript RegExp (the patterns use only the shared subset). */
function jsRegex(onig: string, anchored: boolean): RegExp {
  const caseless = onig.startsWith('(?i)');
  const body = caseless ? onig.slice(4) : onig;
  return new RegExp(anchored ? `^(?:${body})$` : body, caseless ? 'i' : '');
}

function grammar(name: string): { repository: Record<string, { begin?: string; patterns?: { match?: string; name?: string }[] }> } {
  return JSON.parse(fs.readFileSync(path.join(root, 'syntaxes', name), 'utf8'));
}

describe('grammar', function () {
  this.timeout(60000);

  it('passes every test file under test/grammar', () => {
    const files = fs.readdirSync(__dirname).filter((f) => /\.test\.(asm|xl\.cfg)$/.test(f));
    assert.ok(files.length >= 5, `only ${files.length} grammar test files`);
    const r = runGrammarTests(files.map((f) => path.join('test', 'grammar', f)));
    assert.strictEqual(r.status, 0, r.output);
    assert.strictEqual((r.output.match(/run successfuly/g) ?? []).length, files.length, r.output);
  });

  it('reports a wrong scope as a failure (the wrapper would catch a regression)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-grammar-'));
    try {
      const file = path.join(dir, 'wrong.test.asm');
      fs.writeFileSync(file, '; SYNTAX TEST "source.xen-asm"\n        mov eax, 1\n;       ^^^ comment.line.semicolon.xen-asm\n');
      const r = runGrammarTests([file]);
      assert.notStrictEqual(r.status, 0);
      assert.match(r.output, /Missing required scopes: \[ comment\.line\.semicolon\.xen-asm \]/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('matches what syntaxes/generate.js writes (edit the script, not the JSON)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-grammar-gen-'));
    try {
      const r = spawnSync(process.execPath, ['-r', 'esbuild-register', path.join(root, 'syntaxes', 'generate.js'), dir], { cwd: root, encoding: 'utf8' });
      assert.strictEqual(r.status, 0, r.stderr);
      for (const f of ['xen-asm.tmLanguage.json', 'xl-cfg.tmLanguage.json']) {
        assert.strictEqual(fs.readFileSync(path.join(dir, f), 'utf8'), fs.readFileSync(path.join(root, 'syntaxes', f), 'utf8'), f);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('highlights every constant and hypercall macro guest/include/xen.inc defines', () => {
    const asm = grammar('xen-asm.tmLanguage.json');
    const inc = fs.readFileSync(path.join(root, 'guest', 'include', 'xen.inc'), 'utf8');
    const support = asm.repository.hypercall.patterns!.map((p) => jsRegex(p.match!, true));
    const names = [...inc.matchAll(/^([A-Z_][A-Za-z0-9_]*)\s+equ\b/gm)].map((m) => m[1]);
    const macros = [...inc.matchAll(/^%macro\s+(\w+)/gm)].map((m) => m[1]);
    assert.ok(names.length > 300 && macros.length >= 10, `${names.length} names, ${macros.length} macros`);
    for (const n of [...names, ...macros]) {
      if (n.startsWith('XEN_HYPERCALL_STUB') || n === 'XENSIM_XEN_INC') continue;
      assert.ok(support.some((re) => re.test(n)), `grammar does not highlight ${n}`);
    }
  });

  it('highlights every mnemonic the language server knows, and no register as one', () => {
    const asm = grammar('xen-asm.tmLanguage.json');
    const mnemonic = jsRegex(asm.repository.instruction.begin!, true);
    const prefix = asm.repository.directive.patterns!.find((p) => p.name === 'keyword.mnemonic.prefix.xen-asm')!;
    const prefixRe = jsRegex(prefix.match!, true);
    for (const i of INSTRUCTIONS) {
      const re = i.group === 'prefix' ? prefixRe : mnemonic;
      assert.ok(re.test(i.mnemonic) && re.test(i.mnemonic.toUpperCase()), `grammar misses ${i.mnemonic}`);
    }
    for (const reg of ['eax', 'al', 'cs', 'cr0', 'dr7']) assert.ok(!mnemonic.test(reg), reg);
  });

  it('highlights every hypercall name', () => {
    const asm = grammar('xen-asm.tmLanguage.json');
    const names = asm.repository.hypercall.patterns!.filter((p) => p.name === 'support.function.hypercall.xen-asm');
    for (const h of HYPERCALLS) {
      assert.ok(names.some((p) => jsRegex(p.match!, true).test(h.name)), `grammar misses ${h.name}`);
      assert.ok(names.some((p) => jsRegex(p.match!, true).test(`__HYPERVISOR_${h.name}`)), h.name);
    }
  });

  it('marks every xl.cfg key of the language server as known', () => {
    const xl = grammar('xl-cfg.tmLanguage.json');
    const begin = new RegExp(xl.repository.setting.begin!);
    for (const k of XL_KEYS) {
      const m = begin.exec(`${k.key} = 1`);
      assert.ok(m && m[1] === k.key, `grammar does not know ${k.key}`);
    }
    assert.strictEqual(begin.exec('memoryx = 1')![1], undefined);
  });
});
