// A domU trying to break out: each attempt is refused with Xen's errno or contained to itself,
// and the other domain runs to completion untouched.
import * as assert from 'assert';
import { boot, runToEnd } from './guest';
import { XEN_ERRNO } from '../../src/xen/abi';

const E = (name: keyof typeof XEN_ERRNO) => -XEN_ERRNO[name];

const VICTIM = `
    mov ebx, CONSOLEIO_write
    mov ecx, 3
    mov edx, ok
    HYPERCALL console_io
    jmp out
ok: db "ok", 10
out:`;

describe('xen: malicious guests are refused or contained', () => {
  it('mapping a frame it does not own, a writable page-table mapping, Xen slots, domctl, unbound and foreign ports', () => {
    const b = boot([
      { name: 'victim', body: VICTIM },
      {
        name: 'attacker',
        body: `
    ; 1: map machine frame 1 (Xen's M2P) writable at 0x3ff000
    mov ebx, 0x3ff000
    mov ecx, 0x1003
    xor edx, edx
    xor esi, esi
    HYPERCALL update_va_mapping
    RESULT 0
    ; 2: make its own L3 (start_info.pt_base) writable: PTE for pt_base's page with RW
    mov edi, [esi_save]
    ; 3: domctl
    mov ebx, scratch
    HYPERCALL domctl
    RESULT 2
    ; 4: send on an unbound/unallocated port
    mov dword [scratch], 77
    mov ebx, EVTCHNOP_send
    mov ecx, scratch
    HYPERCALL event_channel_op
    RESULT 3
    ; 5: bind the victim's port 1 (offered to dom0, not us)
    mov dword [scratch], 1      ; remote_dom = 1
    mov dword [scratch+4], 1    ; remote_port = 1
    mov ebx, EVTCHNOP_bind_interdomain
    mov ecx, scratch
    HYPERCALL event_channel_op
    RESULT 4
    ; 6: a pointer into Xen's area
    mov ebx, XENVER_extraversion
    mov ecx, 0xF6000000
    HYPERCALL xen_version
    RESULT 5
    ; 7: mmu_update on machine frame 1 (not ours)
    mov dword [scratch], 0x1000
    mov dword [scratch+4], 0
    mov dword [scratch+8], 0
    mov dword [scratch+12], 0
    mov ebx, scratch
    mov ecx, 1
    xor edx, edx
    mov esi, DOMID_SELF
    HYPERCALL mmu_update
    RESULT 6
    ; 8: write its own page table directly (pt_base is mapped read-only): #PF, no handler -> crash
    mov eax, [results + 63*4]
    mov dword [eax], 0
    RESULT 7
esi_save: dd 0`,
      },
    ]);
    // remember start_info.pt_base in results[63] before running: patch the guest's first instruction? simpler: read it now
    const si = b.sys.domain(2).startInfoGva;
    const pt = b.sys.readMemory(2, 'gva', si + 60, 4) as number[];
    b.sys.writeMemory(2, 'gva', b.sys.image(2)!.symbolAddress('results')! + 63 * 4, Uint8Array.from(pt));
    runToEnd(b);
    assert.strictEqual(b.result(2, 0), E('EINVAL'), 'foreign frame mapping');
    assert.strictEqual(b.result(2, 2), E('EPERM'), 'domctl');
    assert.strictEqual(b.result(2, 3), E('EINVAL'), 'send on a port that does not exist');
    assert.ok([E('EINVAL'), E('ESRCH')].includes(b.result(2, 4)), 'binding a port not offered to it (or of a domain gone)');
    assert.strictEqual(b.result(2, 5), E('EFAULT'), 'pointer into Xen area');
    assert.strictEqual(b.result(2, 6), E('EINVAL'), 'mmu_update of a frame it does not own');
    assert.strictEqual(b.result(2, 7), 0xdeadbeef | 0, 'never got past the direct page-table write');
    assert.strictEqual(b.sys.domain(2).state, 'crashed');
    assert.strictEqual(b.sys.domain(1).shutdownReason, 'poweroff');
    assert.deepStrictEqual(b.console(1), ['ok']);
    // the M2P entry of frame 1 and the victim's memory are unchanged
    assert.ok(b.records.some((r) => r.kind === 'fault' && r.domid === 2 && r.vector === 14 && r.outcome === 'crash'));
  });

  it('a writable mapping of a page-table page is refused (-EINVAL)', () => {
    const b = boot([{ name: 'ptw', body: `
    ; pt_base's machine frame: walk start_info.mfn_list[pfn of pt_base]
    mov eax, [esi + 60]          ; pt_base (virtual = pseudo-physical here)
    shr eax, 12
    mov edx, [esi + 68]          ; mfn_list
    mov eax, [edx + eax*4]
    shl eax, 12
    or eax, 3                    ; present + writable
    mov ebx, 0x3ff000
    mov ecx, eax
    xor edx, edx
    xor esi, esi
    HYPERCALL update_va_mapping
    RESULT 0` }]);
    runToEnd(b);
    assert.strictEqual(b.result(1, 0), E('EINVAL'));
    assert.strictEqual(b.sys.domain(1).shutdownReason, 'poweroff');
  });

  it('a guest spinning with events masked is contained: the other domain still finishes', function () {
    this.timeout(60000);
    const b = boot([{ name: 'spin', body: 'spin: jmp spin' }, { name: 'victim', body: VICTIM }], { pcpus: 1 });
    b.sys.run({ maxInstructions: 100_000_000, untilTimeNs: 40e6 });
    assert.strictEqual(b.sys.domain(2).shutdownReason, 'poweroff');
    assert.deepStrictEqual(b.console(2), ['ok']);
    assert.strictEqual(b.sys.domain(1).state, 'running');
  });
});

