// set_trap_table, stack_switch, set_callbacks, callback_op, fpu_taskswitch, iret, set_gdt,
// update_descriptor and vm_assist (xen/arch/x86/pv/{traps,callback,descriptor-tables,iret}.c).
import { CALLBACKOP, CALLBACKTYPE, CALLBACKF, VMASST_CMD } from '../abi';
import { pvIret } from '../pv';
import { FIRST_RESERVED_GDT_PAGE, XenError } from '../mm';
import { PAGE_SIZE } from '../machine';
import type { HypercallContext } from './types';
import { fail, u32 } from './util';

/** set_trap_table(table): entries of trap_info until one with address 0; null clears the table. */
export function setTrapTable(ctx: HypercallContext): number {
  const [ptr] = ctx.args;
  const v = ctx.vcpu;
  if (ptr === 0) {
    v.trapTable = new Array(256);
    return 0;
  }
  for (let i = 0; i < 256; i++) {
    const b = ctx.mem.read(ptr + i * 8, 8);
    const address = u32(b, 4);
    if (address === 0) break;
    const cs = b[2] | (b[3] << 8);
    if ((cs & 3) === 0 && (cs & 0xfffc) !== 0) fail('EPERM', `trap_info cs 0x${cs.toString(16)} names ring 0`);
    v.trapTable[b[0]] = { flags: b[1], cs: cs | ((cs & 3) === 0 ? 1 : 0), address };
  }
  return 0;
}

/** stack_switch(ss, esp): the ring-1 stack Xen switches to on a transition from ring 3. */
export function stackSwitch(ctx: HypercallContext): number {
  const [ss, esp] = ctx.args;
  if ((ss & 3) === 0) fail('EPERM', `stack segment 0x${ss.toString(16)} is ring 0`);
  ctx.vcpu.kernelSs = ss & 0xffff;
  ctx.vcpu.kernelSp = esp >>> 0;
  return 0;
}

function register(ctx: HypercallContext, type: number, cs: number, eip: number, flags: number): number {
  const cb = { cs: (cs & 0xffff) | ((cs & 3) === 0 ? 1 : 0), eip: eip >>> 0, maskEvents: (flags & CALLBACKF.mask_events) !== 0 };
  switch (type) {
    case CALLBACKTYPE.event:
      ctx.vcpu.eventCallback = cb;
      return 0;
    case CALLBACKTYPE.failsafe:
      ctx.vcpu.failsafeCallback = cb;
      return 0;
    case CALLBACKTYPE.syscall:
    case CALLBACKTYPE.sysenter:
    case CALLBACKTYPE.syscall32:
      // accepted and remembered: the simulated CPU has no SYSCALL; SYSENTER comes through #UD/#GP
      ctx.vcpu.syscallCallback = cb;
      return 0;
    case CALLBACKTYPE.nmi:
      return 0;
    default:
      return fail('EINVAL', `callback type ${type}`);
  }
}

export function setCallbacks(ctx: HypercallContext): number {
  const [evSel, evAddr, fsSel, fsAddr] = ctx.args;
  register(ctx, CALLBACKTYPE.event, evSel, evAddr, 0);
  register(ctx, CALLBACKTYPE.failsafe, fsSel, fsAddr, 0);
  return 0;
}

export function callbackOp(ctx: HypercallContext): number {
  const [cmd, ptr] = ctx.args;
  switch (cmd) {
    case CALLBACKOP.register: {
      const b = ctx.mem.read(ptr, 12);
      return register(ctx, b[0] | (b[1] << 8), u32(b, 4), u32(b, 8), b[2] | (b[3] << 8));
    }
    case CALLBACKOP.unregister: {
      const b = ctx.mem.read(ptr, 4);
      const type = b[0] | (b[1] << 8);
      if (type === CALLBACKTYPE.event) fail('EINVAL', 'the event callback cannot be unregistered');
      if (type === CALLBACKTYPE.failsafe) ctx.vcpu.failsafeCallback = null;
      else if (type === CALLBACKTYPE.syscall || type === CALLBACKTYPE.sysenter) ctx.vcpu.syscallCallback = null;
      else if (type !== CALLBACKTYPE.nmi) fail('EINVAL', `callback type ${type}`);
      return 0;
    }
    default:
      return fail('ENOSYS', `callback_op cmd ${cmd}`);
  }
}

/** fpu_taskswitch(set): the guest's view of CR0.TS. */
export function fpuTaskswitch(ctx: HypercallContext): number {
  ctx.vcpu.fpuTs = ctx.args[0] !== 0;
  return 0;
}

