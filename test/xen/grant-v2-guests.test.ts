// Grant table v2 from guests: set_version/get_version/get_status_frames through the hypercall,
// an HVM guest placing its status frame with XENMEM_add_to_physmap, and two PV domUs sharing a
// page through v2 entries (grant.inc's v2 macros): full-page map, bounded sub-page copy, status
// words seen by the granter, -EBUSY while mapped.
import * as assert from 'assert';
import { GNTMAP, GNTST, GNTTABOP, GTF, LAYOUTS, XEN_ERRNO, readField, writeField } from '../../src/xen/abi';
import { grantTablesFor, grantTablesOf } from '../../src/xen/grant/xen-env';
import { call, mapOp, system } from './grant-helpers';
import { YIELDS, boot, guestSource, runToEnd } from './guest';
import { DESCRIPTORS, HYPERCALL_PAGE, bootHvm } from './hvm-guests';

describe('grant v2 hypercalls (PV)', function () {
  this.timeout(30_000);
  it('set_version writes back the version in force, refusals are errnos; get_version reads it', () => {
    const { hv, front, back } = system();
    const fv = front.vcpus[0];
    const mem = hv.memOf(fv);
    const at = front.startInfoGva + 4096;
    const setVersion = (v: number) => {
      mem.write32(at, v);
      return [call(fv, hv, GNTTABOP.set_version, at, 1), mem.read32(at)];
    };
    const getVersion = (vcpu = fv, dom = 0x7ff0) => {
      const s = 'gnttab_get_version';
      const b = new Uint8Array(LAYOUTS[s].size);
      writeField(b, 0, s, 'dom', dom);
      hv.memOf(vcpu).write(at + 64, b);
      const rc = call(vcpu, hv, GNTTABOP.get_version, at + 64, 1);
      return [rc, readField(hv.memOf(vcpu).read(at + 64, b.length), 0, s, 'version')];
    };
    assert.deepStrictEqual(getVersion(), [0, 1]);
    assert.deepStrictEqual(setVersion(3), [-XEN_ERRNO.EINVAL, 1]);
    assert.deepStrictEqual(setVersion(2), [0, 2]);
    assert.deepStrictEqual(getVersion(), [0, 2]);
    // another unprivileged domain may not ask
    assert.deepStrictEqual(getVersion(back.vcpus[0], front.id)[0], -XEN_ERRNO.EPERM);
    assert.deepStrictEqual(getVersion(fv, 99)[0], -XEN_ERRNO.ESRCH);
    // a grant in use blocks the switch back
    const g = grantTablesOf(hv);
    g.writeEntry(g.table(front.id)!, 8, { flags: GTF.permit_access, domid: back.id, frame: front.p2m.get(40) });
    const m = g.map(back.id, { hostAddr: 0, flags: GNTMAP.device_map, ref: 8, dom: front.id });
    assert.strictEqual(m.status, GNTST.okay, g.lastWhy);
    assert.deepStrictEqual(setVersion(1), [-XEN_ERRNO.EBUSY, 2]);
    assert.strictEqual(g.unmap(back.id, { hostAddr: 0, devBusAddr: m.devBusAddr, handle: m.handle }), GNTST.okay);
    assert.deepStrictEqual(setVersion(1), [0, 1]);
  });

  it('get_status_frames returns machine frames as uint64 for a PV guest; refusals are GNTST codes', () => {
    const { hv, front } = system();
    const fv = front.vcpus[0];
    const mem = hv.memOf(fv);
    const at = front.startInfoGva + 4096;
    const s = 'gnttab_get_status_frames';
    const getStatus = (nr: number, list = at + 64, count = 1) => {
      const b = new Uint8Array(LAYOUTS[s].size);
      writeField(b, 0, s, 'dom', 0x7ff0);
      writeField(b, 0, s, 'nr_frames', nr);
      writeField(b, 0, s, 'frame_list', list);
      mem.write(at, b);
      const rc = call(fv, hv, GNTTABOP.get_status_frames, at, count);
      return [rc, readField(mem.read(at, b.length), 0, s, 'status') << 16 >> 16];
    };
    assert.deepStrictEqual(getStatus(1), [0, GNTST.general_error]); // v1 has none
    mem.write32(at + 512, 2);
    assert.strictEqual(call(fv, hv, GNTTABOP.set_version, at + 512, 1), 0);
    mem.write(at + 64, new Uint8Array(16).fill(0xee));
    assert.deepStrictEqual(getStatus(1), [0, GNTST.okay]);
    const t = grantTablesOf(hv).table(front.id)!;
    const dv = new DataView(mem.read(at + 64, 16).buffer);
    assert.strictEqual(dv.getBigUint64(0, true), BigInt(t.statusFrames[0]));
    assert.strictEqual(dv.getUint32(8, true), 0xeeeeeeee, 'only nr_frames entries are written');
    assert.deepStrictEqual(getStatus(2), [0, GNTST.general_error]);
    assert.deepStrictEqual(getStatus(1, 0xf6000000), [0, GNTST.bad_virt_addr]);
    assert.deepStrictEqual(getStatus(1, at + 64, 2), [-XEN_ERRNO.EINVAL, GNTST.okay]);
  });
});

