// vcpu_op (xen/common/domain.c, xen/arch/x86/domain.c): bring vCPUs up and down, timers,
// runstate. VCPUOP_initialise takes a vcpu_guest_context as Xen's PV ABI defines it.
import { VCPUOP, offsetOf, sizeOf } from '../abi';
import type { HypercallContext } from './types';
import { fail, u32, u64 } from './util';
import { PAGE_SIZE } from '../machine';

const RUNSTATE_NUM = { running: 0, runnable: 1, blocked: 2, offline: 3 } as const;

export function vcpuOp(ctx: HypercallContext): number {
  const [cmd, id, arg] = ctx.args;
  const { hv, domain: d, mem } = ctx;
  const v = d.vcpus[id];
  if (!v) fail('ENOENT', `d${d.id} has no vcpu ${id}`);
  switch (cmd) {
    case VCPUOP.initialise: {
      if (v.up) fail('EEXIST', `vcpu ${id} is already up`);
      // vcpu_guest_context: user_regs (eip, esp, cs …), ctrlreg[3] (cr3 as an mfn<<12 in xen_cr3 form), kernel_ss/sp, callbacks
      const b = mem.read(arg, sizeOf('vcpu_guest_context'));
      const o = (f: Parameters<typeof offsetOf<'vcpu_guest_context'>>[1]) => offsetOf('vcpu_guest_context', f);
      const eip = u32(b, o('user_regs.eip'));
      const esp = u32(b, o('user_regs.esp'));
      const esi = u32(b, o('user_regs.esi'));
      const cr3 = u32(b, o('ctrlreg') + 12);
      // PAE guests pass cr3 in Xen's "extended" form: mfn in bits 12.. rotated; both forms are the mfn << 12 for mfns < 2^20
      const l3 = Math.floor(cr3 / PAGE_SIZE) || v.domain.vcpus[0].baseMfn;
      hv.mm.getPageAndType(l3, 'l3', d.id);
      v.baseMfn = l3;
      hv.initVcpuContext(v, { eip, esp, esi, l3mfn: l3 });
      v.kernelSs = u32(b, o('kernel_ss')) & 0xffff;
      v.kernelSp = u32(b, o('kernel_sp'));
      const evCs = u32(b, o('event_callback_cs'));
      const evEip = u32(b, o('event_callback_eip'));
      if (evEip) v.eventCallback = { cs: evCs & 0xffff, eip: evEip, maskEvents: true };
      return 0;
    }
    case VCPUOP.up:
      if (!v.baseMfn) fail('EINVAL', `vcpu ${id} was never initialised`);
      if (!v.up) hv.vcpuUp(v);
      return 0;
    case VCPUOP.down:
      if (v.up) {
        v.up = false;
        hv.sched.sleep(v, 'offline');
      }
      return 0;
    case VCPUOP.is_up:
      return v.up ? 1 : 0;
    case VCPUOP.get_runstate_info: {
      const info = hv.vcpuInfo(v);
      const b = new Uint8Array(44);
      const dv = new DataView(b.buffer);
      dv.setInt32(0, RUNSTATE_NUM[info.runstate], true);
      const put64 = (o: number, x: number) => {
        dv.setUint32(o, x >>> 0, true);
        dv.setUint32(o + 4, Math.floor(x / 0x100000000) >>> 0, true);
      };
      put64(4, v.runstateEntry);
      put64(12, info.runstateTime.running);
      put64(20, info.runstateTime.runnable);
      put64(28, info.runstateTime.blocked);
      put64(36, info.runstateTime.offline);
      mem.write(arg, b);
      return 0;
    }
    case VCPUOP.set_singleshot_timer: {
      if (v !== ctx.vcpu) fail('EINVAL', 'only the calling vCPU may set its single-shot timer');
      const b = mem.read(arg, 12);
      const t = u64(b, 0);
      const flags = u32(b, 8);
      if (flags & 1 && t < hv.now()) fail('ETIME', 'timeout already passed (VCPU_SSHOTTMR_future)');
      hv.timerSet(v, t);
      return 0;
    }
    case VCPUOP.stop_singleshot_timer:
      if (v !== ctx.vcpu) fail('EINVAL', 'only the calling vCPU may stop its single-shot timer');
      hv.timerStop(v);
      return 0;
    case VCPUOP.set_periodic_timer: {
      const period = u64(mem.read(arg, 8), 0);
      if (period < 1_000_000) fail('EINVAL', 'period under 1 ms');
      v.periodicNs = period;
      v.periodicNext = hv.now() + period;
      return 0;
    }
    case VCPUOP.stop_periodic_timer:
      v.periodicNs = 0;
      v.periodicNext = -1;
      return 0;
    default:
      return fail('ENOSYS', `vcpu_op cmd ${cmd}`);
  }
}
