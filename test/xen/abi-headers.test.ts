// Our ABI tables and guest/include/xen.inc against Xen's real headers (gcc -m32 over
// /usr/include/xen) and nasm. Skips, saying why, only when the headers are not installed.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FAMILIES, HYPERCALL, LAYOUTS, XEN_CONST, XEN_ERRNO } from '../../src/xen/abi';
import { XEN_ELFNOTE } from '../../src/loader/xen-elfnote';
import { errnoNames, evaluate, headersPresent, layoutOf, macroNames, toolPresent } from './abi-oracle';

const repoRoot = path.resolve(__dirname, '..', '..');
const incDir = path.join(repoRoot, 'guest', 'include');

/** Every number we tabulate, by its C name. */
function tabulatedNumbers(): Map<string, number> {
  const m = new Map<string, number>();
  for (const f of Object.values(FAMILIES)) for (const [k, v] of Object.entries(f.values)) m.set(f.prefix + k, v);
  for (const [k, v] of Object.entries(XEN_CONST)) m.set(k, v);
  return m;
}

/** Every structure member we tabulate: NASM name → { ctype, path, offset, size }. */
function tabulatedFields() {
  const out: { nasm: string; ctype: string; path: string; offset: number; size: number }[] = [];
  for (const [name, st] of Object.entries(LAYOUTS)) {
    for (const [p, f] of Object.entries(st.fields)) {
      out.push({ nasm: `${name}.${p}`, ctype: st.ctype, path: p, offset: f.offset, size: f.size });
    }
  }
  return out;
}

describe('xen abi vs /usr/include/xen', function () {
  this.timeout(60000);
  before(function () {
    if (!headersPresent()) {
      // eslint-disable-next-line no-console
      console.log('    SKIP: /usr/include/xen or gcc missing (apt-get install libxen-dev gcc-multilib)');
      this.skip();
    }
  });

  it('every hypercall number, sub-op, errno and constant equals the header value', () => {
    const nums = tabulatedNumbers();
    const errnos = Object.entries(XEN_ERRNO).map(([k, v]) => [`XEN_${k}`, v] as const);
    const notes = Object.entries(XEN_ELFNOTE).map(([k, v]) => [`XEN_ELFNOTE_${k}`, v] as const);
    const all = [...nums.entries(), ...errnos, ...notes];
    const got = evaluate(all.map(([n]) => n));
    const wrong = all.flatMap(([n, v], i) => (got[i] === v ? [] : [`${n}: ours ${v}, header ${got[i]}`]));
    assert.deepStrictEqual(wrong, []);
    assert.ok(all.length > 500, `only ${all.length} numbers tabulated`);
  });

  it('knows every hypercall and errno the headers define', () => {
    const hyper = macroNames().filter((n) => /^__HYPERVISOR_[a-z]/.test(n));
    const missing = hyper.filter((n) => !(n.slice('__HYPERVISOR_'.length) in HYPERCALL));
    assert.deepStrictEqual(missing, []);
    assert.deepStrictEqual(
      errnoNames().filter((n) => !(n.slice(4) in XEN_ERRNO)),
      [],
    );
    // ABI.md's trap: without the interface-version define sched_op would read 6.
    assert.strictEqual(HYPERCALL.sched_op, 29);
  });

  it('every structure size, member offset and member size equals gcc -m32', () => {
    const fields = tabulatedFields();
    const got = layoutOf(fields);
    const wrong = fields
      .map((f, i) => ({ f, g: got[i] }))
      .filter(({ f, g }) => f.offset !== g.offset || f.size !== g.size)
      .map(({ f, g }) => `${f.nasm}: ours ${f.offset}/${f.size}, gcc ${g.offset}/${g.size}`);
    assert.deepStrictEqual(wrong, []);
    const structs = Object.values(LAYOUTS);
    const sizes = evaluate(structs.map((s) => `sizeof(${s.ctype})`));
    assert.deepStrictEqual(
      structs.map((s) => s.size),
      sizes,
    );
  });

  describe('guest/include/xen.inc', () => {
    let dir: string;
    before(function () {
      if (!toolPresent('nasm', ['-v'])) {
        // eslint-disable-next-line no-console
        console.log('    SKIP: nasm missing');
        this.skip();
      }
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-inc-'));
    });
    after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

    function assemble(src: string): Buffer {
      const asm = path.join(dir, 't.asm');
      const bin = path.join(dir, 't.bin');
      fs.writeFileSync(asm, src);
      execFileSync('nasm', ['-f', 'bin', '-I', incDir + path.sep, '-o', bin, asm]);
      return fs.readFileSync(bin);
    }

    it('assembles to the header values (numbers, offsets, sizes)', () => {
      const nums = [...tabulatedNumbers().entries(), ...Object.entries(XEN_ERRNO).map(([k, v]) => [`XEN_${k}`, v] as const)];
      const fields = tabulatedFields();
      const structs = Object.entries(LAYOUTS);
      const lines = ['bits 32', '%include "xen.inc"'];
      for (const [n] of nums) lines.push(`dd ${n}`);
      for (const f of fields) lines.push(`dd ${f.nasm}`);
      for (const [n] of structs) lines.push(`dd ${n}_size`);
      const bin = assemble(lines.join('\n') + '\n');
      const want = [...nums.map(([, v]) => v), ...fields.map((f) => f.offset), ...structs.map(([, s]) => s.size)];
      assert.strictEqual(bin.length, want.length * 4);
      const wrong: string[] = [];
      const names = [...nums.map(([n]) => n), ...fields.map((f) => f.nasm), ...structs.map(([n]) => `${n}_size`)];
      want.forEach((v, i) => {
        if (bin.readInt32LE(i * 4) !== (v | 0)) wrong.push(`${names[i]}: xen.inc ${bin.readInt32LE(i * 4)}, want ${v}`);
      });
      assert.deepStrictEqual(wrong, []);
    });

    it('HYPERCALL calls the page stub and INT82_n loads the registers', () => {
      const macro = assemble(
        ['bits 32', 'org 0x1000', '%include "xen.inc"', 'HYPERCALL sched_op', 'INT82_2 sched_op, 2, 0x2000', 'align 4096, db 0', 'hypercall_page:'].join('\n') + '\n',
      );
      const plain = assemble(
        ['bits 32', 'org 0x1000', `call hypercall_page + ${HYPERCALL.sched_op} * 32`, 'mov ebx, 2', 'mov ecx, 0x2000', `mov eax, ${HYPERCALL.sched_op}`, 'int 0x82', 'align 4096, db 0', 'hypercall_page:'].join('\n') + '\n',
      );
      assert.deepStrictEqual(macro, plain);
    });
  });
});