describe('grant swap_grant_ref hypercall', function () {
  this.timeout(30_000);
  it('swaps each pair of the batch, with a status per structure', () => {
    const { hv, front, back } = system();
    const fv = front.vcpus[0];
    const mem = hv.memOf(fv);
    const at = front.startInfoGva + 4096;
    const g = grantTablesOf(hv);
    call(fv, hv, GNTTABOP.query_size, at, 0); // makes the caller's table, as any first grant op does
    const t = g.table(front.id)!;
    g.writeEntry(t, 8, { flags: GTF.permit_access, domid: back.id, frame: front.p2m.get(40) });
    const s = 'gnttab_swap_grant_ref';
    const ops = new Uint8Array(2 * LAYOUTS[s].size);
    writeField(ops, 0, s, 'ref_a', 8);
    writeField(ops, 0, s, 'ref_b', 10);
    writeField(ops, LAYOUTS[s].size, s, 'ref_a', 8);
    writeField(ops, LAYOUTS[s].size, s, 'ref_b', 99999);
    mem.write(at, ops);
    assert.strictEqual(call(fv, hv, GNTTABOP.swap_grant_ref, at, 2), 0);
    const out = mem.read(at, ops.length);
    assert.deepStrictEqual([0, 1].map((i) => readField(out, i * LAYOUTS[s].size, s, 'status') << 16 >> 16), [GNTST.okay, GNTST.bad_gntref]);
    assert.strictEqual(g.readEntry(t, 10).frame, front.p2m.get(40));
    assert.strictEqual(g.readEntry(t, 8).flags, GTF.invalid);
  });
});

describe('grant v2 state: snapshots and the debugger\'s view', function () {
  this.timeout(30_000);
  it('a machine snapshot keeps the version, status frames and their words; the Xen scope shows v2 entries', () => {
    const { sys, hv, front, back } = system();
    const fv = front.vcpus[0];
    const at = front.startInfoGva + 4096;
    hv.memOf(fv).write32(at, 2);
    assert.strictEqual(call(fv, hv, GNTTABOP.set_version, at, 1), 0);
    const g = grantTablesOf(hv);
    const t = () => g.table(front.id)!;
    g.writeEntry(t(), 8, { flags: GTF.permit_access | GTF.sub_page, domid: back.id, frame: front.p2m.get(40), pageOff: 64, length: 32 });
    g.writeEntry(t(), 9, { flags: GTF.permit_access, domid: back.id, frame: front.p2m.get(41) });
    const m = g.map(back.id, { hostAddr: 0, flags: GNTMAP.device_map, ref: 9, dom: front.id });
    assert.strictEqual(m.status, GNTST.okay, g.lastWhy);
    const snap = sys.snapshot();
    const status = [...t().statusFrames];
    assert.strictEqual(g.unmap(back.id, { hostAddr: 0, devBusAddr: m.devBusAddr, handle: m.handle }), GNTST.okay);
    hv.memOf(fv).write32(at, 1);
    assert.strictEqual(call(fv, hv, GNTTABOP.set_version, at, 1), 0);
    assert.strictEqual(t().version, 1);
    sys.restore(snap);
    assert.strictEqual(t().version, 2);
    assert.deepStrictEqual(t().statusFrames, status);
    assert.strictEqual(g.status(t(), 9), GTF.reading | GTF.writing);
    assert.strictEqual(t().active.get(9)?.domid, back.id);
    const node = sys.xenState(front.id, 0).find((n) => n.name === 'grant table')!;
    assert.match(node.value, /^v2, 1 frame\(s\) \+ 1 status, 2 granted/);
    const granted = node.children!.find((n) => n.name === 'granted')!.children!;
    assert.match(granted[0].value, /^to d2 frame 0x[0-9a-f]+ bytes 64\+32 .*GTF_sub_page/);
    assert.match(granted[1].value, /GTF_reading.*GTF_writing|GTF_writing.*GTF_reading/);
  });
});

