/**
 * How the debugger gets a simulated system to look at: a factory from checked domain configs
 * to an Inspectable. The hypervisor provides the real one; the session takes it as a
 * constructor argument so the extension (in process) and the standalone adapter share code.
 */
import type { DomainConfig } from '../xen/config';
import type { Inspectable } from '../xen/inspect';

export interface BootRequest {
  /** the domUs, checked; dom0 is the hypervisor's own */
  configs: DomainConfig[];
  pcpus?: number;
  /** machine memory, MiB */
  memoryMiB?: number;
}

/** Throws an Error whose message the user sees in the launch error response. */
export type MachineFactory = (request: BootRequest) => Inspectable;

/** Used until a hypervisor is linked in: says so plainly instead of failing obscurely. */
export const unavailableMachine: MachineFactory = () => {
  throw new Error('this build of xensim has no hypervisor to run domains on yet');
};
