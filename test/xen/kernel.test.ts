// The three kernel forms the domain builder accepts, and what they tell the debugger.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { loadKernel, KernelError } from '../../src/xen/kernel';

const root = path.resolve(__dirname, '..', '..');

describe('xen: kernels', () => {
  it('an asm source is assembled with guest/include; entry, hypercall page, lines and symbols', () => {
    const file = path.join(root, 'examples/hello/hello.asm');
    const k = loadKernel(file);
    assert.strictEqual(k.segments[0].vaddr, 0x100000);
    assert.strictEqual(k.entry, 0x100000);
    assert.strictEqual(k.hypercallPage! & 0xfff, 0);
    assert.strictEqual(k.image.symbolAddress('_start'), 0x100000);
    assert.deepStrictEqual(k.image.lineAt(0x100000), { file, line: 11 }); // the first instruction after _start:
    assert.deepStrictEqual(k.image.addressesOf(file, 11), [0x100000]);
    assert.deepStrictEqual(k.image.files(), [file]);
  });

  it('an ELF with Xen notes: entry, hypercall page and DWARF source files', function () {
    const file = path.resolve(root, '..', 'shared', 'xtf', 'test-pv32pae-example');
    const f = fs.existsSync(file) ? file : '/work/shared/xtf/test-pv32pae-example';
    if (!fs.existsSync(f)) this.skip();
    const k = loadKernel(f);
    assert.strictEqual(k.entry, 0x100000);
    assert.strictEqual(k.virtBase, 0);
    assert.ok(k.hypercallPage && k.hypercallPage > 0x100000);
    assert.strictEqual(k.notes?.paeMode, 'yes');
    assert.ok(k.image.files().some((x) => x.endsWith('.c')));
    assert.strictEqual(k.image.symbolAt(0x100000)?.name, '_start');
  });

  it('errors name the file: assembler errors with line and column, missing files', () => {
    const bad = path.join(root, 'test/xen/fixtures/bad.asm');
    assert.throws(() => loadKernel(bad), (e: unknown) => e instanceof KernelError && /bad\.asm:3:\d+: error/.test(e.message));
    assert.throws(() => loadKernel(path.join(root, 'nope.bin')), (e: unknown) => e instanceof KernelError && /nope\.bin: cannot read kernel/.test(e.message));
  });
});