describe('grant v2 in an HVM guest', function () {
  this.timeout(30_000);
  it('places its status frame with XENMAPIDX_grant_table_status; Xen\'s status words show there; v1 takes it away', () => {
    const b = bootHvm([
      {
        name: 'hvm-gnt',
        body: `${DESCRIPTORS}
${HYPERCALL_PAGE}
    ; a v1 table has no status frames to place
    mov dword [xatp + xen_add_to_physmap.idx], XENMAPIDX_grant_table_status
    mov ebx, XENMEM_add_to_physmap
    mov ecx, xatp
    HYPERCALL memory_op
    mov [results + 0], eax
    mov ebx, GNTTABOP_set_version
    mov ecx, version
    mov edx, 1
    HYPERCALL grant_table_op
    mov [results + 4], eax
    mov ebx, XENMEM_add_to_physmap
    mov ecx, xatp
    HYPERCALL memory_op
    mov [results + 8], eax
    mov dword [xatp + xen_add_to_physmap.idx], 0
    mov dword [xatp + xen_add_to_physmap.gpfn], 0x801
    mov ebx, XENMEM_add_to_physmap
    mov ecx, xatp
    HYPERCALL memory_op
    mov [results + 12], eax
    mov ebx, GNTTABOP_get_status_frames
    mov ecx, getst
    mov edx, 1
    HYPERCALL grant_table_op
    movsx eax, word [getst + gnttab_get_status_frames.status]
    mov [results + 16], eax
    mov eax, [list]
    mov [results + 20], eax
    ; grant ref 8 (v2, full page) of our page 'shared' (gfn) to d2
    mov edi, 0x801000 + 8 * grant_entry_v2_size
    mov eax, shared
    shr eax, 12
    mov [edi + grant_entry_v2.full_page.frame], eax
    mov word [edi + grant_entry_v2.hdr + grant_entry_header.domid], 2
    mov word [edi + grant_entry_v2.hdr + grant_entry_header.flags], GTF_permit_access
    ; an HVM guest may not ask for a device mapping
    mov dword [mop + gnttab_map_grant_ref.flags], GNTMAP_device_map
    mov word [mop + gnttab_map_grant_ref.dom], 2
    mov ebx, GNTTABOP_map_grant_ref
    mov ecx, mop
    mov edx, 1
    HYPERCALL grant_table_op
    movsx eax, word [mop + gnttab_map_grant_ref.status]
    mov [results + 24], eax
    mov ebx, GNTTABOP_setup_table
    mov ecx, setup
    mov edx, 1
    HYPERCALL grant_table_op
    mov eax, [slist]
    mov [results + 28], eax
.idle:
    sti
    hlt
    jmp .idle`,
        tail: `
align 8
xatp:
    dw DOMID_SELF
    dw 0
    dd XENMAPSPACE_grant_table
    dd 0
    dd 0x800
version: dd 2
getst:
    dd 1
    dw DOMID_SELF
    dw 0
    dd list
align 8
list: dq 0
setup:
    dw DOMID_SELF
    dw 0
    dd 1
    dd 0
    dd slist
slist: dd 0
mop: times gnttab_map_grant_ref_size db 0
align 4096
shared: times 4096 db 0`,
      },
      { name: 'peer', type: 'pv', source: guestSource(`.spin:\n    mov ebx, SCHEDOP_yield\n    xor ecx, ecx\n    HYPERCALL sched_op\n    jmp .spin`) },
    ]);
    b.sys.run({ maxInstructions: 300_000, untilTimeNs: 1e8 });
    assert.strictEqual(b.result(1, 0) | 0, -XEN_ERRNO.EINVAL);
    assert.deepStrictEqual([1, 2, 3, 4].map((i) => b.result(1, i) | 0), [0, 0, 0, GNTST.okay]);
    assert.strictEqual(b.result(1, 5), 0x800, 'get_status_frames gives the gfn where the guest placed it');
    assert.strictEqual(b.result(1, 6) | 0, GNTST.general_error);
    assert.strictEqual(b.result(1, 7), 0x801, 'setup_table too names the frame by the gfn where it was placed');
    // d2 maps the grant: the HVM guest's gfn is translated, and the status word appears at gpa 0x800000 + 8 * 2
    const g = grantTablesFor(b.sys.hv, b.sys.hv.domains.get(2)!.vcpus[0]);
    const m = g.map(2, { hostAddr: 0, flags: GNTMAP.device_map, ref: 8, dom: 1 });
    assert.strictEqual(m.status, GNTST.okay, g.lastWhy);
    const d1 = b.sys.hv.domains.get(1)!;
    const shared = b.sys.image(1)!.symbolAddress('shared')!;
    assert.strictEqual(m.devBusAddr, d1.p2m.get(shared >>> 12) * 4096);
    const word = () => { const x = b.sys.readMemory(1, 'gpa', 0x800000 + 16, 2); return x[0]! | (x[1]! << 8); };
    assert.strictEqual(word(), GTF.reading | GTF.writing);
    assert.strictEqual(g.unmap(2, { hostAddr: 0, devBusAddr: m.devBusAddr, handle: m.handle }), GNTST.okay);
    assert.strictEqual(word(), 0);
    // back to v1: the status frame leaves the guest's physical map
    assert.deepStrictEqual(g.setVersion(1, 1), { version: 1 });
    assert.strictEqual(d1.p2m.get(0x800), -1);
  });
});


