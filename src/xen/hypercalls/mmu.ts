// mmu_update, update_va_mapping and mmuext_op (xen/arch/x86/mm.c): every page-table change a
// PV guest makes goes through here and is validated against page types and ownership.
import { MMU, MMUEXT, DOMID } from '../abi';
import { PAGE_SIZE } from '../machine';
import { HYPERVISOR_VIRT_START } from '../guestmem';
import { PTE_P, XenError } from '../mm';
import type { HypercallContext } from './types';
import { fail, u32 } from './util';
import type { Domain } from '../domain';

function flushDomain(ctx: HypercallContext): void {
  for (const v of ctx.domain.vcpus) ctx.hv.cpuOf(v).flushTlb();
}

function foreign(ctx: HypercallContext, foreigndom: number): Domain {
  const dom = foreigndom & 0xffff;
  if (dom === DOMID.SELF || dom === ctx.domain.id) return ctx.domain;
  if (!ctx.domain.privileged) fail('EPERM', `d${ctx.domain.id} may not update d${dom}'s page tables`);
  const d = ctx.hv.domains.get(dom);
  if (!d) fail('ESRCH', `no domain ${dom}`);
  return d;
}

/** Runs `count` requests; the number done goes to *done_ptr (if given) even when one fails. */
function batch(ctx: HypercallContext, count: number, donePtr: number, size: number, ptr: number, one: (b: Uint8Array) => void): number {
  let done = 0;
  let result = 0;
  try {
    for (; done < count; done++) one(ctx.mem.read(ptr + done * size, size));
  } catch (e) {
    if (!(e instanceof XenError)) throw e;
    result = e.errno;
  }
  if (donePtr !== 0) ctx.mem.write32(donePtr, done);
  flushDomain(ctx);
  return result;
}

export function mmuUpdate(ctx: HypercallContext): number {
  const [reqs, count, donePtr, foreigndom] = ctx.args;
  const pt = foreign(ctx, foreigndom);
  const { hv } = ctx;
  return batch(ctx, count, donePtr, 16, reqs, (b) => {
    const ptrLo = u32(b, 0);
    const ptrHi = u32(b, 4);
    const valLo = u32(b, 8);
    const valHi = u32(b, 12);
    const cmd = ptrLo & 3;
    const ma = (ptrLo & ~3) >>> 0;
    if (ptrHi !== 0) fail('EINVAL', 'mmu_update ptr above 4 GiB');
    switch (cmd) {
      case MMU.NORMAL_PT_UPDATE:
      case MMU.PT_UPDATE_PRESERVE_AD:
        // the table belongs to the caller; the frames an L1 entry maps, to the foreign domain (or the caller)
        hv.mm.updateEntry(ma, valLo, valHi, ctx.domain.id, pt.id);
        return;
      case MMU.MACHPHYS_UPDATE: {
        const mfn = Math.floor(ma / PAGE_SIZE);
        if (!hv.mm.valid(mfn) || hv.mm.info[mfn].owner !== pt.id) fail('EPERM', `MMU_MACHPHYS_UPDATE of mfn 0x${mfn.toString(16)} that d${pt.id} does not own`);
        hv.mm.setM2p(mfn, valLo);
        return;
      }
      default:
        fail('ENOSYS', `mmu_update command ${cmd}`);
    }
  });
}

/** Machine address of the L1 entry mapping `va` in the vCPU's current tables (no large pages). */
function l1EntryOf(ctx: HypercallContext, va: number): number {
  const { hv } = ctx;
  const cr3 = hv.cpuOf(ctx.vcpu).cr3 >>> 0;
  const rd = (ma: number) => hv.machine.read32(ma);
  const l3e = rd((cr3 & ~0x1f) + (va >>> 30) * 8);
  if (!(l3e & PTE_P)) fail('EINVAL', `no L2 maps 0x${va.toString(16)}`);
  const l2e = rd(((l3e & ~0xfff) >>> 0) + ((va >>> 21) & 0x1ff) * 8);
  if (!(l2e & PTE_P)) fail('EINVAL', `no L1 maps 0x${va.toString(16)}`);
  return ((l2e & ~0xfff) >>> 0) + ((va >>> 12) & 0x1ff) * 8;
}

