/**
 * The machine factory the front ends use by default: the hypervisor's, once it is linked in.
 * Kept in one place so the standalone adapter, `xensim dap` and the extension agree.
 */
import { MachineFactory, unavailableMachine } from './machine';

export const defaultMachine: MachineFactory = unavailableMachine;
