/**
 * The machine factory the front ends use by default: the hypervisor's XenSystem (dom0, whose
 * toolstack creates the configured domUs). Kept in one place so the standalone adapter,
 * `xensim dap` and the extension agree.
 */
import { XenSystem } from '../xen/system';
import type { MachineFactory } from './machine';

export const defaultMachine: MachineFactory = (req) => new XenSystem(req.configs, { pcpus: req.pcpus, memoryMiB: req.memoryMiB });
