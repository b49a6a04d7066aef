/**
 * The device models as a dom0 service (QEMU's main loop in dom0): woken by the ioreq event
 * channels Xen notifies, it takes the ready requests of every HVM domain it serves, emulates
 * them and notifies each back, all as dom0's vCPU 0 and in its time: every request served costs
 * DM_COST virtual instructions of dom0's pCPU (the trace shows the 'dm' step and the
 * EVTCHNOP_send as d0v0's).
 */
import type { Hypervisor } from '../hypervisor';
import type { Vcpu } from '../domain';

/** virtual instructions dom0 spends emulating one request */
export const DM_COST = 400;

/** What the service needs of an ioreq server (hvm/ioreq.ts). */
export interface ServedIoreqs {
  hasWork(): boolean;
  /** serve one request as `dm` (dom0's vCPU); false when none was ready */
  serveNext(dm: Vcpu): boolean;
}

const started = new WeakSet<Hypervisor>();

/** Register the service with dom0 once per hypervisor; `servers` lists the ioreq servers now alive. */
export function startDeviceModelService(hv: Hypervisor, servers: () => Iterable<ServedIoreqs>): void {
  if (started.has(hv)) return;
  started.add(hv);
  hv.dom0Services.push({
    hasWork: () => {
      for (const s of servers()) if (s.hasWork()) return true;
      return false;
    },
    step: (v) => {
      for (const s of servers()) if (s.hasWork() && s.serveNext(v)) return DM_COST;
      // never free: the run loop must advance even if the work vanished meanwhile
      return 1;
    },
  });
}
