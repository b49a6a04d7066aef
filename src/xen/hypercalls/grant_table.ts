// grant_table_op(cmd, uop, count) (xen/common/grant_table.c do_grant_table_op): copies each
// operation's structure in from the guest, runs it on the grant tables and copies the results
// (status, handle, dev_bus_addr, frame list) back. A refusal is a GNTST_* status in the
// structure; only argument and pointer errors make the hypercall itself fail.
import { DOMID, GNTMAP, GNTTABOP, GNTST, LAYOUTS, readField, writeField } from '../abi';
import { grantTablesFor } from '../grant/xen-env';
import type { GrantTables } from '../grant';
import type { HypercallContext } from './types';
import { fail } from './util';

/** Bits of cmd above this carry a continuation argument (GNTTABOP_CONTINUATION_ARG_SHIFT). */
const CONTINUATION_ARG_SHIFT = 12;

type OpStruct = 'gnttab_map_grant_ref' | 'gnttab_unmap_grant_ref' | 'gnttab_copy';

/** Runs `fn` on each of `count` structures at `uop`, writing each back after it. */
function each(ctx: HypercallContext, uop: number, count: number, struct: OpStruct, fn: (b: Uint8Array) => void): number {
  const size = LAYOUTS[struct].size;
  for (let i = 0; i < count; i++) {
    const b = ctx.mem.read(uop + i * size, size);
    fn(b);
    ctx.mem.write(uop + i * size, b);
  }
  return 0;
}

function mapGrantRef(ctx: HypercallContext, g: GrantTables, uop: number, count: number): number {
  return each(ctx, uop, count, 'gnttab_map_grant_ref', (b) => {
    const s = 'gnttab_map_grant_ref';
    const flags = readField(b, 0, s, 'flags');
    // an HVM guest's mappings live in its P2M: no device, application or PTE mappings (Xen: "No device mapping in HVM domain")
    const r =
      ctx.domain.kind === 'hvm' && flags & (GNTMAP.device_map | GNTMAP.application_map | GNTMAP.contains_pte)
        ? { status: GNTST.general_error, handle: 0, devBusAddr: 0 }
        : g.map(ctx.domain.id, { hostAddr: readField(b, 0, s, 'host_addr'), flags, ref: readField(b, 0, s, 'ref'), dom: readField(b, 0, s, 'dom') });
    writeField(b, 0, s, 'status', r.status);
    if (r.status === GNTST.okay) {
      writeField(b, 0, s, 'handle', r.handle);
      writeField(b, 0, s, 'dev_bus_addr', r.devBusAddr);
    }
  });
}

function unmapGrantRef(ctx: HypercallContext, g: GrantTables, uop: number, count: number): number {
  return each(ctx, uop, count, 'gnttab_unmap_grant_ref', (b) => {
    const s = 'gnttab_unmap_grant_ref';
    const st = g.unmap(ctx.domain.id, {
      hostAddr: readField(b, 0, s, 'host_addr'),
      devBusAddr: readField(b, 0, s, 'dev_bus_addr'),
      handle: readField(b, 0, s, 'handle'),
    });
    writeField(b, 0, s, 'status', st);
  });
}

function copy(ctx: HypercallContext, g: GrantTables, uop: number, count: number): number {
  return each(ctx, uop, count, 'gnttab_copy', (b) => {
    const s = 'gnttab_copy';
    const st = g.copy(ctx.domain.id, {
      source: { u: readField(b, 0, s, 'source.u.ref'), domid: readField(b, 0, s, 'source.domid'), offset: readField(b, 0, s, 'source.offset') },
      dest: { u: readField(b, 0, s, 'dest.u.ref'), domid: readField(b, 0, s, 'dest.domid'), offset: readField(b, 0, s, 'dest.offset') },
      len: readField(b, 0, s, 'len'),
      flags: readField(b, 0, s, 'flags'),
    });
    writeField(b, 0, s, 'status', st);
  });
}

function swapGrantRef(ctx: HypercallContext, g: GrantTables, uop: number, count: number): number {
  const s = 'gnttab_swap_grant_ref';
  for (let i = 0; i < count; i++) {
    const at = uop + i * LAYOUTS[s].size;
    const b = ctx.mem.read(at, LAYOUTS[s].size);
    writeStatus(ctx, at + LAYOUTS[s].fields.status.offset, g.swap(ctx.domain.id, readField(b, 0, s, 'ref_a'), readField(b, 0, s, 'ref_b')));
  }
  return 0;
}

function setupTable(ctx: HypercallContext, g: GrantTables, uop: number, count: number): number {
  if (count !== 1) fail('EINVAL', `setup_table takes one structure, not ${count}`);
  const s = 'gnttab_setup_table';
  const b = ctx.mem.read(uop, LAYOUTS[s].size);
  const nr = readField(b, 0, s, 'nr_frames');
  const list = readField(b, 0, s, 'frame_list');
  const dom = readField(b, 0, s, 'dom');
  const r = g.setupTable(ctx.domain.id, dom, nr, ctx.domain.privileged);
  let status = r.status;
  for (let i = 0; i < r.frames.length && status === GNTST.okay; i++) {
    try {
      ctx.mem.write32(list + i * 4, guestFrame(ctx, dom, r.frames[i]) >>> 0);
    } catch {
      status = GNTST.bad_virt_addr;
    }
  }
  writeStatus(ctx, uop + LAYOUTS[s].fields.status.offset, status);
  return 0;
}

/**
 * The frame number a guest knows a grant frame by: a PV guest its machine frame; an HVM guest
 * the gfn where it placed it with XENMEM_add_to_physmap, or -1 (INVALID_GFN) before it has.
 */
