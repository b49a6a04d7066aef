// The hypercall table: Xen's number → handler, one module per family. Numbers not here
// answer -ENOSYS, as Xen's table does for unimplemented slots.
import { HYPERCALL } from '../abi';
import type { HypercallHandler } from './types';
import { consoleIo } from './console';
import { xenVersion } from './version';
import { schedOp, setTimerOp } from './sched';
import { callbackOp, fpuTaskswitch, iret, setCallbacks, setGdt, setTrapTable, stackSwitch, updateDescriptor, vmAssist } from './traps';
import { mmuUpdate, mmuextOp, updateVaMapping } from './mmu';
import { memoryOp } from './memory';
import { eventChannelOp } from './evtchn';
import { vcpuOp } from './vcpu';
import { domctl } from './domctl';
import { makeMulticall } from './multicall';
import { grantTableOp } from './grant_table';

export const HYPERCALL_TABLE: Record<number, HypercallHandler> = {
  [HYPERCALL.set_trap_table]: setTrapTable,
  [HYPERCALL.mmu_update]: mmuUpdate,
  [HYPERCALL.set_gdt]: setGdt,
  [HYPERCALL.stack_switch]: stackSwitch,
  [HYPERCALL.set_callbacks]: setCallbacks,
  [HYPERCALL.fpu_taskswitch]: fpuTaskswitch,
  [HYPERCALL.set_timer_op]: setTimerOp,
  [HYPERCALL.memory_op]: memoryOp,
  [HYPERCALL.update_descriptor]: updateDescriptor,
  [HYPERCALL.update_va_mapping]: updateVaMapping,
  [HYPERCALL.console_io]: consoleIo,
  [HYPERCALL.xen_version]: xenVersion,
  [HYPERCALL.vm_assist]: vmAssist,
  [HYPERCALL.iret]: iret,
  [HYPERCALL.vcpu_op]: vcpuOp,
  [HYPERCALL.mmuext_op]: mmuextOp,
  [HYPERCALL.callback_op]: callbackOp,
  [HYPERCALL.event_channel_op]: eventChannelOp,
  [HYPERCALL.sched_op]: schedOp,
  [HYPERCALL.domctl]: domctl,
  [HYPERCALL.grant_table_op]: grantTableOp,
};
HYPERCALL_TABLE[HYPERCALL.multicall] = makeMulticall(HYPERCALL_TABLE);
