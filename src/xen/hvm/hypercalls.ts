/**
 * The hypercalls an HVM guest may make (xen/arch/x86/hvm/hypercall.c's hvm_hypercall_table):
 * the PV handlers Xen shares (xen_version, console_io, event_channel_op, sched_op, vcpu_op,
 * grant_table_op, set_timer_op, multicall), memory_op with HVM's add_to_physmap, and hvm_op.
 * The PV-only ones (set_trap_table, mmu_update, set_gdt, stack_switch, iret, callback_op …)
 * are absent and answer -ENOSYS, as on Xen.
 */
import { HYPERCALL, HVMOP, HVM_PARAM, XENMEM, XENMAPSPACE, DOMID, HVM_PARAM_CALLBACK_TYPE } from '../abi';
import { HYPERCALL_TABLE } from '../hypercalls';
import type { HypercallContext, HypercallHandler } from '../hypercalls/types';
import { fail, u32 } from '../hypercalls/util';
import { makeMulticall } from '../hypercalls/multicall';
import type { Domain } from '../domain';
import { hvmState } from './state';
import { grantTablesFor } from '../grant/xen-env';

function targetDomain(ctx: HypercallContext, domid: number): Domain {
  domid &= 0xffff;
  if (domid === DOMID.SELF || domid === ctx.domain.id) return ctx.domain;
  if (!ctx.domain.privileged) fail('EPERM', `d${ctx.domain.id} may not reach d${domid}`);
  const d = ctx.hv.domains.get(domid);
  if (!d) fail('ESRCH', `no domain ${domid}`);
  return d;
}

/** Params a guest may read about itself (hvm_allow_get_param). */
const GUEST_GET = new Set<number>([HVM_PARAM.CALLBACK_IRQ, HVM_PARAM.STORE_PFN, HVM_PARAM.STORE_EVTCHN, HVM_PARAM.CONSOLE_PFN, HVM_PARAM.CONSOLE_EVTCHN, HVM_PARAM.PAE_ENABLED, HVM_PARAM.TIMER_MODE, HVM_PARAM.VIRIDIAN]);
/** Params a guest may set for itself (hvm_allow_set_param). */
const GUEST_SET = new Set<number>([HVM_PARAM.CALLBACK_IRQ]);
/** HVM_NR_PARAMS in hvm/params.h */
const HVM_NR_PARAMS = 39;

function hvmOp(ctx: HypercallContext): number {
  const [op, arg] = ctx.args;
  switch (op) {
    case HVMOP.set_param:
    case HVMOP.get_param: {
      const b = ctx.mem.read(arg, 16);
      const d = targetDomain(ctx, b[0] | (b[1] << 8));
      if (d.kind !== 'hvm') fail('EINVAL', `d${d.id} is not an HVM domain`);
      const index = u32(b, 4);
      if (index >= HVM_NR_PARAMS) fail('EINVAL', `param ${index}`);
      const self = d === ctx.domain && !ctx.domain.privileged;
      const st = hvmState(d);
      if (op === HVMOP.get_param) {
        if (self && !GUEST_GET.has(index)) fail('EPERM', `HVM_PARAM ${index} is not readable by the guest`);
        const value = st.params.get(index) ?? 0n;
        const out = new DataView(b.buffer);
        out.setBigUint64(8, value, true);
        ctx.mem.write(arg + 8, b.subarray(8, 16));
        return 0;
      }
      if (self && !GUEST_SET.has(index)) fail('EPERM', `HVM_PARAM ${index} is not writable by the guest`);
      const value = new DataView(b.buffer).getBigUint64(8, true);
      if (index === HVM_PARAM.CALLBACK_IRQ) {
        const type = Number(value >> 56n);
        if (value !== 0n && type !== HVM_PARAM_CALLBACK_TYPE.VECTOR) fail('EINVAL', `callback type ${type}: only the vector type is modelled`);
        const vector = Number(value & 0xffn);
        if (value !== 0n && vector < 0x10) fail('EINVAL', `callback vector ${vector}`);
        st.callbackVector = value === 0n ? 0 : vector;
      }
      st.params.set(index, value);
      return 0;
    }
    case HVMOP.get_time: {
      const ns = BigInt(Math.floor(ctx.hv.now()));
      const out = new Uint8Array(8);
      new DataView(out.buffer).setBigUint64(0, ns, true);
      ctx.mem.write(arg, out);
      return 0;
    }
    default:
      return fail('ENOSYS', `hvm_op ${op}`);
  }
}

/** hvm_memory_op: the reservation ops are shared; add_to_physmap places Xen's frames in the P2M. */
function hvmMemoryOp(ctx: HypercallContext): number {
  const op = ctx.args[0] & 0x3f;
  if (op !== XENMEM.add_to_physmap) return HYPERCALL_TABLE[HYPERCALL.memory_op](ctx);
  const b = ctx.mem.read(ctx.args[1], 16);
  const d = targetDomain(ctx, b[0] | (b[1] << 8));
  const space = u32(b, 4);
  const idx = u32(b, 8);
  const gpfn = u32(b, 12);
  let mfn: number;
  switch (space) {
    case XENMAPSPACE.shared_info:
      if (idx !== 0) fail('EINVAL', `shared_info index ${idx}`);
      mfn = d.sharedInfoMfn;
      break;
    case XENMAPSPACE.gmfn: {
      const m = d.p2m.get(idx);
      if (m < 0) fail('EINVAL', `gfn 0x${idx.toString(16)} has no frame`);
      mfn = m;
      d.p2m.unmap(idx);
      break;
    }
    case XENMAPSPACE.grant_table: {
      // idx | XENMAPIDX_grant_table_status names a v2 status frame (gnttab_map_frame)
      const m = grantTablesFor(ctx.hv, ctx.vcpu).mapFrame(d.id, idx);
      if (m === undefined) fail('EINVAL', `grant table frame 0x${idx.toString(16)}`);
      mfn = m;
      // a grant frame lives at one gfn: placing it again moves it
      d.p2m.unmapMfn(m);
      break;
    }
    default:
      return fail('EOPNOTSUPP', `XENMAPSPACE ${space}`);
  }
  if (gpfn >= 0x100000) fail('EINVAL', `gpfn 0x${gpfn.toString(16)}`);
  // the RAM page that was there goes back to Xen (guest_remove_page)
  const old = d.p2m.get(gpfn);
  if (old >= 0 && old !== mfn && ctx.hv.mm.info[old]?.owner === d.id) ctx.hv.mm.free(old);
  d.p2m.set(gpfn, mfn);
  for (const v of d.vcpus) ctx.hv.cpuOf(v).flushTlb();
  return 0;
}

const SHARED = [HYPERCALL.set_timer_op, HYPERCALL.console_io, HYPERCALL.xen_version, HYPERCALL.grant_table_op, HYPERCALL.vcpu_op, HYPERCALL.event_channel_op, HYPERCALL.sched_op, HYPERCALL.domctl];

export const HVM_HYPERCALL_TABLE: Record<number, HypercallHandler> = {
  [HYPERCALL.memory_op]: hvmMemoryOp,
  [HYPERCALL.hvm_op]: hvmOp,
};
for (const nr of SHARED) HVM_HYPERCALL_TABLE[nr] = HYPERCALL_TABLE[nr];
HVM_HYPERCALL_TABLE[HYPERCALL.multicall] = makeMulticall(HVM_HYPERCALL_TABLE);
