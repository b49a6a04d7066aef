/**
 * The bare harness platform: flat RAM at physical 0, port 0xE9 as a byte console, no devices.
 * Used by tests, the differential test, benchmarks and `xensim exec`.
 */
import { AccessSize, CpuEvent, CpuidResult, FRAME_SHIFT, FRAME_SIZE, MemoryBus, MsrValue, Platform, VmcallResult } from './platform';
import { Cpu, CS, DS, ES, FS, GS, SS } from './cpu';
import { setSegment } from './segments';

/** RAM of `size` bytes at physical 0; everything above reads as 0xff (an empty bus). */
export class FlatRam implements MemoryBus {
  readonly bytes: Uint8Array;
  private readonly frames: Uint8Array[] = [];
  private readonly gens: Uint32Array;

  constructor(size: number) {
    const n = Math.ceil(size / FRAME_SIZE);
    this.bytes = new Uint8Array(n * FRAME_SIZE);
    for (let i = 0; i < n; i++) this.frames.push(this.bytes.subarray(i * FRAME_SIZE, (i + 1) * FRAME_SIZE));
    this.gens = new Uint32Array(n);
  }

  frame(pfn: number, write: boolean): Uint8Array | null {
    const f = this.frames[pfn];
    if (f === undefined) return null;
    if (write) this.gens[pfn]++;
    return f;
  }

  generation(pfn: number): number {
    return pfn < this.gens.length ? this.gens[pfn] : 0;
  }

  mmioRead(_addr: number, size: AccessSize): number {
    return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
  }

  mmioWrite(): void {}

  /** Copy bytes into RAM the way any non-CPU writer must: through frame(pfn, true). */
  load(addr: number, data: Uint8Array): void {
    for (let k = 0; k < data.length; ) {
      const a = addr + k;
      const f = this.frame(a >>> FRAME_SHIFT, true);
      const o = a & (FRAME_SIZE - 1);
      const n = Math.min(FRAME_SIZE - o, data.length - k);
      if (!f) throw new Error(`load: address 0x${a.toString(16)} is outside RAM`);
      f.set(data.subarray(k, k + n), o);
      k += n;
    }
  }
}

/** CPUID of the bare machine: a family-6 IA-32 processor without FPU/SSE (not modelled). */
export function bareCpuid(leaf: number): CpuidResult {
  switch (leaf) {
    case 0:
      // "GenuineIntel"
      return { eax: 1, ebx: 0x756e6547, edx: 0x49656e69, ecx: 0x6c65746e };
    case 1:
      // TSC, MSR, PAE, CX8, SEP, PGE, CMOV, PSE, DE
      return { eax: 0x663, ebx: 0, ecx: 0, edx: (1 << 4) | (1 << 5) | (1 << 6) | (1 << 8) | (1 << 11) | (1 << 13) | (1 << 15) | (1 << 3) | (1 << 2) };
    case 0x80000000:
      return { eax: 0x80000008, ebx: 0, ecx: 0, edx: 0 };
    case 0x80000001:
      // NX (execute-disable with PAE paging and EFER.NXE)
      return { eax: 0, ebx: 0, ecx: 0, edx: 1 << 20 };
    case 0x80000008:
      // MAXPHYADDR 32, 32-bit linear addresses: physical bits 32+ in PAE entries are reserved.
      return { eax: 0x2020, ebx: 0, ecx: 0, edx: 0 };
    default:
      return { eax: 0, ebx: 0, ecx: 0, edx: 0 };
  }
}

export class BarePlatform implements Platform {
  readonly bus: FlatRam;
  /** Bytes written to port 0xE9. */
  readonly console: number[] = [];
  /** Optional event interception (tests use it to observe exceptions). */
  intercept?: (event: CpuEvent) => boolean;
  /** Optional: told when the CPU shuts down (triple fault). */
  shutdown?: (reason: string) => void;
  constructor(ramSize = 16 << 20) {
    this.bus = new FlatRam(ramSize);
  }
  ioRead(_port: number, size: AccessSize): number {
    return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
  }
  ioWrite(port: number, _size: AccessSize, value: number): void {
    if (port === 0xe9) this.console.push(value & 0xff);
  }
  rdmsr(): MsrValue {
    return 'fault';
  }
  wrmsr(): boolean {
    return false;
  }
  cpuid(leaf: number): CpuidResult {
    return bareCpuid(leaf);
  }
  vmcall(_kind: 'vmcall' | 'vmmcall'): VmcallResult {
    return 'ud';
  }
  consoleText(): string {
    return Buffer.from(this.console).toString('latin1');
  }
}

/**
 * Put the CPU in 32-bit flat protected mode at `cpl` without a GDT in memory (hidden caches
 * only, as after a mode switch): CS 0x08/0x1b, data 0x10/0x23, paging off, IF=0.
 */
export function enterFlatProtectedMode(cpu: Cpu, eip: number, esp: number, cpl = 0): void {
  cpu.cr0 = 0x60000011 | 0;
  cpu.cpl = cpl;
  const dpl = cpl << 5;
  setSegment(cpu, CS, cpl === 0 ? 0x08 : 0x1b, 0, 0xffffffff, 0xc09b | dpl);
  for (const s of [SS, DS, ES, FS, GS]) setSegment(cpu, s, cpl === 0 ? 0x10 : 0x23, 0, 0xffffffff, 0xc093 | dpl);
  cpu.setEflags(0x2);
  cpu.eip = eip | 0;
  cpu.r[4] = esp | 0;
  cpu.modeChanged();
  cpu.flushTlb();
}

/** Write a flat GDT (null, code 0x08, data 0x10, user code 0x1b, user data 0x23) at `addr` and point GDTR at it. */
export function installFlatGdt(cpu: Cpu, ram: FlatRam, addr: number): void {
  const gdt = new Uint8Array(40);
  const dv = new DataView(gdt.buffer);
  const desc = (i: number, access: number) => {
    dv.setUint32(i * 8, 0x0000ffff, true);
    dv.setUint32(i * 8 + 4, 0x00cf0000 | (access << 8), true);
  };
  desc(1, 0x9b);
  desc(2, 0x93);
  desc(3, 0xfb);
  desc(4, 0xf3);
  ram.load(addr, gdt);
  cpu.gdtrBase = addr;
  cpu.gdtrLimit = 39;
}
