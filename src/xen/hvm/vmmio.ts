/**
 * The platform devices Xen itself emulates for every HVM guest (no device model involved),
 * reached through EPT violations on their MMIO pages: the local APIC (xen/arch/x86/hvm/vlapic.c)
 * at 0xFEE00000, the IO-APIC (vioapic.c) at 0xFEC00000 and the HPET (hpet.c) at 0xFED00000.
 * Registers read back what was written and report Xen's identification values; they raise no
 * interrupts yet (the PIC is the interrupt source of this simulator's HVM guests).
 */
import type { AccessSize } from '../../cpu/platform';

export interface MmioDevice {
  name: string;
  base: number;
  size: number;
  read(off: number, size: AccessSize): number;
  write(off: number, size: AccessSize, value: number): void;
  /** the registers as plain data (snapshots) */
  save(): unknown;
  restore(state: unknown): void;
}

export const APIC_DEFAULT_BASE = 0xfee00000;
export const IOAPIC_BASE = 0xfec00000;
export const HPET_BASE = 0xfed00000;

/** VLAPIC_VERSION: version 0x14, max LVT 5 */
const VLAPIC_VERSION = 0x00050014;

export function vlapic(vcpuId: number): MmioDevice {
  const regs = new Uint32Array(0x100);
  const r = (off: number) => off >> 2;
  regs[r(0x20)] = (vcpuId * 2) << 24; // Xen gives vCPU n the APIC ID 2n
  regs[r(0x30)] = VLAPIC_VERSION;
  regs[r(0xe0)] = 0xffffffff; // DFR: flat
  regs[r(0xf0)] = 0xff; // SVR: software-disabled, spurious vector 0xff
  for (const lvt of [0x320, 0x330, 0x340, 0x350, 0x360, 0x370]) regs[r(lvt)] = 0x10000; // masked
  const readOnly = new Set([0x20, 0x30, 0xa0]);
  return {
    name: 'vlapic',
    base: APIC_DEFAULT_BASE,
    size: 0x1000,
    read: (off) => (off & 0xf ? 0 : regs[r(off & 0xff0)]),
    write: (off, _s, v) => {
      off &= 0xff0;
      if (readOnly.has(off) || off === 0xb0) return; // EOI: nothing in service to end here
      regs[r(off)] = v >>> 0;
    },
    save: () => regs.slice(),
    restore: (st) => regs.set(st as Uint32Array),
  };
}

/** VIOAPIC_VERSION_ID 0x11 with 48 pins (Xen's default for HVM guests) */
const VIOAPIC_PINS = 48;

export function vioapic(): MmioDevice {
  let sel = 0;
  const redir = new Uint32Array(VIOAPIC_PINS * 2);
  for (let i = 0; i < VIOAPIC_PINS; i++) redir[i * 2] = 0x10000; // masked
  let id = 0;
  const reg = (): number => {
    if (sel === 0) return id;
    if (sel === 1) return (((VIOAPIC_PINS - 1) << 16) | 0x11) >>> 0;
    if (sel === 2) return id;
    const i = sel - 0x10;
    return i >= 0 && i < redir.length ? redir[i] : 0xffffffff;
  };
  return {
    name: 'vioapic',
    base: IOAPIC_BASE,
    size: 0x1000,
    read: (off) => (off === 0 ? sel : off === 0x10 ? reg() : 0xffffffff),
    write: (off, _s, v) => {
      if (off === 0) sel = v & 0xff;
      else if (off === 0x10) {
        if (sel === 0) id = v & 0x0f000000;
        else if (sel >= 0x10 && sel - 0x10 < redir.length) redir[sel - 0x10] = v >>> 0;
      }
    },
    save: () => ({ sel, id, redir: redir.slice() }),
    restore: (st) => {
      const x = st as { sel: number; id: number; redir: Uint32Array };
      sel = x.sel;
      id = x.id;
      redir.set(x.redir);
    },
  };
}

/** Xen's HPET ticks at 1/16 ns⁻¹·16 = 62.5 MHz: 16 ns = 16,000,000 fs per tick. */
const HPET_PERIOD_FS = 16_000_000;
const HPET_TIMERS = 3;

export function vhpet(now: () => number): MmioDevice {
  // capabilities: vendor 0x8086, LegacyReplacement capable, 64-bit counter, 3 timers, revision 1
  const capLo = (0x8086 << 16) | 0x8000 | 0x2000 | ((HPET_TIMERS - 1) << 8) | 1;
  let config = 0;
  let counterBase = 0;
  let enabledAt = -1;
  const counter = (): bigint => BigInt(counterBase) + (enabledAt >= 0 ? BigInt(Math.floor((now() - enabledAt) / 16)) : 0n);
  const regs = new Map<number, number>();
  return {
    name: 'vhpet',
    base: HPET_BASE,
    size: 0x400,
    read: (off) => {
      switch (off) {
        case 0x00: return capLo >>> 0;
        case 0x04: return HPET_PERIOD_FS;
        case 0x10: return config;
        case 0xf0: return Number(counter() & 0xffffffffn);
        case 0xf4: return Number((counter() >> 32n) & 0xffffffffn);
        default: return regs.get(off) ?? 0;
      }
    },
    write: (off, _s, v) => {
      if (off === 0x10) {
        const was = config & 1;
        config = v & 3;
        if (!was && config & 1) enabledAt = now();
        if (was && !(config & 1)) {
          counterBase = Number(counter() & 0xffffffffn);
          enabledAt = -1;
        }
      } else if (off === 0xf0) counterBase = v >>> 0;
      else if (off >= 0x100) regs.set(off, v >>> 0);
    },
    save: () => ({ config, counterBase, enabledAt, regs: [...regs] }),
    restore: (st) => {
      const x = st as { config: number; counterBase: number; enabledAt: number; regs: [number, number][] };
      config = x.config;
      counterBase = x.counterBase;
      enabledAt = x.enabledAt;
      regs.clear();
      for (const [k, v] of x.regs) regs.set(k, v);
    },
  };
}
