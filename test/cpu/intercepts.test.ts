// The platform's instruction intercept hooks (onControlRegisterWrite/Read, onInvlpg, onRdtsc)
// and the exception hook (intercept): an intercepted instruction has no effect, is not retired
// and leaves EIP at itself; the #UD and privilege faults the SDM ranks above a VM exit come
// first, the operand checks (reserved CR bits) after. Guests are assembled by our assembler,
// checked byte for byte against nasm.
import * as assert from 'assert';
import { Cpu } from '../../src/cpu/cpu';
import type { RunResult } from '../../src/cpu/cpu';
import { BarePlatform, enterFlatProtectedMode, installFlatGdt } from '../../src/cpu/bare';
import type { CpuEvent, CrAccess } from '../../src/cpu/platform';
import { assemble } from '../../src/asm';
import { nasm } from './nasm';

const ORG = 0x100000;

class HookPlatform extends BarePlatform {
  readonly seen: string[] = [];
  crWrite: ((a: CrAccess) => boolean) | null = null;
  crRead: ((a: CrAccess) => boolean) | null = null;
  invlpg: ((lin: number) => boolean) | null = null;
  rdtsc: (() => boolean) | null = null;
  onControlRegisterWrite(a: CrAccess): boolean {
    this.seen.push(`crw${a.cr}:${a.type}`);
    return this.crWrite ? this.crWrite(a) : false;
  }
  onControlRegisterRead(a: CrAccess): boolean {
    this.seen.push(`crr${a.cr}`);
    return this.crRead ? this.crRead(a) : false;
  }
  onInvlpg(lin: number): boolean {
    this.seen.push(`invlpg:${lin.toString(16)}`);
    return this.invlpg ? this.invlpg(lin) : false;
  }
  onRdtsc(): boolean {
    this.seen.push('rdtsc');
    return this.rdtsc ? this.rdtsc() : false;
  }
  unblocked = 0;
  onNmiUnblocked(): void {
    this.unblocked++;
  }
}

function boot(body: string, cpl = 0): { cpu: Cpu; p: HookPlatform; sym: (name: string) => number } {
  const src = `bits 32\norg ${ORG}\n${body}\n`;
  const ours = assemble(src, { file: 'guest.asm' });
  assert.deepStrictEqual(ours.errors, []);
  assert.ok(Buffer.from(ours.image).equals(Buffer.from(nasm(src))), 'our assembler agrees with nasm');
  const p = new HookPlatform();
  p.bus.load(ORG, ours.image);
  const cpu = new Cpu(p);
  enterFlatProtectedMode(cpu, ORG, 0x90000, cpl);
  const sym = (name: string) => ours.symbols.find((s) => s.name === name)!.address;
  return { cpu, p, sym };
}

/** Run with every exception taken by the exception hook, so a fault shows as an event. */
function runTakingFaults(cpu: Cpu, p: HookPlatform, n = 100): RunResult {
  p.intercept = () => true;
  return cpu.run(n);
}

