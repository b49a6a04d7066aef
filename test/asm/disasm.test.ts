import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { main } from '../../src/cli/main';
import { decodeOne, disassemble } from '../../src/asm/disasm';

function run(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  return main(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t), cwd }).then((code) => ({ code, out: out.join(''), err: err.join('') }));
}

const text = (hex: string, address = 0): string => decodeOne(Buffer.from(hex, 'hex'), 0, address).text.replace(/\s+/g, ' ');

describe('asm disassembler', () => {
  it("spells objdump's special cases", () => {
    assert.strictEqual(text('f3c3'), 'repz ret');
    assert.strictEqual(text('6690'), 'xchg ax,ax');
    assert.strictEqual(text('8d742600'), 'lea esi,[esi+eiz*1+0x0]');
    assert.strictEqual(text('a134120000'), 'mov eax,ds:0x1234');
    assert.strictEqual(text('26a4'), 'movs BYTE PTR es:[edi],BYTE PTR es:[esi]');
    assert.strictEqual(text('ebfe', 0x100000), 'jmp 0x100000');
    assert.strictEqual(text('cd82'), 'int 0x82');
    assert.strictEqual(text('0f01c1'), 'vmcall');
  });
  it('shows undecodable bytes as (bad) and truncated ones as .byte', () => {
    assert.strictEqual(text('8dc0'), '(bad)');
    assert.strictEqual(text('e8'), '.byte 0xe8');
  });
  it('gives the target of relative branches', () => {
    assert.strictEqual(decodeOne(Buffer.from('e8fb0f0000', 'hex'), 0, 0x1000).target, 0x2000);
    assert.strictEqual(decodeOne(Buffer.from('90', 'hex'), 0, 0x1000).target, undefined);
  });
  it('decodes a buffer back to back', () => {
    const d = disassemble(Buffer.from('90c3', 'hex'), 0x1000);
    assert.deepStrictEqual(d.map((x) => [x.address, x.text]), [[0x1000, 'nop'], [0x1001, 'ret']]);
  });
});

describe('cli: xensim disasm', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-disasm-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prints what objdump -D prints for a flat binary at --org', async () => {
    const bytes = Buffer.from('b801000000cd82eb00668cc0c7442404ffffffff0f01c1f4', 'hex');
    fs.writeFileSync(path.join(dir, 'g.bin'), bytes);
    const r = await run(['disasm', 'g.bin', '--org', '0x100000'], dir);
    assert.strictEqual(r.code, 0, r.err);
    const objdump = execFileSync('objdump', ['-D', '-b', 'binary', '-m', 'i386', '-M', 'intel', '--adjust-vma=0x100000', path.join(dir, 'g.bin')])
      .toString().split('\n').filter((l) => /^\s+[0-9a-f]+:\t/.test(l));
    assert.deepStrictEqual(r.out.trimEnd().split('\n').map((l) => l.replace(/\s+/g, ' ')), objdump.map((l) => l.replace(/\s+/g, ' ')));
  });
  it('names a missing file and exits 1', async () => {
    const r = await run(['disasm', 'nope.bin'], dir);
    assert.strictEqual(r.code, 1);
    assert.match(r.err, /nope\.bin: no such file/);
  });
  it('rejects a bad --org with a usage error', async () => {
    const r = await run(['disasm', 'g.bin', '--org', 'zz'], dir);
    assert.strictEqual(r.code, 2);
    assert.match(r.err, /--org: 'zz' is not an address/);
  });
});