function guestFrame(ctx: HypercallContext, dom: number, mfn: number): number {
  const d = ctx.hv.domains.get(dom === DOMID.SELF ? ctx.domain.id : dom);
  return d?.kind === 'hvm' ? d.p2m.gfnOf(mfn) : mfn;
}

/** __copy_field_to_guest(uop, &op, status): only the int16_t status goes back. */
function writeStatus(ctx: HypercallContext, addr: number, status: number): void {
  const st = new Uint8Array(2);
  new DataView(st.buffer).setInt16(0, status, true);
  ctx.mem.write(addr, st);
}

function querySize(ctx: HypercallContext, g: GrantTables, uop: number, count: number): number {
  if (count !== 1) fail('EINVAL', `query_size takes one structure, not ${count}`);
  const s = 'gnttab_query_size';
  const b = ctx.mem.read(uop, LAYOUTS[s].size);
  const r = g.querySize(ctx.domain.id, readField(b, 0, s, 'dom'), ctx.domain.privileged);
  writeField(b, 0, s, 'status', r.status);
  if (r.status === GNTST.okay) {
    writeField(b, 0, s, 'nr_frames', r.nrFrames);
    writeField(b, 0, s, 'max_nr_frames', r.maxNrFrames);
  }
  ctx.mem.write(uop, b);
  return 0;
}

/**
 * GNTTABOP_set_version: the version now in force is written back whatever the outcome; a
 * refusal is the hypercall's errno (-EINVAL, -ENOSYS past max_grant_version, -EBUSY while
 * grants are in use, -ERANGE for reserved entries v1 cannot hold).
 */
function setVersion(ctx: HypercallContext, g: GrantTables, uop: number): number {
  const s = 'gnttab_set_version';
  const b = ctx.mem.read(uop, LAYOUTS[s].size);
  const r = g.setVersion(ctx.domain.id, readField(b, 0, s, 'version'));
  writeField(b, 0, s, 'version', r.version);
  ctx.mem.write(uop, b);
  return r.errno ? fail(r.errno, r.why ?? '') : 0;
}

function getVersion(ctx: HypercallContext, g: GrantTables, uop: number): number {
  const s = 'gnttab_get_version';
  const b = ctx.mem.read(uop, LAYOUTS[s].size);
  const dom = readField(b, 0, s, 'dom');
  const id = dom === DOMID.SELF ? ctx.domain.id : dom;
  if (!ctx.hv.domains.has(id)) fail('ESRCH', `no domain ${dom}`);
  if (id !== ctx.domain.id && !ctx.domain.privileged) fail('EPERM', `d${ctx.domain.id} may not read d${id}'s grant version`);
  writeField(b, 0, s, 'version', g.table(id)?.version ?? 1);
  ctx.mem.write(uop + LAYOUTS[s].fields.version.offset, b.subarray(LAYOUTS[s].fields.version.offset));
  return 0;
}

/** INVALID_GFN as a uint64 frame_list entry: a status frame an HVM guest has not placed. */
const INVALID_GFN = 0xffffffffffffffffn;

/**
 * GNTTABOP_get_status_frames: uint64 frame numbers into frame_list — machine frames for a PV
 * guest; for an HVM guest the gfn where it placed each with XENMEM_add_to_physmap.
 */
function getStatusFrames(ctx: HypercallContext, g: GrantTables, uop: number, count: number): number {
  if (count !== 1) fail('EINVAL', `get_status_frames takes one structure, not ${count}`);
  const s = 'gnttab_get_status_frames';
  const b = ctx.mem.read(uop, LAYOUTS[s].size);
  const dom = readField(b, 0, s, 'dom');
  const r = g.getStatusFrames(ctx.domain.id, dom, readField(b, 0, s, 'nr_frames'), ctx.domain.privileged);
  const list = readField(b, 0, s, 'frame_list');
  let status = r.status;
  r.frames.forEach((mfn, i) => {
    const gfn = guestFrame(ctx, dom, mfn);
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, gfn < 0 ? INVALID_GFN : BigInt(gfn), true);
    try {
      ctx.mem.write(list + i * 8, out);
    } catch {
      status = GNTST.bad_virt_addr;
    }
  });
  writeStatus(ctx, uop + LAYOUTS[s].fields.status.offset, status);
  return 0;
}

export function grantTableOp(ctx: HypercallContext): number {
  const [cmdArg, uop, count] = ctx.args;
  const cmd = cmdArg & ((1 << CONTINUATION_ARG_SHIFT) - 1);
  if (cmdArg >>> CONTINUATION_ARG_SHIFT) fail('EINVAL', 'grant_table_op continuation bits from a guest');
  if ((count | 0) < 0) fail('EINVAL', `negative count ${count | 0}`);
  const g = grantTablesFor(ctx.hv, ctx.vcpu);
  switch (cmd) {
    case GNTTABOP.map_grant_ref:
      return mapGrantRef(ctx, g, uop, count);
    case GNTTABOP.unmap_grant_ref:
      return unmapGrantRef(ctx, g, uop, count);
    case GNTTABOP.setup_table:
      return setupTable(ctx, g, uop, count);
    case GNTTABOP.query_size:
      return querySize(ctx, g, uop, count);
    case GNTTABOP.copy:
      return copy(ctx, g, uop, count);
    case GNTTABOP.set_version:
      return setVersion(ctx, g, uop);
    case GNTTABOP.get_version:
      return getVersion(ctx, g, uop);
    case GNTTABOP.get_status_frames:
      return getStatusFrames(ctx, g, uop, count);
    case GNTTABOP.swap_grant_ref:
      return swapGrantRef(ctx, g, uop, count);
    default:
      return fail('ENOSYS', `grant_table_op cmd ${cmd}`);
  }
}
