/**
 * The machine layer's public surface: the processor, the platform interface it is hosted
 * through, the bare harness and the inspection helpers. Other layers may import from here or
 * from the individual modules.
 */
export { Cpu } from './cpu';
export type { RunResult, StopReason } from './cpu';
export * from './consts';
export type { AccessSize, CpuEvent, CpuidResult, EventKind, MemoryBus, MsrValue, Platform, VmcallResult } from './platform';
export { FRAME_SHIFT, FRAME_SIZE } from './platform';
export type { CpuState } from './state';
export type { SegmentCache } from './segments';
export { parseDescriptor, setSegment } from './segments';
export { BarePlatform, FlatRam, bareCpuid, enterFlatProtectedMode, installFlatGdt } from './bare';
export { decodeCr0, decodeCr4, decodeEflags, linearToPhysical, registerView, segmentView } from './inspect';
export type { RegisterView, SegmentView } from './inspect';
export { Vec, hasErrorCode } from './fault';
export { PF_P, PF_W, PF_U, PF_RSVD, PF_I, EFER_NXE } from './paging';
export { vectorName } from './exceptions';
export { DR6_BS } from './debug';
