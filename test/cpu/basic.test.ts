import * as assert from 'assert';
import { Cpu } from '../../src/cpu/cpu';
import { BarePlatform, enterFlatProtectedMode } from '../../src/cpu/bare';
import { nasm } from './nasm';

const LOAD = 0x100000;

function machine(src: string): { cpu: Cpu; p: BarePlatform } {
  const p = new BarePlatform(16 << 20);
  const cpu = new Cpu(p);
  p.bus.load(LOAD, nasm(`bits 32\norg ${LOAD}\n${src}`));
  enterFlatProtectedMode(cpu, LOAD, 16 << 20);
  return { cpu, p };
}

describe('cpu basics', () => {
  it('runs a dec/jnz loop to hlt and leaves the right registers', () => {
    const { cpu } = machine(`
      mov ecx, 1000
      xor eax, eax
    l: add eax, ecx
      dec ecx
      jnz l
      hlt`);
    const r = cpu.run(1_000_000);
    assert.strictEqual(r.stop, 'hlt');
    assert.strictEqual(cpu.r[0], (1000 * 1001) / 2);
    assert.strictEqual(cpu.r[1], 0);
    assert.strictEqual(r.retired, 2 + 3 * 1000 + 1);
  });

  it('calls, pushes and pops through the stack', () => {
    const { cpu } = machine(`
      push dword 0x12345678
      call f
      pop ebx
      hlt
    f: mov eax, [esp+4]
      ret`);
    assert.strictEqual(cpu.run(100).stop, 'hlt');
    assert.strictEqual(cpu.r[0], 0x12345678);
    assert.strictEqual(cpu.r[3], 0x12345678);
    assert.strictEqual(cpu.r[4], 16 << 20);
  });

  it('writes to port 0xE9 reach the platform console', () => {
    const { cpu, p } = machine(`
      mov esi, msg
      mov ecx, 5
      mov dx, 0xe9
      rep outsb
      hlt
    msg: db "hello"`);
    assert.strictEqual(cpu.run(100).stop, 'hlt');
    assert.strictEqual(p.consoleText(), 'hello');
  });

  it('stops at a breakpoint and resumes past it', () => {
    const { cpu } = machine(`
      mov eax, 1
    here: mov eax, 2
      hlt`);
    cpu.breakpoints.add(LOAD + 5);
    const r1 = cpu.run(100);
    assert.strictEqual(r1.stop, 'breakpoint');
    assert.strictEqual(cpu.eip, LOAD + 5);
    assert.strictEqual(cpu.r[0], 1);
    const r2 = cpu.run(100);
    assert.strictEqual(r2.stop, 'hlt');
    assert.strictEqual(cpu.r[0], 2);
  });

  it('self-modifying code sees its own write', () => {
    const { cpu } = machine(`
      mov ecx, 2
    again:
      mov eax, 1
    patch equ $-4
      mov dword [patch], 7
      dec ecx
      jnz again
      hlt`);
    assert.strictEqual(cpu.run(100).stop, 'hlt');
    assert.strictEqual(cpu.r[0], 7);
  });

  it('sees code written by another writer between runs', () => {
    const { cpu, p } = machine(`
    top: mov eax, 1
      jmp top`);
    cpu.run(10);
    assert.strictEqual(cpu.r[0], 1);
    p.bus.load(LOAD + 1, new Uint8Array([9, 0, 0, 0]));
    cpu.run(10);
    assert.strictEqual(cpu.r[0], 9);
  });

  it('snapshot then restore then run equals the uninterrupted run', () => {
    const src = `
      mov ecx, 300
      mov ebx, 7
    l: imul ebx, ebx, 13
      add ebx, ecx
      rol ebx, 3
      push ebx
      pop edx
      adc eax, edx
      dec ecx
      jnz l
      hlt`;
    const a = machine(src);
    a.cpu.run(500);
    const snap = a.cpu.snapshot();
    const ram = a.p.bus.bytes.slice();
    a.cpu.run(1_000_000);
    const b = machine(src);
    b.p.bus.load(0, ram);
    b.cpu.restore(JSON.parse(JSON.stringify(snap)));
    b.cpu.run(1_000_000);
    assert.deepStrictEqual(b.cpu.snapshot(), a.cpu.snapshot());
  });

  it('divide by zero is #DE, delivered to the platform intercept with EIP at the div', () => {
    const p = new BarePlatform();
    const events: number[] = [];
    p.intercept = (ev) => {
      events.push(ev.vector);
      return true;
    };
    const cpu = new Cpu(p);
    p.bus.load(LOAD, nasm(`bits 32\norg ${LOAD}\nxor ecx, ecx\ndiv ecx\nhlt`));
    enterFlatProtectedMode(cpu, LOAD, 0x10000);
    const r = cpu.run(100);
    assert.strictEqual(r.stop, 'intercept');
    assert.deepStrictEqual(events, [0]);
    assert.strictEqual(r.event?.kind, 'fault');
    assert.strictEqual(cpu.eip, LOAD + 2);
  });
});
