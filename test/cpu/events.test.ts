/**
 * Event delivery through the IDT, the interrupt line, hlt, triple fault, the platform hooks
 * (ports, MSRs, CPUID, vmcall) and a few instructions the QEMU differential test cannot reach
 * (real mode, 16-bit addressing, cmpxchg8b, lock rules, #PF through the paging stub).
 */
import * as assert from 'assert';
import { Cpu, CS, SS } from '../../src/cpu/cpu';
import { BarePlatform, enterFlatProtectedMode } from '../../src/cpu/bare';
import { registerView, linearToPhysical } from '../../src/cpu/inspect';
import { setSegment } from '../../src/cpu/segments';
import { CpuEvent } from '../../src/cpu/platform';
import { nasm } from './nasm';

const CODE = 0x100000;
const GDT = 0x1000;
const IDT = 0x2000;
const TSS = 0x3000;

/** Code at CODE with handler `k` at CODE + 0x100*(k+1) (each section padded to 256 bytes). */
function image(main: string, ...handlers: string[]): string {
  const parts = [`bits 32`, `org ${CODE}`, main];
  handlers.forEach((h, k) => parts.push(`times ${0x100 * (k + 1)}-($-$$) db 0x90`, h));
  return parts.join('\n') + '\n';
}
const handlerAt = (k: number) => CODE + 0x100 * (k + 1);

function setup(src: string, cpl = 0, events?: CpuEvent[]): { cpu: Cpu; p: BarePlatform; dv: DataView } {
  const p = new BarePlatform(4 << 20);
  if (events) p.intercept = (ev) => (events.push(ev), true);
  const cpu = new Cpu(p);
  p.bus.load(CODE, nasm(src));
  const dv = new DataView(p.bus.bytes.buffer);
  const seg = (i: number, access: number) => {
    dv.setUint32(GDT + i * 8, 0x0000ffff, true);
    dv.setUint32(GDT + i * 8 + 4, 0x00cf0000 | (access << 8), true);
  };
  seg(1, 0x9b);
  seg(2, 0x93);
  seg(3, 0xfb);
  seg(4, 0xf3);
  // 0x28: 32-bit available TSS at TSS, limit 0x67
  dv.setUint32(GDT + 5 * 8, (TSS << 16) | 0x67, true);
  dv.setUint32(GDT + 5 * 8 + 4, 0x00008900 | ((TSS >>> 16) & 0xff), true);
  dv.setUint32(TSS + 4, 0x90000, true); // esp0
  dv.setUint32(TSS + 8, 0x10, true); // ss0
  dv.setUint16(TSS + 0x66, 0x68, true); // I/O bitmap base beyond the limit: no bitmap
  cpu.gdtrBase = GDT;
  cpu.gdtrLimit = 6 * 8 - 1;
  cpu.idtrBase = IDT;
  cpu.idtrLimit = 256 * 8 - 1;
  Object.assign(cpu.tr, { sel: 0x28, base: TSS, limit: 0x67, attr: 0x8b });
  enterFlatProtectedMode(cpu, CODE, cpl === 0 ? 0x90000 : 0x80000, cpl);
  return { cpu, p, dv };
}

/** Interrupt (type 0xE) or trap (0xF) gate. */
function gate(dv: DataView, vector: number, offset: number, dpl = 0, type = 0xe): void {
  dv.setUint32(IDT + vector * 8, (0x08 << 16) | (offset & 0xffff), true);
  dv.setUint32(IDT + vector * 8 + 4, (offset & 0xffff0000) | 0x8000 | (dpl << 13) | (type << 8), true);
}

