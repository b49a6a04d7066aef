/**
 * Names an expression can use: a vCPU's registers (read from a CpuState) and Xen's constants
 * (from the ABI tables, so `EVTCHNOP_send` means what the headers say).
 */
import type { CpuState } from '../cpu/state';
import { FAMILIES, XEN_CONST } from '../xen/abi';

export const GPR32 = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'] as const;
const GPR16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
const GPR8 = ['al', 'cl', 'dl', 'bl', 'ah', 'ch', 'dh', 'bh'];
export const SEGMENT_NAMES = ['es', 'cs', 'ss', 'ds', 'fs', 'gs'] as const;

/** EFLAGS bits by their Intel names, lowest first; IOPL is two bits wide. */
export const EFLAGS_BITS: ReadonlyArray<{ name: string; bit: number; width?: number; what: string }> = [
  { name: 'CF', bit: 0, what: 'carry' },
  { name: 'PF', bit: 2, what: 'parity' },
  { name: 'AF', bit: 4, what: 'auxiliary carry' },
  { name: 'ZF', bit: 6, what: 'zero' },
  { name: 'SF', bit: 7, what: 'sign' },
  { name: 'TF', bit: 8, what: 'trap' },
  { name: 'IF', bit: 9, what: 'interrupt enable' },
  { name: 'DF', bit: 10, what: 'direction' },
  { name: 'OF', bit: 11, what: 'overflow' },
  { name: 'IOPL', bit: 12, width: 2, what: 'I/O privilege level' },
  { name: 'NT', bit: 14, what: 'nested task' },
  { name: 'RF', bit: 16, what: 'resume' },
  { name: 'VM', bit: 17, what: 'virtual-8086 mode' },
  { name: 'AC', bit: 18, what: 'alignment check' },
  { name: 'VIF', bit: 19, what: 'virtual interrupt' },
  { name: 'VIP', bit: 20, what: 'virtual interrupt pending' },
  { name: 'ID', bit: 21, what: 'CPUID available' },
];

export function fieldOf(value: number, bit: number, width = 1): number {
  return (value >>> bit) & ((1 << width) - 1);
}

/** The value of register `name` (any case) in `s`, or undefined when it is not a register. */
export function registerValue(s: CpuState, name: string): number | undefined {
  const n = name.toLowerCase();
  let i = GPR32.indexOf(n as (typeof GPR32)[number]);
  if (i >= 0) return s.r[i] >>> 0;
  i = GPR16.indexOf(n);
  if (i >= 0) return s.r[i] & 0xffff;
  i = GPR8.indexOf(n);
  if (i >= 0) return i < 4 ? s.r[i] & 0xff : (s.r[i - 4] >>> 8) & 0xff;
  if (n === 'eip') return s.eip >>> 0;
  if (n === 'eflags') return s.eflags >>> 0;
  if (n === 'cpl') return s.cpl;
  i = SEGMENT_NAMES.indexOf(n as (typeof SEGMENT_NAMES)[number]);
  if (i >= 0) return s.seg[i]?.sel ?? 0;
  let m = /^cr([0234])$/.exec(n);
  if (m) return (s.cr[Number(m[1])] ?? 0) >>> 0;
  m = /^dr([0-7])$/.exec(n);
  if (m) return (s.dr[Number(m[1])] ?? 0) >>> 0;
  const flag = EFLAGS_BITS.find((f) => f.name.toLowerCase() === n);
  if (flag) return fieldOf(s.eflags, flag.bit, flag.width);
  return undefined;
}

let constants: Map<string, number> | undefined;

/** `EVTCHNOP_send` → 4, `__HYPERVISOR_console_io` → 18, `FLAT_RING1_CS` → 0xe019 … */
export function xenConstant(name: string): number | undefined {
  if (!constants) {
    constants = new Map();
    for (const fam of Object.values(FAMILIES)) {
      for (const [k, v] of Object.entries(fam.values as Record<string, number>)) constants.set(fam.prefix + k, v >>> 0);
    }
    for (const [k, v] of Object.entries(XEN_CONST as Record<string, number>)) constants.set(k, v >>> 0);
  }
  return constants.get(name);
}