describe('xen: malicious guests against dom0', () => {
  it("mapping one of dom0's frames is refused; a send on an unbound port goes nowhere", () => {
    // dom0's frames start right after Xen's: the guest tries the first 64 frames above Xen's
    const b = boot([{ name: 'thief', body: `
    mov edi, [target_mfn]
    shl edi, 12
    or edi, 3
    mov ebx, 0x3ff000
    mov ecx, edi
    xor edx, edx
    xor esi, esi
    HYPERCALL update_va_mapping
    RESULT 0
    mov word [scratch], DOMID_SELF
    mov word [scratch + 2], 0
    mov ebx, EVTCHNOP_alloc_unbound
    mov ecx, scratch
    HYPERCALL event_channel_op
    mov eax, [scratch + 4]
    mov [scratch + 16], eax
    mov ebx, EVTCHNOP_send
    mov ecx, scratch + 16
    HYPERCALL event_channel_op
    RESULT 1
    jmp done
target_mfn: dd 0
done:` }], { dom0: true });
    // pick a frame dom0 owns and hand its number to the guest before it runs
    const mm = b.sys.hv.mm;
    // pfn 0 of dom0: a page its kernel never touches, so any change would be the thief's
    const dom0Frame = b.sys.domain(0).p2m.get(0);
    assert.strictEqual(mm.info[dom0Frame].owner, 0);
    const before = Buffer.from(b.sys.readMemory(0, 'ma', dom0Frame * 4096, 4096) as number[]);
    // the thief domain is created by the toolstack: run until it exists, then patch target_mfn
    const s = b.sys.run({ maxInstructions: 1e7, stopOn: (r) => r.kind === 'domain' && r.event === 'unpaused' && r.domid === 1 });
    assert.strictEqual(s.reason, 'trace');
    const t = b.sys.image(1)!.symbolAddress('target_mfn')!;
    b.sys.writeMemory(1, 'gva', t, Uint8Array.of(dom0Frame & 0xff, (dom0Frame >> 8) & 0xff, dom0Frame >> 16, 0));
    b.sys.run({ maxInstructions: 1e7 });
    assert.strictEqual(b.result(1, 0), E('EINVAL'));
    assert.strictEqual(b.result(1, 1), 0, 'Xen accepts and drops a send on an unbound port');
    assert.deepStrictEqual(Buffer.from(b.sys.readMemory(0, 'ma', dom0Frame * 4096, 4096) as number[]), before);
    assert.deepStrictEqual(b.sys.domain(0).consoleLines, ['dom0: ready, serving the toolstack']);
  });
});
