// sched_op and set_timer_op (xen/common/sched/core.c).
import { SCHEDOP, SHUTDOWN, keyOf } from '../abi';
import type { HypercallContext } from './types';
import { fail, u32, u64 } from './util';

export function schedOp(ctx: HypercallContext): number {
  const [cmd, arg] = ctx.args;
  const { hv, vcpu, domain } = ctx;
  switch (cmd) {
    case SCHEDOP.yield:
      hv.sched.yield(vcpu);
      return 0;
    case SCHEDOP.block: {
      // local_event_delivery_enable, then block unless an event is already waiting
      const si = hv.shared(domain);
      si.setUpcallMask(vcpu.id, 0);
      if (!si.upcallPending(vcpu.id)) hv.block(vcpu);
      return 0;
    }
    case SCHEDOP.shutdown: {
      const reason = ctx.mem.read32(arg);
      const name = keyOf('SHUTDOWN', reason);
      if (name === undefined || reason === SHUTDOWN.soft_reset) fail('EINVAL', `unknown shutdown reason ${reason}`);
      hv.shutdown(domain, name, reason);
      return 0;
    }
    case SCHEDOP.shutdown_code: {
      const reason = ctx.mem.read32(arg);
      if (keyOf('SHUTDOWN', reason) === undefined) fail('EINVAL', `unknown shutdown reason ${reason}`);
      domain.shutdownCode = reason;
      return 0;
    }
    case SCHEDOP.poll: {
      const b = ctx.mem.read(arg, 16);
      const ports = u32(b, 0);
      const n = u32(b, 4);
      const timeout = u64(b, 8);
      if (n > 128) fail('EINVAL', `poll on ${n} ports (max 128)`);
      const list: number[] = [];
      for (let i = 0; i < n; i++) {
        const p = ctx.mem.read32(ports + i * 4);
        if (p >= domain.evtchns.length) fail('EINVAL', `poll on port ${p} out of range`);
        list.push(p);
      }
      const si = hv.shared(domain);
      if (list.some((p) => si.pending(p))) return 0;
      if (timeout !== 0 && timeout <= hv.now()) return 0;
      vcpu.pollPorts = list;
      vcpu.pollDeadline = timeout === 0 ? -1 : timeout;
      hv.block(vcpu);
      return 0;
    }
    case SCHEDOP.remote_shutdown: {
      if (!domain.privileged) fail('EPERM', 'remote_shutdown is for the privileged domain');
      const b = ctx.mem.read(arg, 8);
      const target = hv.domains.get(u32(b, 0) & 0xffff);
      if (!target) fail('ESRCH', 'no such domain');
      const reason = u32(b, 4);
      const name = keyOf('SHUTDOWN', reason);
      if (!name) fail('EINVAL', `unknown shutdown reason ${reason}`);
      hv.shutdown(target, name, reason);
      return 0;
    }
    case SCHEDOP.watchdog:
    case SCHEDOP.pin_override:
      return fail('ENOSYS', `sched_op ${cmd}`);
    default:
      return fail('ENOSYS', `sched_op ${cmd}`);
  }
}

/** set_timer_op(timeout): a single-shot VIRQ_TIMER at system time `timeout` ns (0 stops it). */
export function setTimerOp(ctx: HypercallContext): number {
  const [lo, hi] = ctx.args;
  const deadline = hi * 0x100000000 + lo;
  if (deadline === 0) ctx.hv.timerStop(ctx.vcpu);
  else ctx.hv.timerSet(ctx.vcpu, deadline);
  return 0;
}