describe('cpu events and platform hooks', () => {
  it('int n through an interrupt gate at the same privilege, iret back', () => {
    const { cpu, dv } = setup(image('mov eax, 5\nint 0x30\nadd eax, 100\nhlt', 'add eax, 10\npushfd\npop ebx\niretd'));
    gate(dv, 0x30, handlerAt(0));
    assert.strictEqual(cpu.run(100).stop, 'hlt');
    assert.strictEqual(cpu.r[0], 115);
    assert.strictEqual(cpu.r[4], 0x90000);
    assert.strictEqual(cpu.r[3] & 0x200, 0, 'an interrupt gate clears IF');
  });

  it('ring 3 → ring 0 through a gate switches to the TSS stack and iret returns to ring 3', () => {
    const { cpu, dv } = setup(
      image('mov eax, 1\nint 0x80\nmov ecx, esp\nmov edx, cs\nhlt', 'mov ebx, [esp+4]\nmov esi, [esp+12]\nmov edi, [esp+16]\nmov ebp, cs\niretd'),
      3,
    );
    gate(dv, 0x80, handlerAt(0), 3);
    // The final hlt at CPL 3 faults (#GP) with no handler; what matters is the state before it.
    cpu.run(100);
    assert.strictEqual(cpu.r[3], 0x1b, 'CS pushed');
    assert.strictEqual(cpu.r[6], 0x80000, 'old ESP pushed');
    assert.strictEqual(cpu.r[7], 0x23, 'old SS pushed');
    assert.strictEqual(cpu.r[5], 0x08, 'handler ran at ring 0');
    assert.strictEqual(cpu.r[1], 0x80000, 'back on the ring-3 stack');
    assert.strictEqual(cpu.r[2], 0x1b, 'back in ring 3');
  });

  it('the interrupt line is taken after the instruction following sti', () => {
    const { cpu, dv } = setup(image('sti\nmov eax, 1\nmov eax, 2\ncli\nhlt', 'mov ebx, eax\niretd'));
    gate(dv, 0x40, handlerAt(0));
    cpu.setIrq(0x40);
    assert.strictEqual(cpu.run(100).stop, 'hlt');
    assert.strictEqual(cpu.r[3], 1, 'delivered after mov eax, 1 (the sti shadow)');
    assert.strictEqual(cpu.r[0], 2);
  });

  it('hlt with IF=1 waits; the interrupt wakes it', () => {
    const { cpu, dv } = setup(image('sti\nhlt\nmov ecx, 7\ncli\nhlt', 'mov ebx, 9\niretd'));
    gate(dv, 0x41, handlerAt(0));
    assert.strictEqual(cpu.run(100).stop, 'hlt');
    assert.strictEqual(cpu.run(100).stop, 'hlt', 'still halted with nothing pending');
    cpu.setIrq(0x41);
    assert.strictEqual(cpu.run(100).stop, 'hlt');
    assert.strictEqual(cpu.r[3], 9);
    assert.strictEqual(cpu.r[1], 7);
  });

  it('an exception with no usable IDT escalates to a triple fault', () => {
    const shutdowns: string[] = [];
    const { cpu, p } = setup(image('ud2'));
    p.shutdown = (why: string) => shutdowns.push(why);
    cpu.idtrLimit = 0;
    assert.strictEqual(cpu.run(100).stop, 'triple-fault');
    assert.strictEqual(shutdowns.length, 1);
    assert.ok(cpu.isShutdown);
  });

  it('the platform intercept sees vector, kind, error code and instruction length', () => {
    const events: CpuEvent[] = [];
    const { cpu } = setup(image('int 0x82\nmov eax, [0x7fffffff]\nhlt'), 3, events);
    let r = cpu.run(10);
    assert.strictEqual(r.stop, 'intercept');
    assert.deepStrictEqual({ ...events[0] }, { vector: 0x82, kind: 'soft', errorCode: undefined, instructionLength: 2, eip: CODE });
    assert.strictEqual(cpu.eip, CODE + 2, 'soft interrupts leave EIP after the instruction');
    r = cpu.run(10);
    assert.strictEqual(r.stop, 'intercept');
    assert.strictEqual(events[1].vector, 13, 'hlt at CPL 3 is #GP');
    assert.strictEqual(events[1].kind, 'fault');
    assert.strictEqual(events[1].errorCode, 0);
  });

  it('an event taken by the last instruction of the budget stops the run as an intercept', () => {
    const events: CpuEvent[] = [];
    const { cpu } = setup(image('nop\nint 0x82\nnop\nhlt'), 3, events);
    const r = cpu.run(2);
    assert.strictEqual(r.retired, 2);
    assert.strictEqual(r.stop, 'intercept', 'not budget: the next run would forget the event');
    assert.strictEqual(r.event?.vector, 0x82);
    assert.strictEqual(cpu.eip, CODE + 3);
  });

  it('ports, MSRs, CPUID and vmcall go to the platform', () => {
    const { cpu, p } = setup(
      image(`mov dx, 0x80
        mov al, 0x5a
        out dx, al
        in eax, 0x71
        mov esi, eax
        mov ecx, 0x174
        mov eax, 0x10
        xor edx, edx
        wrmsr
        xor eax, eax
        rdmsr
        mov edi, eax
        xor eax, eax
        cpuid
        mov ebp, ebx
        vmcall
        mov ecx, 0x1234
        rdmsr
        hlt`),
    );
    const seen: string[] = [];
    p.ioWrite = (port, size, v) => void seen.push(`out ${port.toString(16)}/${size}=${v.toString(16)}`);
    p.ioRead = (port, size) => (seen.push(`in ${port.toString(16)}/${size}`), 0xcafe0000 + port);
    p.vmcall = (kind: 'vmcall' | 'vmmcall') => (seen.push(kind), 'handled' as const);
    const events: CpuEvent[] = [];
    p.intercept = (ev) => (events.push(ev), true);
    const r = cpu.run(100);
    assert.deepStrictEqual(seen, ['out 80/1=5a', 'in 71/4', 'vmcall']);
    assert.strictEqual(cpu.r[6] >>> 0, 0xcafe0071);
    assert.strictEqual(cpu.r[7], 0x10, 'SYSENTER_CS round-trips');
    assert.strictEqual(cpu.r[5], 0x756e6547, 'CPUID from the platform ("Genu")');
    assert.strictEqual(r.stop, 'intercept');
    assert.strictEqual(events[0].vector, 13, 'an MSR the platform refuses is #GP(0)');
  });

  it('cmpxchg8b, and lock only on read-modify-write memory forms', () => {
    const events: CpuEvent[] = [];
    const { cpu } = setup(
      image(`mov dword [0x200000], 1
        mov dword [0x200004], 2
        mov eax, 1
        mov edx, 2
        mov ebx, 0x33
        mov ecx, 0x44
        lock cmpxchg8b [0x200000]
        setz [0x200010]
        cmpxchg8b [0x200000]
        setz [0x200011]
        lock add eax, ebx`),
      0,
      events,
    );
    const r = cpu.run(100);
    assert.strictEqual(r.stop, 'intercept');
    assert.strictEqual(events[0].vector, 6, 'lock with a register destination is #UD');
    const m = cpu.bus.frame(0x200, false) as Uint8Array;
    assert.deepStrictEqual([...m.subarray(0, 8)], [0x33, 0, 0, 0, 0x44, 0, 0, 0]);
    assert.deepStrictEqual([m[0x10], m[0x11]], [1, 0]);
    assert.strictEqual(cpu.r[0], 0x33, 'failed compare loads EDX:EAX');
    assert.strictEqual(cpu.r[2], 0x44);
  });

  it('real mode: segment arithmetic, 16-bit addressing and the IVT', () => {
    const p = new BarePlatform(1 << 20);
    const cpu = new Cpu(p);
    const code = nasm(`bits 16
      org 0x7c00
      mov ax, 0x1000
      mov ds, ax
      mov bx, 0x10
      mov si, 4
      mov word [bx+si+2], 0xbeef   ; 0x10016
      mov ax, [0x16]
      mov cx, ax
      int 0x21
      mov dx, 0x55
      a32 mov eax, [dword 0x16]
      hlt
    handler:
      mov di, 0x77
      iret`);
    p.bus.load(0x7c00, code);
    const dv = new DataView(p.bus.bytes.buffer);
    const handler = 0x7c00 + code.length - 4; // `mov di, imm16` (3 bytes) + iret (1)
    dv.setUint16(0x21 * 4, handler, true);
    dv.setUint16(0x21 * 4 + 2, 0, true);
    setSegment(cpu, CS, 0, 0, 0xffff, 0x9b);
    setSegment(cpu, SS, 0, 0, 0xffff, 0x93);
    cpu.eip = 0x7c00;
    cpu.r[4] = 0x7000;
    assert.strictEqual(cpu.run(100).stop, 'hlt');
    assert.strictEqual(cpu.r[1] & 0xffff, 0xbeef);
    assert.strictEqual(dv.getUint16(0x10016, true), 0xbeef);
    assert.strictEqual(cpu.r[7] & 0xffff, 0x77, 'int 0x21 went through the IVT');
    assert.strictEqual(cpu.r[2] & 0xffff, 0x55, 'and iret came back');
    assert.strictEqual(cpu.r[0] & 0xffff, 0xbeef);
  });

  it('paging: a not-present page is #PF with CR2 and error code; present pages translate', () => {
    const events: CpuEvent[] = [];
    const { cpu, dv } = setup(image('mov eax, [0x00400123]\nmov dword [0x00800010], 5\nhlt'), 0, events);
    const PD = 0x10000;
    const PT = 0x11000;
    dv.setUint32(PD + 0, PT | 3, true); // 0-4 MiB via PT
    for (let i = 0; i < 1024; i++) dv.setUint32(PT + i * 4, (i << 12) | 3, true);
    dv.setUint32(PD + 4, 0x12000 | 3, true); // 4-8 MiB: empty table
    cpu.cr3 = PD;
    cpu.cr0 |= 0x80000000;
    cpu.flushTlb();
    assert.strictEqual(linearToPhysical(cpu, CODE + 5), CODE + 5);
    assert.strictEqual(linearToPhysical(cpu, 0x00400123), undefined);
    const r = cpu.run(10);
    assert.strictEqual(r.stop, 'intercept');
    assert.strictEqual(events[0].vector, 14);
    assert.strictEqual(events[0].errorCode, 0, 'read, supervisor, not present');
    assert.strictEqual(events[0].cr2, 0x00400123);
    assert.strictEqual(dv.getUint32(PT + (CODE >>> 12) * 4, true) & 0x20, 0x20, 'accessed bit set on the code page');
  });

  it('registerView names registers and decodes flags', () => {
    const { cpu } = setup(image('mov eax, 0x11\nstc\nhlt'));
    cpu.run(10);
    const v = registerView(cpu.snapshot());
    assert.strictEqual(v.gpr.eax, 0x11);
    assert.ok(v.flags.includes('CF'));
    assert.strictEqual(v.segments[1].name, 'cs');
    assert.strictEqual(v.segments[1].type, 'code');
    assert.ok(v.cr.cr0Bits.includes('PE'));
    assert.strictEqual(v.cpl, 0);
  });
});