/** update_va_mapping(va, val_lo, val_hi, flags): replace the L1 entry for `va`. */
export function updateVaMapping(ctx: HypercallContext): number {
  const [va, lo, hi] = ctx.args;
  if (va >= HYPERVISOR_VIRT_START) fail('EINVAL', `0x${va.toString(16)} is in Xen's area`);
  ctx.hv.mm.updateEntry(l1EntryOf(ctx, va), lo, hi, ctx.domain.id);
  flushDomain(ctx);
  return 0;
}

const PIN_TYPE: Record<number, 'l1' | 'l2' | 'l3'> = { [MMUEXT.PIN_L1_TABLE]: 'l1', [MMUEXT.PIN_L2_TABLE]: 'l2', [MMUEXT.PIN_L3_TABLE]: 'l3' };

export function mmuextOp(ctx: HypercallContext): number {
  const [ops, count, donePtr, foreigndom] = ctx.args;
  const d = foreign(ctx, foreigndom);
  const { hv, vcpu } = ctx;
  return batch(ctx, count, donePtr, 12, ops, (b) => {
    const cmd = u32(b, 0);
    const mfn = u32(b, 4);
    const need = () => {
      if (!hv.mm.valid(mfn)) fail('EINVAL', `mfn 0x${mfn.toString(16)} does not exist`);
    };
    switch (cmd) {
      case MMUEXT.PIN_L1_TABLE:
      case MMUEXT.PIN_L2_TABLE:
      case MMUEXT.PIN_L3_TABLE: {
        need();
        const p = hv.mm.info[mfn];
        if (p.pinned) fail('EINVAL', `mfn 0x${mfn.toString(16)} is already pinned`);
        hv.mm.getPageAndType(mfn, PIN_TYPE[cmd], d.id);
        p.pinned = true;
        return;
      }
      case MMUEXT.PIN_L4_TABLE:
        fail('EINVAL', 'a 32-bit PAE guest has no L4 tables');
        return;
      case MMUEXT.UNPIN_TABLE: {
        need();
        const p = hv.mm.info[mfn];
        if (p.owner !== d.id) fail('EINVAL', `mfn 0x${mfn.toString(16)} is not d${d.id}'s`);
        if (!p.pinned) fail('EINVAL', `mfn 0x${mfn.toString(16)} is not pinned`);
        p.pinned = false;
        hv.mm.putPageAndType(mfn);
        return;
      }
      case MMUEXT.NEW_BASEPTR: {
        need();
        if (d !== ctx.domain) fail('EINVAL', 'NEW_BASEPTR for another domain');
        hv.mm.getPageAndType(mfn, 'l3', d.id);
        const old = vcpu.baseMfn;
        vcpu.baseMfn = mfn;
        hv.cpuOf(vcpu).cr3 = (mfn * PAGE_SIZE) | 0;
        if (old) hv.mm.putPageAndType(old);
        return;
      }
      case MMUEXT.TLB_FLUSH_LOCAL:
      case MMUEXT.TLB_FLUSH_MULTI:
      case MMUEXT.TLB_FLUSH_ALL:
      case MMUEXT.INVLPG_LOCAL:
      case MMUEXT.INVLPG_MULTI:
      case MMUEXT.INVLPG_ALL:
      case MMUEXT.FLUSH_CACHE:
      case MMUEXT.FLUSH_CACHE_GLOBAL:
        return; // batch() flushes every TLB of the domain
      case MMUEXT.SET_LDT:
        if (u32(b, 8) !== 0) fail('EINVAL', 'LDTs are not supported by xensim');
        return;
      case MMUEXT.CLEAR_PAGE: {
        need();
        const p = hv.mm.info[mfn];
        if (p.owner !== d.id || (p.typeCount > 0 && p.type !== 'writable')) fail('EINVAL', `CLEAR_PAGE of mfn 0x${mfn.toString(16)}`);
        hv.machine.writable(mfn).fill(0);
        return;
      }
      case MMUEXT.COPY_PAGE: {
        need();
        const src = u32(b, 8);
        const p = hv.mm.info[mfn];
        if (!hv.mm.valid(src) || hv.mm.info[src].owner !== d.id || p.owner !== d.id || (p.typeCount > 0 && p.type !== 'writable')) fail('EINVAL', 'COPY_PAGE');
        hv.machine.writable(mfn).set(hv.machine.readable(src));
        return;
      }
      default:
        fail('ENOSYS', `mmuext_op cmd ${cmd}`);
    }
  });
}
