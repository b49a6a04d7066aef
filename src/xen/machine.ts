/**
 * The simulated host: machine memory as sparse 4 KiB frames (allocated on first touch), the
 * pCPU count and the virtual clock. Implements the CPU's MemoryBus so every vCPU's Cpu reads
 * machine addresses directly (PV guests keep machine frame numbers in their page tables).
 */
import { AccessSize, FRAME_SHIFT, FRAME_SIZE, MemoryBus } from '../cpu/platform';

export const PAGE_SHIFT = FRAME_SHIFT;
export const PAGE_SIZE = FRAME_SIZE;

export interface MachineOptions {
  pcpus?: number;
  /** machine memory in MiB (default 512) */
  memoryMiB?: number;
  /** virtual nanoseconds per retired instruction (default 1: a 1000 MIPS machine) */
  nsPerInstruction?: number;
}

export class Machine implements MemoryBus {
  readonly pcpus: number;
  readonly nrFrames: number;
  readonly nsPerInstruction: number;
  private frames = new Map<number, Uint8Array>();
  private gens = new Map<number, number>();

  constructor(opts: MachineOptions = {}) {
    this.pcpus = opts.pcpus ?? 2;
    this.nrFrames = ((opts.memoryMiB ?? 512) << 20) / PAGE_SIZE;
    this.nsPerInstruction = opts.nsPerInstruction ?? 1;
    if (!Number.isInteger(this.pcpus) || this.pcpus < 1 || this.pcpus > 64) throw new RangeError(`pcpus must be 1..64, got ${opts.pcpus}`);
    if (!Number.isInteger(this.nrFrames) || this.nrFrames < 4096) throw new RangeError(`memory must be at least 16 MiB, got ${opts.memoryMiB}`);
  }

  frame(mfn: number, write: boolean): Uint8Array | null {
    if (mfn < 0 || mfn >= this.nrFrames) return null;
    let f = this.frames.get(mfn);
    if (!f) {
      f = new Uint8Array(PAGE_SIZE);
      this.frames.set(mfn, f);
    }
    if (write) this.gens.set(mfn, ((this.gens.get(mfn) ?? 0) + 1) | 0);
    return f;
  }

  /** A frame's bytes if it was ever touched, else null (reads as zeros); never allocates. */
  peek(mfn: number): Uint8Array | null {
    return this.frames.get(mfn) ?? null;
  }

  generation(mfn: number): number {
    return this.gens.get(mfn) ?? 0;
  }

  /** Nothing but RAM on this machine: holes read as all ones. */
  mmioRead(_addr: number, size: AccessSize): number {
    return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
  }

  mmioWrite(): void {}

  /** A frame's bytes for Xen to write (bumps the code-cache generation). */
  writable(mfn: number): Uint8Array {
    const f = this.frame(mfn, true);
    if (!f) throw new RangeError(`mfn 0x${mfn.toString(16)} outside machine memory`);
    return f;
  }

  readable(mfn: number): Uint8Array {
    const f = this.frame(mfn, false);
    if (!f) throw new RangeError(`mfn 0x${mfn.toString(16)} outside machine memory`);
    return f;
  }

  /** Drop a frame's contents (freed memory reads as zeros again). */
  scrub(mfn: number): void {
    if (this.frames.delete(mfn)) this.gens.set(mfn, ((this.gens.get(mfn) ?? 0) + 1) | 0);
  }

  read32(ma: number): number {
    const f = this.readable(Math.floor(ma / PAGE_SIZE));
    const o = ma & 0xfff;
    return (f[o] | (f[o + 1] << 8) | (f[o + 2] << 16) | (f[o + 3] << 24)) >>> 0;
  }

  write32(ma: number, v: number): void {
    const f = this.writable(Math.floor(ma / PAGE_SIZE));
    const o = ma & 0xfff;
    f[o] = v;
    f[o + 1] = v >>> 8;
    f[o + 2] = v >>> 16;
    f[o + 3] = v >>> 24;
  }

  /** Deep copy of memory contents (generations included, so cached code stays coherent). */
  saveMemory(): { frames: Map<number, Uint8Array>; gens: Map<number, number> } {
    const frames = new Map<number, Uint8Array>();
    for (const [k, v] of this.frames) frames.set(k, v.slice());
    return { frames, gens: new Map(this.gens) };
  }

  restoreMemory(s: { frames: Map<number, Uint8Array>; gens: Map<number, number> }): void {
    // Frames are restored in place where they exist: vCPU TLBs hold views of them.
    for (const [k, f] of this.frames) {
      const saved = s.frames.get(k);
      if (saved) f.set(saved);
      else f.fill(0);
    }
    for (const [k, v] of s.frames) if (!this.frames.has(k)) this.frames.set(k, v.slice());
    // Every generation moves on so no CPU trusts code decoded after the snapshot.
    const gens = new Map<number, number>();
    for (const k of new Set([...this.gens.keys(), ...s.gens.keys(), ...this.frames.keys()])) {
      gens.set(k, (Math.max(this.gens.get(k) ?? 0, s.gens.get(k) ?? 0) + 1) | 0);
    }
    this.gens = gens;
  }
}
