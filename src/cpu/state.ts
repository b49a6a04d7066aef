/**
 * The complete architectural state of a Cpu as plain JSON-able data (snapshot/restore), so a
 * hypervisor can save a whole machine. Numbers are unsigned where the architecture is.
 */
import { SegmentCache } from './segments';

export interface CpuState {
  /** EAX ECX EDX EBX ESP EBP ESI EDI. */
  r: number[];
  eip: number;
  eflags: number;
  /** ES CS SS DS FS GS with their hidden descriptor caches. */
  seg: SegmentCache[];
  gdtr: { base: number; limit: number };
  idtr: { base: number; limit: number };
  ldtr: SegmentCache;
  tr: SegmentCache;
  /** CR0, (CR1 unused), CR2, CR3, CR4. */
  cr: number[];
  dr: number[];
  efer: number;
  /** PAE PDPTE registers (low, high dword × 4); absent in snapshots from before PAE. */
  pdpte?: number[];
  /** A #DB trap due before the next instruction: DR6 bits (B0–B3, BS). */
  pendingDebug?: number;
  /** Decimal string (bigint is not JSON). */
  tscOffset: string;
  /** SYSENTER_CS, SYSENTER_ESP, SYSENTER_EIP. */
  sysenter: [number, number, number];
  cpl: number;
  halted: boolean;
  shutdown: boolean;
  /** Vector pending on the interrupt line, or -1. */
  irq: number;
  shadow: number;
  /** between an NMI's delivery and the next iret (absent: false) */
  nmiBlocked?: boolean;
  retiredTotal: number;
}

export function emptyCpuState(): CpuState {
  return {
    r: [],
    eip: 0,
    eflags: 2,
    seg: [],
    gdtr: { base: 0, limit: 0 },
    idtr: { base: 0, limit: 0 },
    ldtr: { sel: 0, base: 0, limit: 0, attr: 0 },
    tr: { sel: 0, base: 0, limit: 0, attr: 0 },
    cr: [],
    dr: [],
    efer: 0,
    tscOffset: '0',
    sysenter: [0, 0, 0],
    cpl: 0,
    halted: false,
    shutdown: false,
    irq: -1,
    shadow: 0,
    retiredTotal: 0,
  };
}
