// VMX basic exit reasons (Intel SDM vol. 3, appendix C) under the names Xen gives them in
// xen/arch/x86/include/asm/hvm/vmx/vmx.h, which xentrace/xenalyze print. Not in Xen's public
// headers, so they are listed here by hand.
export const EXIT_REASON = {
  EXCEPTION_NMI: 0,
  EXTERNAL_INTERRUPT: 1,
  TRIPLE_FAULT: 2,
  INIT: 3,
  SIPI: 4,
  IO_SMI: 5,
  OTHER_SMI: 6,
  PENDING_VIRT_INTR: 7,
  PENDING_VIRT_NMI: 8,
  TASK_SWITCH: 9,
  CPUID: 10,
  GETSEC: 11,
  HLT: 12,
  INVD: 13,
  INVLPG: 14,
  RDPMC: 15,
  RDTSC: 16,
  RSM: 17,
  VMCALL: 18,
  VMCLEAR: 19,
  VMLAUNCH: 20,
  VMPTRLD: 21,
  VMPTRST: 22,
  VMREAD: 23,
  VMRESUME: 24,
  VMWRITE: 25,
  VMXOFF: 26,
  VMXON: 27,
  CR_ACCESS: 28,
  DR_ACCESS: 29,
  IO_INSTRUCTION: 30,
  MSR_READ: 31,
  MSR_WRITE: 32,
  INVALID_GUEST_STATE: 33,
  MSR_LOADING: 34,
  MWAIT_INSTRUCTION: 36,
  MONITOR_TRAP_FLAG: 37,
  MONITOR_INSTRUCTION: 39,
  PAUSE_INSTRUCTION: 40,
  MCE_DURING_VMENTRY: 41,
  TPR_BELOW_THRESHOLD: 43,
  APIC_ACCESS: 44,
  EOI_INDUCED: 45,
  ACCESS_GDTR_OR_IDTR: 46,
  ACCESS_LDTR_OR_TR: 47,
  EPT_VIOLATION: 48,
  EPT_MISCONFIG: 49,
  INVEPT: 50,
  RDTSCP: 51,
  VMX_PREEMPTION_TIMER_EXPIRED: 52,
  INVVPID: 53,
  WBINVD: 54,
  XSETBV: 55,
  APIC_WRITE: 56,
  INVPCID: 58,
  VMFUNC: 59,
  PML_FULL: 62,
  XSAVES: 63,
  XRSTORS: 64,
} as const;

export type ExitReasonName = keyof typeof EXIT_REASON;

const BY_NUMBER = new Map<number, string>(Object.entries(EXIT_REASON).map(([k, v]) => [v, k]));

/** `EXIT_REASON_IO_INSTRUCTION` for 30, as xenalyze prints it; unknown numbers stay numeric. */
export function exitReasonName(reason: number): string {
  const n = BY_NUMBER.get(reason);
  return n ? `EXIT_REASON_${n}` : `EXIT_REASON_${reason}`;
}

/** Exit qualification of an I/O instruction (SDM table 28-5): size-1, IN, string, rep, port. */
export function ioQualification(port: number, size: number, isIn: boolean): number {
  return (((port & 0xffff) << 16) | (isIn ? 8 : 0) | ((size - 1) & 7)) >>> 0;
}

/** CR-access exit qualification (SDM table 28-3): CR number, access type, LMSW operand type, GPR, LMSW source. */
export const CR_ACCESS_TYPE = { 'mov-to': 0, 'mov-from': 1, clts: 2, lmsw: 3 } as const;

export function crAccessQualification(a: { type: keyof typeof CR_ACCESS_TYPE; cr: number; gpr: number; source?: number; memory?: boolean }): number {
  const gpr = a.gpr < 0 ? 0 : a.gpr & 0xf;
  const source = a.type === 'lmsw' ? (a.source ?? 0) & 0xffff : 0;
  return ((a.cr & 0xf) | (CR_ACCESS_TYPE[a.type] << 4) | (a.memory ? 0x40 : 0) | (gpr << 8) | (source << 16)) >>> 0;
}

/** Event types of the VM-exit interruption-information field (X86_EVENTTYPE_* in Xen). */
export const X86_EVENTTYPE = { EXT_INTR: 0, NMI: 2, HW_EXCEPTION: 3, SW_INTERRUPT: 4, PRI_SW_EXCEPTION: 5, SW_EXCEPTION: 6 } as const;

/** VM-exit interruption information (SDM table 24-15): vector, type, error code valid, valid. */
export function interruptionInfo(vector: number, type: number, errorCodeValid: boolean): number {
  return ((vector & 0xff) | ((type & 7) << 8) | (errorCodeValid ? 1 << 11 : 0) | (1 << 31)) >>> 0;
}

/** EPT violation qualification bits (SDM table 28-7): read, write, instruction fetch. */
export const EPT_QUAL = { READ: 1, WRITE: 2, FETCH: 4 } as const;

/** hvm/ioreq.h: ioreq_t.type and .dir, .state */
export const IOREQ_TYPE = { PIO: 0, COPY: 1 } as const;
export const IOREQ_DIR = { WRITE: 0, READ: 1 } as const;
export const IOREQ_STATE = { NONE: 0, READY: 1, INPROCESS: 2, IORESP_READY: 3 } as const;

/** hvm/params.h: HVM_PARAM_CALLBACK_IRQ's type in bits 63:56 */
export const HVM_PARAM_CALLBACK_TYPE = { GSI: 0, PCI_INTX: 1, VECTOR: 2 } as const;

/** hvm/start_info.h */
export const XEN_HVM_START_MAGIC_VALUE = 0x336ec578;
