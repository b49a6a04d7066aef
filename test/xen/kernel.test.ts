// The three kernel forms the domain builder accepts, and what they tell the debugger.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import * as os from 'os';
import { loadKernel, KernelError } from '../../src/xen/kernel';
import { loadDomainConfigText } from '../../src/xen/config';
import { XenSystem } from '../../src/xen/system';

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

describe('xen: a high-half ELF kernel (virt_base 0xC0000000)', () => {
  it('is built at pseudo-physical vaddr - virt_base and runs with start_info in the high half', function () {
    const tools = ['nasm', 'ld'].every((t) => {
      try {
        execFileSync(t, ['--version'], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    });
    if (!tools) this.skip();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-high-'));
    const fx = path.join(root, 'test/xen/fixtures');
    execFileSync('nasm', ['-f', 'elf32', '-I', path.join(root, 'guest/include') + '/', '-o', path.join(dir, 'k.o'), path.join(fx, 'highhalf.asm')]);
    execFileSync('ld', ['-m', 'elf_i386', '-T', path.join(fx, 'highhalf.ld'), '-o', path.join(dir, 'k.elf'), path.join(dir, 'k.o')]);
    const k = loadKernel(path.join(dir, 'k.elf'));
    assert.strictEqual(k.virtBase, 0xc0000000);
    assert.strictEqual(k.entry, 0xc0100000);
    const cfg = loadDomainConfigText('name = "high"\ntype = "pv"\nkernel = "k.elf"\nmemory = 32\non_poweroff = "preserve"\n', path.join(dir, 'high.cfg')).config!;
    const sys = new XenSystem([cfg], { dom0: false });
    assert.strictEqual(sys.run({ maxInstructions: 1e6 }).reason, 'finished');
    assert.deepStrictEqual(sys.domain(1).consoleLines, ['high half']);
    const r = sys.readMemory(1, 'gva', sys.image(1)!.symbolAddress('result')!, 4) as number[];
    const mfnList = (r[0] | (r[1] << 8) | (r[2] << 16) | (r[3] << 24)) >>> 0;
    assert.ok(mfnList > 0xc0100000, `start_info.mfn_list 0x${mfnList.toString(16)} is a high virtual address`);
    assert.strictEqual(sys.translate(1, 0, 0xc0100000)?.gpa, 0x100000);
  });
});
