// memory_op (xen/common/memory.c): a PV guest's reservation, in machine frames.
import { XENMEM, DOMID } from '../abi';
import type { HypercallContext } from './types';
import { fail, u32 } from './util';
import { M2P_VIRT_START } from '../mm';
import { PAGE_SIZE } from '../machine';
import type { Domain } from '../domain';

function target(ctx: HypercallContext, domid: number): Domain {
  domid &= 0xffff;
  if (domid === DOMID.SELF || domid === ctx.domain.id) return ctx.domain;
  if (!ctx.domain.privileged) fail('EPERM', `d${ctx.domain.id} may not change d${domid}'s memory`);
  const d = ctx.hv.domains.get(domid);
  if (!d) fail('ESRCH', `no domain ${domid}`);
  return d;
}

export function memoryOp(ctx: HypercallContext): number {
  const [cmd, arg] = ctx.args;
  const { hv } = ctx;
  const op = cmd & 0x3f; // MEMOP_CMD_MASK: the bits above carry a continuation's start extent
  switch (op) {
    case XENMEM.increase_reservation:
    case XENMEM.decrease_reservation:
    case XENMEM.populate_physmap: {
      const r = ctx.mem.read(arg, 20);
      const list = u32(r, 0);
      const n = u32(r, 4);
      const order = u32(r, 8);
      const d = target(ctx, r[16] | (r[17] << 8));
      if (order !== 0) fail('EINVAL', 'only order-0 extents are supported');
      let done = 0;
      for (; done < n; done++) {
        if (op === XENMEM.decrease_reservation) {
          const gpfn = ctx.mem.read32(list + done * 4);
          const mfn = d.p2m.get(gpfn);
          if (mfn < 0) break;
          const p = hv.mm.info[mfn];
          if (p.count > 0 || p.typeCount > 0) break; // still mapped or typed: Xen keeps it until the last reference
          hv.mm.free(mfn);
          d.p2m.unmap(gpfn);
        } else {
          if (d.pages >= d.maxPages) break;
          const gpfn = op === XENMEM.populate_physmap ? ctx.mem.read32(list + done * 4) : -1;
          if (op === XENMEM.populate_physmap && (gpfn >= 0x100000 || d.p2m.get(gpfn) >= 0)) break;
          let mfn: number;
          try {
            mfn = hv.mm.alloc(d.id);
          } catch {
            break;
          }
          if (op === XENMEM.populate_physmap) {
            d.p2m.set(gpfn, mfn);
            hv.mm.setM2p(mfn, gpfn);
          }
          if (list !== 0) ctx.mem.write32(list + done * 4, mfn);
        }
      }
      return done;
    }
    case XENMEM.current_reservation:
      return target(ctx, ctx.mem.read32(arg)).pages;
    case XENMEM.maximum_reservation:
      return target(ctx, ctx.mem.read32(arg)).maxPages;
    case XENMEM.maximum_ram_page:
      return hv.machine.nrFrames - 1;
    case XENMEM.machphys_mapping: {
      // where the read-only M2P sits in every PV guest, and the largest mfn it covers
      const b = new Uint8Array(12);
      const dv = new DataView(b.buffer);
      dv.setUint32(0, M2P_VIRT_START, true);
      dv.setUint32(4, M2P_VIRT_START + hv.mm.m2pFrames * PAGE_SIZE, true);
      dv.setUint32(8, hv.machine.nrFrames - 1, true);
      ctx.mem.write(arg, b);
      return 0;
    }
    default:
      return fail('ENOSYS', `memory_op cmd ${cmd}`);
  }
}