describe('cpu event injection', () => {
  it('inject() vectors through the IDT without asking the platform', () => {
    const events: CpuEvent[] = [];
    const { cpu, dv } = setup(image('mov eax, 1\nhlt', 'pop ebx\nmov ecx, 0x42\niretd'), 0, events);
    gate(dv, 14, handlerAt(0));
    cpu.inject(14, 'fault', 6);
    assert.strictEqual(cpu.run(100).stop, 'hlt');
    assert.deepStrictEqual(events, []);
    assert.strictEqual(cpu.r[3], 6, 'error code pushed');
    assert.strictEqual(cpu.r[1], 0x42);
  });
});

describe('cpu segment access checks', () => {
  it('writing through CS (a code segment) is #GP(0); reading it is allowed', () => {
    const events: CpuEvent[] = [];
    const { cpu } = setup(image('mov eax, [cs:0x100000]\nmov [cs:0x200000], eax\nhlt'), 0, events);
    const r = cpu.run(10);
    assert.strictEqual(r.stop, 'intercept');
    assert.strictEqual(events[0].vector, 13);
    assert.strictEqual(events[0].errorCode, 0);
    assert.strictEqual(cpu.eip, CODE + 6, 'the read (2E A1 imm32) succeeded, the write faulted');
  });
});

describe('cpu interrupt acknowledge and stop requests', () => {
  it('the platform picks the vector at acknowledge time; requestStop ends the run', () => {
    const { cpu, p, dv } = setup(image('sti\nl: inc ecx\nout 0x80, al\njmp l', 'mov ebx, 0x50\niretd', 'mov ebx, 0x51\niretd'));
    gate(dv, 0x50, handlerAt(0));
    gate(dv, 0x51, handlerAt(1));
    const acks: number[] = [];
    (p as BarePlatform & { interruptAcknowledge: () => number | null }).interruptAcknowledge = () => (acks.push(0x51), 0x51);
    p.ioWrite = () => cpu.requestStop();
    cpu.setIrq(0x50);
    const r = cpu.run(1000);
    assert.strictEqual(r.stop, 'stop-requested');
    assert.deepStrictEqual(acks, [0x51]);
    assert.strictEqual(cpu.r[3], 0x51, 'the acknowledged vector was delivered');
    assert.strictEqual(cpu.eip, CODE + 4, 'stopped right after the out');
  });
});
