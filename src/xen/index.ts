// The hypervisor layer's public face for front ends (CLI, debugger, extension): build a system
// from xl configs and read it through the Inspectable contract.
export { XenSystem } from './system';
export type { SystemOptions } from './system';
export type * from './inspect';
export { loadKernel, KernelError } from './kernel';
export { DOM0_NAME } from './dom0/toolstack';
export { QUANTUM } from './hypervisor';