describe('cpu: platform intercept hooks', () => {
  it('an intercepted mov to CR0 has no effect, is not retired and leaves EIP at it', () => {
    const { cpu, p, sym } = boot(`
      mov eax, 0x80000011
      mov ebx, 0
w0: mov cr0, eax
      hlt`);
    p.crWrite = () => true;
    const cr0 = cpu.cr0;
    const r = cpu.run(100);
    assert.strictEqual(r.stop, 'intercept');
    assert.strictEqual(r.retired, 2);
    assert.strictEqual(cpu.eip >>> 0, sym('w0'));
    assert.strictEqual(cpu.cr0, cr0);
    assert.deepStrictEqual(r.instruction, { kind: 'cr', access: { type: 'mov-to', cr: 0, gpr: 0, value: 0x80000011 | 0 }, eip: sym('w0'), length: 3 });
    assert.strictEqual(r.event, undefined);
    // the host completes it (as a VMM's handler does) and resumes after it
    assert.ok(cpu.loadControlRegister(0, 0x11));
    cpu.eip = (cpu.eip + r.instruction!.length) | 0;
    p.crWrite = null;
    assert.strictEqual(cpu.run(100).stop, 'hlt');
    assert.strictEqual(cpu.cr0 & 0x80000001, 1);
  });

  it('a hook that declines lets the instruction run natively', () => {
    const { cpu, p } = boot(`
      mov eax, cr4
      or eax, 0x10
      mov cr4, eax
      mov ebx, cr3
      hlt`);
    assert.strictEqual(cpu.run(100).stop, 'hlt');
    assert.strictEqual(cpu.cr4 & 0x10, 0x10);
    assert.deepStrictEqual(p.seen, ['crr4', 'crw4:mov-to', 'crr3']);
  });

  it('#UD (CR5) and #GP at CPL 3 come before the hook; reserved CR4 bits are checked after it', () => {
    // mov cr5, eax: 0F 22 E8, which NASM refuses to assemble
    const ud = boot(`db 0x0f, 0x22, 0xe8\nhlt`);
    ud.p.crWrite = () => true;
    const r1 = runTakingFaults(ud.cpu, ud.p);
    assert.strictEqual(r1.event?.vector, 6);
    assert.deepStrictEqual(ud.p.seen, []);

    const user = boot(`mov cr0, eax\nhlt`, 3);
    user.p.crWrite = () => true;
    const r2 = runTakingFaults(user.cpu, user.p);
    assert.strictEqual(r2.event?.vector, 13);
    assert.deepStrictEqual(user.p.seen, []);

    const reserved = boot(`mov eax, 0x8000\nmov cr4, eax\nhlt`);
    reserved.p.crWrite = (a) => a.value === 0x8000;
    const r3 = runTakingFaults(reserved.cpu, reserved.p);
    assert.strictEqual(r3.stop, 'intercept');
    assert.strictEqual(r3.instruction?.kind, 'cr');
    assert.strictEqual(r3.event, undefined, 'the intercept wins over the reserved-bit #GP');
    // the host's emulation finds the reserved bit: loadControlRegister refuses, nothing changed
    assert.strictEqual(reserved.cpu.loadControlRegister(4, 0x8000), false);
    assert.strictEqual(reserved.cpu.cr4, 0);
    reserved.p.crWrite = () => false;
    const r4 = runTakingFaults(reserved.cpu, reserved.p);
    assert.strictEqual(r4.event?.vector, 13);
    assert.strictEqual(r4.event?.errorCode, 0);
  });

  it('clts and lmsw (register and memory) report their access type and lmsw source', () => {
    const { cpu, p, sym } = boot(`
      clts
      mov ax, 0x0b
r:    lmsw ax
m:    lmsw [word_src]
      hlt
word_src: dw 0x0009`);
    const got: CrAccess[] = [];
    p.crWrite = (a) => (got.push(a), true);
    for (let i = 0; i < 2; i++) {
      const r = cpu.run(100);
      assert.strictEqual(r.stop, 'intercept');
      cpu.eip = (cpu.eip + r.instruction!.length) | 0;
    }
    assert.strictEqual(cpu.run(100).stop, 'intercept');
    assert.deepStrictEqual(got[0], { type: 'clts', cr: 0, gpr: -1, value: cpu.cr0 & ~8 });
    assert.deepStrictEqual({ ...got[1], value: 0 }, { type: 'lmsw', cr: 0, gpr: -1, value: 0, source: 0x0b, memory: false });
    assert.deepStrictEqual({ ...got[2], value: 0 }, { type: 'lmsw', cr: 0, gpr: -1, value: 0, source: 9, memory: true, linear: sym('word_src') });
    assert.strictEqual(got[1].value & 0xf, 0xb);
    assert.strictEqual(sym('m') - sym('r'), 3, 'lmsw ax is 3 bytes');
  });

  it('invlpg reports the linear address; rdtsc after the CR4.TSD check', () => {
    const { cpu, p, sym } = boot(`
      mov ebx, 0x5000
i:    invlpg [ebx + 0x123]
t:    rdtsc
      hlt`);
    p.invlpg = () => true;
    p.rdtsc = () => true;
    const r1 = cpu.run(100);
    assert.deepStrictEqual(r1.instruction, { kind: 'invlpg', linear: 0x5123, eip: sym('i'), length: 7 });
    cpu.eip = (cpu.eip + 7) | 0;
    const r2 = cpu.run(100);
    assert.deepStrictEqual(r2.instruction, { kind: 'rdtsc', eip: sym('t'), length: 2 });
    assert.strictEqual(cpu.r[0], 0, 'EAX untouched by the intercepted rdtsc');

    const user = boot(`rdtsc\nhlt`, 3);
    user.cpu.cr4 = 0x4; // TSD: rdtsc is privileged
    user.p.rdtsc = () => true;
    const r3 = runTakingFaults(user.cpu, user.p);
    assert.strictEqual(r3.event?.vector, 13);
    assert.deepStrictEqual(user.p.seen, []);
  });

  it('smsw/lmsw with a displacement decode their full length (the next instruction runs)', () => {
    const { cpu, p } = boot(`
      smsw [dst + 0x10]
      mov ecx, 7
      hlt
dst:  times 32 db 0`);
    void p;
    assert.strictEqual(cpu.run(100).stop, 'hlt');
    assert.strictEqual(cpu.r[1], 7);
  });

  it('nmi(): vector 2 through the IDT with IF clear, blocked until iret, which tells the platform', () => {
    const { cpu, p, sym } = boot(`
      lidt [idtr]
main: jmp main
handler:
      inc dword [count]
      iret
count: dd 0
idtr: dw 23
      dd idt
idt:  dq 0, 0
      dw handler - $$ + ${ORG & 0xffff}, 0x08, 0x8e00, ${ORG >>> 16}`);
    installFlatGdt(cpu, p.bus, 0x80000);
    cpu.run(10);
    assert.strictEqual(cpu.getEflags() & 0x200, 0);
    assert.ok(cpu.nmi());
    assert.strictEqual(cpu.eip >>> 0, sym('handler'));
    assert.strictEqual(cpu.nmi(), false, 'a second NMI is held back while the handler runs');
    cpu.run(2); // inc, iret
    assert.deepStrictEqual([cpu.nmiBlocked, p.unblocked, cpu.eip >>> 0], [false, 1, sym('main')]);
    assert.ok(cpu.nmi());
    assert.strictEqual(Buffer.from(p.bus.bytes.buffer, p.bus.bytes.byteOffset).readUInt32LE(sym('count')), 1);
  });

  it('the exception hook sees faults with EIP at the instruction and traps after it', () => {
    const { cpu, p, sym } = boot(`
u:    ud2
b:    int3
      hlt`);
    const events: CpuEvent[] = [];
    p.intercept = (ev) => (events.push(ev), true);
    const r = cpu.run(100);
    assert.strictEqual(r.stop, 'intercept');
    assert.deepStrictEqual([r.event?.vector, r.event?.kind, r.event?.eip, cpu.eip >>> 0], [6, 'fault', sym('u'), sym('u')]);
    cpu.eip = (cpu.eip + 2) | 0;
    const r2 = cpu.run(100);
    assert.deepStrictEqual([r2.event?.vector, r2.event?.kind, r2.event?.instructionLength, cpu.eip >>> 0], [3, 'soft', 1, sym('b') + 1]);
  });
});