// d1: v2 table; ref 8 a full page for d2, ref 9 bytes 16..24 of the same page, read-only.
const granter = `
    call gnt_init_v2
    RESULT 0
    mov dword [page], 0x2e2e2e2e
    mov dword [page + 16], 'sub-'
    mov dword [page + 20], 'page'
    mov eax, 8
    mov ebx, 2
    mov ecx, page
    mov edx, GTF_permit_access
    call gnt_grant_v2
    mov eax, 9
    mov ebx, 2
    mov ecx, page
    mov edx, GTF_permit_access | GTF_readonly
    mov esi, 16 | (8 << 16)
    call gnt_grant_sub_v2
${YIELDS(1500, 'a')}
    movzx eax, word [gnt_status + 8 * 2]
    RESULT 1
    mov eax, 1
    call gnt_set_version
    RESULT 2
    mov eax, [page + 4]
    RESULT 3
${YIELDS(3000, 'b')}
    mov eax, 8
    call gnt_end_v2
    RESULT 4
    mov eax, 9
    call gnt_end_v2
    RESULT 5
    mov eax, 1
    call gnt_set_version
    RESULT 6
    call gnt_unmap_status
    mov eax, 1
    call gnt_set_version
    RESULT 7
    jmp done
%include "grant.inc"
align 4096
page: times 4096 db 0
done:
`;

const mapper = `
%include "xenio.inc"
    mov eax, [esi + start_info.mfn_list]
    mov [mfns], eax
${YIELDS(200, 'a')}
${mapOp(8, 'GNTMAP_host_map', '0')}    mov eax, [window]
    RESULT 1
    mov dword [window + 4], 0x7e91ed
    ; copy the sub-page grant into buf, then once starting before it
    mov eax, buf
    shr eax, 12
    mov edi, [mfns]
    mov eax, [edi + eax * 4]
    mov [cop + gnttab_copy.dest.u.gmfn], eax
    mov word [cop + gnttab_copy.dest.domid], DOMID_SELF
    mov dword [cop + gnttab_copy.source.u.ref], 9
    mov word [cop + gnttab_copy.source.domid], 1
    mov word [cop + gnttab_copy.source.offset], 16
    mov word [cop + gnttab_copy.len], 8
    mov word [cop + gnttab_copy.flags], GNTCOPY_source_gref
    mov ebx, GNTTABOP_copy
    mov ecx, cop
    mov edx, 1
    HYPERCALL grant_table_op
    movsx eax, word [cop + gnttab_copy.status]
    RESULT 2
    mov word [cop + gnttab_copy.source.offset], 12
    mov ebx, GNTTABOP_copy
    mov ecx, cop
    mov edx, 1
    HYPERCALL grant_table_op
    movsx eax, word [cop + gnttab_copy.status]
    RESULT 3
    mov eax, [buf + 4]
    RESULT 4
    mov eax, [mop + gnttab_map_grant_ref.handle]
    mov [handle], eax
${mapOp(9, 'GNTMAP_host_map | GNTMAP_readonly', '5', 'window2')}${YIELDS(2500, 'b')}
    mov eax, [handle]
    mov [uop + gnttab_unmap_grant_ref.handle], eax
    mov dword [uop + gnttab_unmap_grant_ref.host_addr], window
    mov ebx, GNTTABOP_unmap_grant_ref
    mov ecx, uop
    mov edx, 1
    HYPERCALL grant_table_op
    movsx eax, word [uop + gnttab_unmap_grant_ref.status]
    RESULT 6
    jmp done
align 8
mfns: dd 0
handle: dd 0
mop: times gnttab_map_grant_ref_size db 0
uop: times gnttab_unmap_grant_ref_size db 0
cop: times gnttab_copy_size db 0
align 4096
window: times 4096 db 0
window2: times 4096 db 0
buf: times 4096 db 0
done:
`;

