// Trap details: #PF's CR2 in vcpu_info.arch.cr2 (and through the emulated mov from CR2),
// EVTCHNOP_unmask raising a pending port, update_descriptor, and a flat-binary kernel.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { boot, runToEnd, guestSource, MAP_SHARED } from './guest';
import { loadDomainConfigText } from '../../src/xen/config';
import { XenSystem } from '../../src/xen/system';
import { XEN_ERRNO } from '../../src/xen/abi';


describe('xen: trap and event details', () => {
  it('#PF: error code on the frame, CR2 in vcpu_info.arch.cr2 and from mov eax, cr2', () => {
    const b = boot([{ name: 'pf', body: `${MAP_SHARED}
    mov ebx, traps
    HYPERCALL set_trap_table
    mov dword [0x3123456], 1      ; unmapped: write fault
    jmp done
pf_handler:                        ; frame: error code, eip, cs, eflags
    mov eax, [esp]
    RESULT 0
    mov eax, [0x3ff000 + 8]        ; vcpu_info[0].arch.cr2
    RESULT 1
    mov eax, cr2                   ; emulated by Xen for the guest kernel
    RESULT 2
    jmp done
traps:
    db 14, 0
    dw 0xe019
    dd pf_handler
    times 8 db 0
done:` }]);
    runToEnd(b);
    assert.strictEqual(b.result(1, 0), 2, 'write to a not-present page from ring 1');
    assert.strictEqual(b.result(1, 1) >>> 0, 0x3123456);
    assert.strictEqual(b.result(1, 2) >>> 0, 0x3123456);
  });

  it('EVTCHNOP_unmask of a pending port raises the upcall', () => {
    const b = boot([{ name: 'unmask', body: `${MAP_SHARED}
    mov dword [scratch], 0
    mov ebx, EVTCHNOP_bind_ipi
    mov ecx, scratch
    HYPERCALL event_channel_op
    mov eax, [scratch + 4]
    mov [port], eax
    bts dword [0x3ff000 + 2176], eax       ; mask the port (evtchn_mask)
    mov ebx, EVTCHNOP_send
    mov ecx, port
    HYPERCALL event_channel_op
    movzx eax, byte [0x3ff000]             ; upcall_pending stays 0 while masked
    RESULT 0
    mov eax, [port]
    btr dword [0x3ff000 + 2176], eax
    mov ebx, EVTCHNOP_unmask
    mov ecx, port
    HYPERCALL event_channel_op
    RESULT 1
    movzx eax, byte [0x3ff000]
    RESULT 2
    jmp done
port: dd 0
done:` }]);
    runToEnd(b);
    assert.strictEqual(b.result(1, 0), 0);
    assert.strictEqual(b.result(1, 1), 0);
    assert.strictEqual(b.result(1, 2), 1);
  });

  it('update_descriptor writes a ring-3 descriptor and refuses a ring-0 one', () => {
    const b = boot([{ name: 'desc', body: `
    mov eax, gdt_page
    shr eax, 12
    mov edx, [esi + 68]
    mov edi, [edx + eax * 4]
    shl edi, 12
    mov ebx, edi
    xor ecx, ecx
    mov edx, 0x0000ffff
    mov esi, 0x00cff300            ; flat ring-3 data
    HYPERCALL update_descriptor
    RESULT 0
    lea ebx, [edi + 8]
    xor ecx, ecx
    mov edx, 0x0000ffff
    mov esi, 0x00cf9300            ; DPL 0: Xen's alone
    HYPERCALL update_descriptor
    RESULT 1
    mov eax, [gdt_page + 4]
    RESULT 2
    jmp done
align 4096
gdt_page: times 4096 db 0
done:` }]);
    runToEnd(b);
    assert.strictEqual(b.result(1, 0), 0);
    assert.strictEqual(b.result(1, 1), -XEN_ERRNO.EINVAL);
    assert.strictEqual(b.result(1, 2) >>> 0, 0x00cff300);
  });

  it('a flat binary kernel (nasm -f bin) is placed at 0x100000 and entered at its first byte', function () {
    let nasm = true;
    try {
      execFileSync('nasm', ['-v']);
    } catch {
      nasm = false;
    }
    if (!nasm) this.skip();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xensim-flat-'));
    const src = path.join(dir, 'k.asm');
    fs.writeFileSync(src, guestSource(`
    mov ebx, CONSOLEIO_write
    mov ecx, 5
    mov edx, msg
    mov eax, __HYPERVISOR_console_io
    int 0x82
    mov ebx, SCHEDOP_shutdown
    mov ecx, reason_poweroff
    mov eax, __HYPERVISOR_sched_op
    int 0x82
msg: db "flat", 10`));
    execFileSync('nasm', ['-f', 'bin', '-I', path.resolve(__dirname, '../../guest/include') + '/', '-o', path.join(dir, 'k.bin'), src]);
    const cfg = loadDomainConfigText('name = "flat"\ntype = "pv"\nkernel = "k.bin"\nmemory = 16\n', path.join(dir, 'flat.cfg')).config!;
    const sys = new XenSystem([cfg], { dom0: false });
    sys.run({ maxInstructions: 1e6 });
    assert.deepStrictEqual(sys.domain(1).consoleLines, ['flat']);
    assert.strictEqual(sys.domain(1).shutdownReason, 'poweroff');
  });
});

describe('xen: HYPERVISOR_iret', () => {
  it('an iret frame pointing at a ring-0 or null code selector crashes the domain', () => {
    const b = boot([{ name: 'badiret', body: `
    push 0x202
    push 0x0003                 ; null code selector with RPL 3
    push done
    push 0
    jmp hypercall_page + __HYPERVISOR_iret * 32
done:` }]);
    runToEnd(b);
    assert.strictEqual(b.sys.domain(1).state, 'crashed');
    assert.match(b.console(1).join('\n'), /bad HYPERVISOR_iret frame/);
  });
});

describe('xen: ring compression of port I/O', () => {
  const body = `
    mov al, 'A'
    out 0xe9, al
    mov dx, 0xe9
    mov al, 10
    out dx, al
    in al, 0x60
    movzx eax, al
    RESULT 0`;
  it('a domain without I/O ports gets #GP (here: no handler, so it crashes)', () => {
    const b = boot([{ name: 'noio', body }]);
    runToEnd(b);
    assert.strictEqual(b.sys.domain(1).state, 'crashed');
    assert.match(b.console(1).join('\n'), /unhandled #GP/);
  });
  it('a domain given the ports (dom0 has all): port 0xE9 is its debug console, reads see an empty bus', () => {
    const b = boot([{ name: 'io', body }]);
    b.sys.domain(1).ioports = [0x60, 0xe9];
    assert.strictEqual(b.sys.hv.domains.size, 1);
    runToEnd(b);
    assert.deepStrictEqual(b.console(1), ['A']);
    assert.strictEqual(b.result(1, 0), 0xff);
    assert.strictEqual(b.sys.domain(1).shutdownReason, 'poweroff');
  });
});