/** iret: restore the frame the guest pushed (eax, eip, cs, eflags[, esp, ss]). */
export function iret(ctx: HypercallContext): number {
  const { hv, vcpu } = ctx;
  const si = hv.shared(ctx.domain);
  ctx.noResult = true;
  try {
    pvIret(hv.machine, vcpu, hv.cpuOf(vcpu), ctx.mem, { upcallMask: () => si.upcallMask(vcpu.id), setUpcallMask: (m) => si.setUpcallMask(vcpu.id, m) });
  } catch (e) {
    // Xen crashes a guest whose iret frame cannot be read or loaded: there is nowhere to return to
    if (!(e instanceof XenError)) throw e;
    hv.crash(ctx.domain, `bad HYPERVISOR_iret frame: ${e.message}`);
    return e.errno;
  }
  return 0;
}

/** Xen's check_descriptor for a PV guest: no ring-0 segments, no gates other than call gates to ring 1+. */
export function descriptorOk(lo: number, hi: number): boolean {
  if (!(hi & 0x8000)) return true; // not present: anything goes
  const s = (hi >>> 12) & 1;
  const dpl = (hi >>> 13) & 3;
  if (!s) return false; // system descriptors (TSS, LDT, gates) are Xen's
  if (dpl === 0) return false;
  void lo;
  return true;
}

/** set_gdt(frame_list, entries): guest frames become the vCPU's GDT (pages 0..13). */
export function setGdt(ctx: HypercallContext): number {
  const [list, entries] = ctx.args;
  const { hv, vcpu, domain } = ctx;
  if (entries > FIRST_RESERVED_GDT_PAGE * 512) fail('EINVAL', `${entries} GDT entries (max ${FIRST_RESERVED_GDT_PAGE * 512})`);
  const pages = Math.ceil(entries / 512);
  const frames: number[] = [];
  for (let i = 0; i < pages; i++) frames.push(ctx.mem.read32(list + i * 4));
  // each frame: owned, not writable-mapped, and every descriptor acceptable
  const taken: number[] = [];
  try {
    for (const mfn of frames) {
      if (!hv.mm.valid(mfn)) fail('EINVAL', `GDT frame 0x${mfn.toString(16)} does not exist`);
      const f = hv.machine.readable(mfn);
      const dv = new DataView(f.buffer, f.byteOffset, PAGE_SIZE);
      for (let e = 0; e < 512; e++) if (!descriptorOk(dv.getUint32(e * 8, true), dv.getUint32(e * 8 + 4, true))) fail('EINVAL', `GDT frame 0x${mfn.toString(16)} entry ${e} is not allowed for a PV guest`);
      hv.mm.getPageAndType(mfn, 'seg_desc', domain.id);
      taken.push(mfn);
    }
  } catch (e) {
    for (const m of taken) hv.mm.putPageAndType(m);
    throw e;
  }
  for (const m of vcpu.gdtFrames) hv.mm.putPageAndType(m);
  vcpu.gdtFrames = frames;
  vcpu.gdtEntries = entries;
  hv.refreshGdtMapping(vcpu);
  return 0;
}

/** update_descriptor(ma_lo, ma_hi, desc_lo, desc_hi): write one checked descriptor. */
export function updateDescriptor(ctx: HypercallContext): number {
  const [maLo, maHi, lo, hi] = ctx.args;
  const { hv, domain } = ctx;
  if (maHi !== 0 || maLo & 7) fail('EINVAL', 'descriptor address must be 8-byte aligned below 4 GiB');
  const mfn = Math.floor(maLo / PAGE_SIZE);
  if (!hv.mm.valid(mfn) || hv.mm.info[mfn].owner !== domain.id) fail('EINVAL', `mfn 0x${mfn.toString(16)} is not d${domain.id}'s`);
  const p = hv.mm.info[mfn];
  // Xen's do_update_descriptor: a descriptor page or any page that may be writable; never a page table
  if (p.typeCount > 0 && p.type !== 'seg_desc' && p.type !== 'writable') fail('EINVAL', `mfn 0x${mfn.toString(16)} is a ${p.type} page`);
  if (!descriptorOk(lo, hi)) fail('EINVAL', 'descriptor not allowed for a PV guest');
  hv.machine.write32(maLo, lo);
  hv.machine.write32(maLo + 4, hi);
  for (const v of domain.vcpus) hv.cpuOf(v).flushTlb();
  return 0;
}

/** vm_assist(cmd, type): remembered; the assists change nothing xensim models. */
export function vmAssist(ctx: HypercallContext): number {
  const [cmd, type] = ctx.args;
  if (type > 31) fail('EINVAL', `vm_assist type ${type}`);
  if (cmd === VMASST_CMD.enable) ctx.domain.vmAssist |= 1 << type;
  else if (cmd === VMASST_CMD.disable) ctx.domain.vmAssist &= ~(1 << type);
  else fail('EINVAL', `vm_assist cmd ${cmd}`);
  return 0;
}
