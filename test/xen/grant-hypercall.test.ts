// grant_table_op through the hypercall table on a real hypervisor: structures read from and
// written back to guest memory, host mappings entered into a PV guest's page tables.
import * as assert from 'assert';
import { GNTMAP, GNTST, GNTTABOP, GTF, LAYOUTS, XEN_ERRNO, readField, writeField } from '../../src/xen/abi';
import { grantTablesOf, grantTablesFor } from '../../src/xen/grant/xen-env';
import { call, system } from './grant-helpers';

describe('grant_table_op hypercall', () => {
  it('back maps a page front granted, both see each other\'s writes, unmap removes the mapping', () => {
    const { hv, front, back } = system();
    const bv = back.vcpus[0];
    const mem = hv.memOf(bv);
    const scratch = back.startInfoGva + 4096; // the (unused) xenstore page: mapped and writable
    const hostVa = back.startInfoGva + 8192; // the console page: its PTE will hold the grant
    const page = front.p2m.get(40);
    hv.machine.writable(page).set([1, 2, 3, 4], 0);
    const g = grantTablesFor(hv, front.vcpus[0]);
    g.writeEntry(g.table(front.id)!, 8, { flags: GTF.permit_access, domid: back.id, frame: page });

    const s = 'gnttab_map_grant_ref';
    const op = new Uint8Array(LAYOUTS[s].size);
    writeField(op, 0, s, 'host_addr', hostVa);
    writeField(op, 0, s, 'flags', GNTMAP.host_map);
    writeField(op, 0, s, 'ref', 8);
    writeField(op, 0, s, 'dom', front.id);
    mem.write(scratch, op);
    assert.strictEqual(call(bv, hv, GNTTABOP.map_grant_ref, scratch, 1), 0);
    const out = mem.read(scratch, op.length);
    assert.strictEqual(readField(out, 0, s, 'status'), GNTST.okay, grantTablesOf(hv).lastWhy);
    assert.strictEqual(readField(out, 0, s, 'dev_bus_addr'), page * 4096);
    const handle = readField(out, 0, s, 'handle');
    assert.deepStrictEqual([...mem.read(hostVa, 4)], [1, 2, 3, 4]);
    mem.write(hostVa + 100, new Uint8Array([9, 9]));
    assert.deepStrictEqual([...hv.machine.readable(page).subarray(100, 102)], [9, 9]);
    assert.strictEqual(g.readEntry(g.table(front.id)!, 8).flags, GTF.permit_access | GTF.reading | GTF.writing);

    const u = 'gnttab_unmap_grant_ref';
    const un = new Uint8Array(LAYOUTS[u].size);
    writeField(un, 0, u, 'host_addr', hostVa);
    writeField(un, 0, u, 'handle', handle);
    mem.write(scratch, un);
    assert.strictEqual(call(bv, hv, GNTTABOP.unmap_grant_ref, scratch, 1), 0);
    assert.strictEqual(readField(mem.read(scratch, un.length), 0, u, 'status'), GNTST.okay);
    assert.strictEqual(mem.tryRead(hostVa, 4), undefined, 'the grant mapping is gone');
    assert.strictEqual(g.readEntry(g.table(front.id)!, 8).flags, GTF.permit_access);
  });

  it('refusals come back as GNTST_* in the structure: read-only grant mapped writable, bad ref, bad domain', () => {
    const { hv, front, back } = system();
    const bv = back.vcpus[0];
    const mem = hv.memOf(bv);
    const scratch = back.startInfoGva + 4096;
    const g = grantTablesFor(hv, front.vcpus[0]);
    g.writeEntry(g.table(front.id)!, 2, { flags: GTF.permit_access | GTF.readonly, domid: back.id, frame: front.p2m.get(41) });
    const s = 'gnttab_map_grant_ref';
    const ops = [
      { ref: 2, dom: front.id, want: GNTST.general_error },
      { ref: 100000, dom: front.id, want: GNTST.bad_gntref },
      { ref: 2, dom: 300, want: GNTST.bad_domain },
    ];
    const buf = new Uint8Array(LAYOUTS[s].size * ops.length);
    ops.forEach((o, i) => {
      writeField(buf, i * 32, s, 'host_addr', back.startInfoGva + 8192);
      writeField(buf, i * 32, s, 'flags', GNTMAP.host_map);
      writeField(buf, i * 32, s, 'ref', o.ref);
      writeField(buf, i * 32, s, 'dom', o.dom);
    });
    mem.write(scratch, buf);
    assert.strictEqual(call(bv, hv, GNTTABOP.map_grant_ref, scratch, ops.length), 0);
    const out = mem.read(scratch, buf.length);
    assert.deepStrictEqual(ops.map((_, i) => readField(out, i * 32, s, 'status') << 16 >> 16), ops.map((o) => o.want));
    // the guest's own mapping at host_addr is untouched
    assert.ok(mem.tryRead(back.startInfoGva + 8192, 4));
  });

  it('setup_table and query_size report frames the guest owns', () => {
    const { hv, back } = system();
    const bv = back.vcpus[0];
    const mem = hv.memOf(bv);
    const scratch = back.startInfoGva + 4096;
    const s = 'gnttab_setup_table';
    const op = new Uint8Array(LAYOUTS[s].size);
    writeField(op, 0, s, 'dom', 0x7ff0);
    writeField(op, 0, s, 'nr_frames', 3);
    writeField(op, 0, s, 'frame_list', scratch + 64);
    mem.write(scratch, op);
    assert.strictEqual(call(bv, hv, GNTTABOP.setup_table, scratch, 1), 0);
    assert.strictEqual(readField(mem.read(scratch, 16), 0, s, 'status'), GNTST.okay);
    const frames = [0, 1, 2].map((i) => mem.read32(scratch + 64 + i * 4));
    assert.ok(frames.every((f) => hv.mm.info[f].owner === back.id));
    const q = 'gnttab_query_size';
    const qb = new Uint8Array(LAYOUTS[q].size);
    writeField(qb, 0, q, 'dom', back.id);
    mem.write(scratch, qb);
    assert.strictEqual(call(bv, hv, GNTTABOP.query_size, scratch, 1), 0);
    const r = mem.read(scratch, 16);
    assert.deepStrictEqual([readField(r, 0, q, 'nr_frames'), readField(r, 0, q, 'max_nr_frames'), readField(r, 0, q, 'status')], [3, 64, 0]);
  });

  it('GNTTABOP_copy from a grant into the caller\'s own frame, statuses per operation', () => {
    const { hv, front, back } = system();
    const bv = back.vcpus[0];
    const mem = hv.memOf(bv);
    const scratch = back.startInfoGva + 4096;
    const src = front.p2m.get(42);
    hv.machine.writable(src).set(Buffer.from('granted bytes'), 64);
    const g = grantTablesFor(hv, front.vcpus[0]);
    g.writeEntry(g.table(front.id)!, 3, { flags: GTF.permit_access | GTF.readonly, domid: back.id, frame: src });
    const dst = back.p2m.get(60);
    const s = 'gnttab_copy';
    const ops = new Uint8Array(LAYOUTS[s].size * 2);
    for (const [i, ref] of [[0, 3], [1, 4]] as const) {
      const at = i * LAYOUTS[s].size;
      writeField(ops, at, s, 'source.u.ref', ref);
      writeField(ops, at, s, 'source.domid', front.id);
      writeField(ops, at, s, 'source.offset', 64);
      writeField(ops, at, s, 'dest.u.gmfn', dst);
      writeField(ops, at, s, 'dest.domid', 0x7ff0);
      writeField(ops, at, s, 'dest.offset', 100);
      writeField(ops, at, s, 'len', 13);
      writeField(ops, at, s, 'flags', 1); // GNTCOPY_source_gref
    }
    mem.write(scratch, ops);
    assert.strictEqual(call(bv, hv, GNTTABOP.copy, scratch, 2), 0);
    const out = mem.read(scratch, ops.length);
    assert.deepStrictEqual([0, 1].map((i) => readField(out, i * LAYOUTS[s].size, s, 'status') << 16 >> 16), [GNTST.okay, GNTST.general_error]);
    assert.strictEqual(Buffer.from(hv.machine.readable(dst).subarray(100, 113)).toString(), 'granted bytes');
  });

  it('bad pointers, counts and commands fail the hypercall with Xen errno', () => {
    const { hv, back } = system();
    const bv = back.vcpus[0];
    assert.strictEqual(call(bv, hv, GNTTABOP.map_grant_ref, 0xf6000000, 1), -XEN_ERRNO.EFAULT);
    assert.strictEqual(call(bv, hv, GNTTABOP.setup_table, back.startInfoGva + 4096, 2), -XEN_ERRNO.EINVAL);
    assert.strictEqual(call(bv, hv, GNTTABOP.transfer, 0, 0), -XEN_ERRNO.ENOSYS);
    assert.strictEqual(call(bv, hv, GNTTABOP.map_grant_ref, 0, -1), -XEN_ERRNO.EINVAL);
    assert.strictEqual(call(bv, hv, GNTTABOP.map_grant_ref, 0, 0), 0);
  });
});