describe('grant v2 between PV guests (grant.inc)', function () {
  this.timeout(60_000);
  it('d2 maps a v2 full-page grant and copies a bounded sub-page; d1 sees the status word and cannot switch while mapped', () => {
    const b = boot([
      { name: 'granter', body: granter },
      { name: 'mapper', body: mapper },
    ]);
    runToEnd(b, 20_000_000);
    assert.strictEqual(b.sys.domain(1).state, 'shutdown', b.console(1).join('\n'));
    assert.strictEqual(b.sys.domain(2).state, 'shutdown', b.console(2).join('\n'));
    const r = (d: number, n: number) => Array.from({ length: n }, (_, i) => b.result(d, i));
    // mapper: map okay, sees d1's word; sub-page copy okay, from before the sub-page refused; sub-page not mappable; unmap okay
    assert.deepStrictEqual(r(2, 7), [GNTST.okay, 0x2e2e2e2e, GNTST.okay, GNTST.general_error, 0x65676170 /* 'page' */, GNTST.general_error, GNTST.okay]);
    // granter: v2 set up; status word reading|writing while mapped; -EBUSY; saw the reply; both revoked
    // unused; back to v1 refused while its status frame is mapped, done once it is not
    assert.deepStrictEqual(r(1, 8), [0, GTF.reading | GTF.writing, -XEN_ERRNO.EBUSY, 0x7e91ed, 0, 0, -XEN_ERRNO.EBUSY, 0]);
    const rec = b.records.filter((x) => x.kind === 'hypercall-exit' && x.name === 'grant_table_op').map((x) => (x as { subop?: string }).subop);
    assert.ok(rec.includes('GNTTABOP_get_status_frames') && rec.includes('GNTTABOP_set_version'), rec.join(','));
  });
});

describe('grant.inc v2 entries as Xen reads them', function () {
  this.timeout(30_000);
  it('gnt_grant_v2, gnt_grant_sub_v2 and gnt_grant_trans_v2 write grant_entry_v2 in each shape', () => {
    const b = boot([
      {
        name: 'writer',
        body: `
    call gnt_init_v2
    RESULT 0
    mov eax, 10
    mov ebx, 2
    mov ecx, page
    mov edx, GTF_permit_access | GTF_readonly
    call gnt_grant_v2
    mov eax, 11
    mov ebx, 2
    mov ecx, page
    mov edx, GTF_permit_access
    mov esi, 100 | (28 << 16)
    call gnt_grant_sub_v2
    mov eax, 12
    mov ebx, 3
    mov ecx, 2
    mov edx, 40
    call gnt_grant_trans_v2
    jmp done
%include "grant.inc"
align 4096
page: times 4096 db 0
done:`,
      },
    ]);
    runToEnd(b, 5_000_000);
    assert.strictEqual(b.result(1, 0), 0);
    const g = grantTablesOf(b.sys.hv);
    const t = g.table(1)!;
    assert.strictEqual(t.version, 2);
    const page = b.sys.image(1)!.symbolAddress('page')! >>> 12;
    const frame = b.sys.hv.domains.get(1)!.p2m.get(page);
    const pick = (ref: number, keys: string[]) => Object.fromEntries(Object.entries(g.readEntry(t, ref)).filter(([k]) => keys.includes(k)));
    assert.deepStrictEqual(pick(10, ['flags', 'domid', 'frame', 'pageOff', 'length']), { flags: GTF.permit_access | GTF.readonly, domid: 2, frame, pageOff: 0, length: 0 });
    assert.deepStrictEqual(pick(11, ['flags', 'domid', 'frame', 'pageOff', 'length']), { flags: GTF.permit_access | GTF.sub_page, domid: 2, frame, pageOff: 100, length: 28 });
    assert.deepStrictEqual(pick(12, ['flags', 'domid', 'transDomid', 'transGref']), { flags: GTF.transitive, domid: 3, transDomid: 2, transGref: 40 });
  });
});
