/**
 * `xensim exec` (src/cli/exec.ts): the bare harness from the command line — flat and ELF32
 * images, the 0xE9 console, --regs, triple faults, the instruction limit and bad images.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../src/cli/main';
import { CliIO } from '../../src/cli/command';
import { nasm } from './nasm';

async function run(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { stdout: (t) => out.push(t), stderr: (t) => err.push(t), cwd };
  const code = await main(['exec', ...args], io);
  return { code, out: out.join(''), err: err.join('') };
}

describe('xensim exec', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-exec-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const flat = (name: string, src: string, org = 0x100000) => {
    fs.writeFileSync(path.join(dir, name), nasm(`bits 32\norg ${org}\n${src}`));
    return name;
  };

  it('runs a flat image to hlt, prints port 0xE9 output and the final registers as JSON', async () => {
    const f = flat('hello.bin', `
      mov esi, msg
      mov ecx, 6
      mov dx, 0xe9
      rep outsb
      mov ax, ds                 ; the built-in GDT's data selector is loadable
      mov es, ax
      push dword 0x12345678
      pop ebx
      mov eax, esp
      hlt
    msg: db "hello", 10`);
    const r = await run([f, '--regs'], dir);
    assert.strictEqual(r.code, 0);
    const [text, json] = [r.out.slice(0, 6), r.out.slice(6)];
    assert.strictEqual(text, 'hello\n');
    const regs = JSON.parse(json);
    assert.deepStrictEqual(Object.keys(regs), ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'esp', 'ebp', 'eip', 'eflags', 'es', 'cs', 'ss', 'ds', 'fs', 'gs', 'cr0', 'cr2', 'cr3', 'cr4', 'instructions']);
    assert.strictEqual(regs.eax, 16 << 20, 'ESP starts at the top of 16 MiB');
    assert.strictEqual(regs.ebx, 0x12345678);
    assert.strictEqual(regs.cs, 0x08);
    assert.strictEqual(regs.ds, 0x10);
    assert.strictEqual(regs.es, 0x10);
    assert.strictEqual(regs.eflags & 0x200, 0, 'IF=0');
    assert.strictEqual(regs.cr0 & 0x80000001, 1, 'protected mode, paging off');
    assert.strictEqual(regs.instructions, 10);
  });

  it('honours --load and --entry for flat images', async () => {
    const f = flat('at.bin', `
      dd 0xdeadbeef
    start:
      mov eax, [0x200000]
      hlt`, 0x200000);
    const r = await run([f, '--load', '0x200000', '--entry', '0x200004', '--regs'], dir);
    assert.strictEqual(r.code, 0);
    assert.strictEqual(JSON.parse(r.out).eax, 0xdeadbeef);
  });

  it('loads an ELF32 executable at its program headers and starts at e_entry', async () => {
    const src = path.join(dir, 'e.asm');
    fs.writeFileSync(src, `bits 32
section .text
global _start
_start:
  mov eax, [value]
  mov dx, 0xe9
  mov al, 'E'
  out dx, al
  mov eax, [value]
  hlt
section .data
value: dd 0x600dcafe
`);
    execFileSync('nasm', ['-f', 'elf32', '-o', path.join(dir, 'e.o'), src]);
    execFileSync('ld', ['-m', 'elf_i386', '-Ttext', '0x300000', '-o', path.join(dir, 'e.elf'), path.join(dir, 'e.o')]);
    const r = await run(['e.elf', '--regs'], dir);
    assert.strictEqual(r.code, 0, r.err);
    assert.strictEqual(r.out[0], 'E');
    const regs = JSON.parse(r.out.slice(1));
    assert.strictEqual(regs.eax, 0x600dcafe);
    assert.ok(regs.eip > 0x300000 && regs.eip < 0x301000);
  });

  it('reports a triple fault with the exception that started it (exit 1)', async () => {
    const f = flat('ud.bin', 'nop\nud2');
    const r = await run([f], dir);
    assert.strictEqual(r.code, 1);
    assert.match(r.err, /triple fault \(first exception #UD at eip 0x100001\)/);
  });

  it('stops at --max-instructions (exit 124)', async () => {
    const f = flat('loop.bin', 'l: inc eax\njmp l');
    const r = await run([f, '--max-instructions', '1001', '--regs'], dir);
    assert.strictEqual(r.code, 124);
    const regs = JSON.parse(r.out);
    assert.strictEqual(regs.instructions, 1001);
    assert.strictEqual(regs.eax, 501);
    assert.match(r.err, /stopped after 1001 instructions/);
  });

  it('bad images and arguments: a clear message and exit 2', async () => {
    fs.writeFileSync(path.join(dir, 'bad.elf'), Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]));
    fs.writeFileSync(path.join(dir, 'empty.bin'), new Uint8Array(0));
    const bad = await run(['bad.elf'], dir);
    assert.strictEqual(bad.code, 2);
    assert.match(bad.err, /bad\.elf: /);
    assert.doesNotMatch(bad.err, /\n\s+at /, 'no stack trace');
    const empty = await run(['empty.bin'], dir);
    assert.strictEqual(empty.code, 2);
    assert.match(empty.err, /empty\.bin: empty image/);
    const missing = await run(['missing.bin'], dir);
    assert.strictEqual(missing.code, 2);
    assert.match(missing.err, /missing\.bin: no such file/);
    const big = await run([flat('x.bin', 'hlt'), '--load', '0xfff000'], dir);
    assert.strictEqual(big.code, 0, 'a one-byte image fits just below 16 MiB');
    const outside = await run(['x.bin', '--load', '0x1000000'], dir);
    assert.strictEqual(outside.code, 2);
    assert.match(outside.err, /do not fit/);
    const usage = await run(['x.bin', '--bogus'], dir);
    assert.strictEqual(usage.code, 2);
    assert.match(usage.err, /unknown option '--bogus'/);
  });
});
