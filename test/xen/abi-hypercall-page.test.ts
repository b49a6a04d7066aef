// The hypercall page's stubs, checked against nasm (same bytes) and objdump (same meaning).
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HYPERCALL, HYPERCALL_STUB_SIZE, buildHypercallPage } from '../../src/xen/abi';
import { toolPresent } from './abi-oracle';

function nasm(src: string): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-hp-'));
  try {
    fs.writeFileSync(path.join(dir, 'p.asm'), src);
    execFileSync('nasm', ['-f', 'bin', '-o', path.join(dir, 'p.bin'), path.join(dir, 'p.asm')]);
    return fs.readFileSync(path.join(dir, 'p.bin'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The same page written in NASM: each stub, padded with int3 to 32 bytes. */
function nasmPage(stub: (nr: number) => string[]): Buffer {
  const lines = ['bits 32'];
  for (let nr = 0; nr < 4096 / HYPERCALL_STUB_SIZE; nr++) {
    lines.push(`stub${nr}:`, ...stub(nr), `times ${HYPERCALL_STUB_SIZE} - ($ - stub${nr}) db 0xcc`);
  }
  return nasm(lines.join('\n') + '\n');
}

describe('hypercall page (oracle: nasm, objdump)', () => {
  before(function () {
    if (!toolPresent('nasm', ['-v'])) this.skip();
  });

  it('PV: mov eax, nr; int 0x82; ret — and the iret stub jumped to', () => {
    const want = nasmPage((nr) =>
      nr === HYPERCALL.iret ? ['push eax', `mov eax, ${nr}`, 'int 0x82'] : [`mov eax, ${nr}`, 'int 0x82', 'ret'],
    );
    assert.ok(Buffer.from(buildHypercallPage('pv32')).equals(want));
  });

  it('HVM (VMX): mov eax, nr; vmcall; ret — and ud2 for iret', () => {
    const want = nasmPage((nr) => (nr === HYPERCALL.iret ? ['ud2'] : [`mov eax, ${nr}`, 'vmcall', 'ret']));
    assert.ok(Buffer.from(buildHypercallPage('hvm-vmx')).equals(want));
  });

  it('disassembles as Xen documents it', function () {
    if (!toolPresent('objdump', ['--version'])) this.skip();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-hp-'));
    try {
      const file = path.join(dir, 'page.bin');
      fs.writeFileSync(file, buildHypercallPage('pv32'));
      const text = execFileSync('objdump', ['-D', '-b', 'binary', '-m', 'i386', '-M', 'intel', file], { encoding: 'utf8' });
      const at = (off: number) => new RegExp(`^\\s*${off.toString(16)}:\\s+(?:[0-9a-f]{2} )+\\s*(.*?)\\s*$`, 'm').exec(text)?.[1];
      const so = HYPERCALL.sched_op * HYPERCALL_STUB_SIZE;
      assert.deepStrictEqual([at(so), at(so + 5), at(so + 7)], [`mov    eax,0x${HYPERCALL.sched_op.toString(16)}`, 'int    0x82', 'ret']);
      const ir = HYPERCALL.iret * HYPERCALL_STUB_SIZE;
      assert.deepStrictEqual([at(ir), at(ir + 1), at(ir + 6)], ['push   eax', `mov    eax,0x${HYPERCALL.iret.toString(16)}`, 'int    0x82']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
