// The hypercall table: Xen's number → handler, one module per family. Numbers not here
// answer -ENOSYS, as Xen's table does for unimplemented slots.
import { HYPERCALL } from '../abi';
import type { HypercallHandler } from './types';
import { consoleIo } from './console';
import { xenVersion } from './version';
import { schedOp, setTimerOp } from './sched';

export const HYPERCALL_TABLE: Record<number, HypercallHandler> = {
  [HYPERCALL.console_io]: consoleIo,
  [HYPERCALL.xen_version]: xenVersion,
  [HYPERCALL.sched_op]: schedOp,
  [HYPERCALL.set_timer_op]: setTimerOp,
};
