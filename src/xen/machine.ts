/**
 * The simulated host: machine memory as sparse 4 KiB frames (allocated on first touch), the
 * pCPU count and the virtual clock. Implements the CPU's MemoryBus so every vCPU's Cpu reads
 * machine addresses directly (PV guests keep machine frame numbers in their page tables).
 *
 * Snapshots of memory are copy-on-write versions (versions.ts). The bus protocol already makes
 * every writer ask `frame(mfn, true)` before writing — the CPU drops its write TLB at the start
 * of each run, so its fast stores and the JIT's inline ones are covered by the request that
 * filled the entry — and that request is where a frame is marked dirty. Snapshots are taken
 * between runs, so a save copies exactly the frames written since the previous save or restore.
 */
import { AccessSize, FRAME_SHIFT, FRAME_SIZE, MemoryBus } from '../cpu/platform';
import { Version, VersionTracker } from './versions';

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
  private readonly gens: Int32Array;
  private readonly versions: VersionTracker<Uint8Array>;

  constructor(opts: MachineOptions = {}) {
    this.pcpus = opts.pcpus ?? 2;
    this.nrFrames = ((opts.memoryMiB ?? 512) << 20) / PAGE_SIZE;
    this.nsPerInstruction = opts.nsPerInstruction ?? 1;
    if (!Number.isInteger(this.pcpus) || this.pcpus < 1 || this.pcpus > 64) throw new RangeError(`pcpus must be 1..64, got ${opts.pcpus}`);
    if (!Number.isInteger(this.nrFrames) || this.nrFrames < 4096) throw new RangeError(`memory must be at least 16 MiB, got ${opts.memoryMiB}`);
    this.gens = new Int32Array(this.nrFrames);
    this.versions = new VersionTracker<Uint8Array>(this.nrFrames);
  }

  frame(mfn: number, write: boolean): Uint8Array | null {
    if (mfn < 0 || mfn >= this.nrFrames) return null;
    let f = this.frames.get(mfn);
    if (!f) {
      f = new Uint8Array(PAGE_SIZE);
      this.frames.set(mfn, f);
    }
    if (write) {
      this.gens[mfn] = (this.gens[mfn] + 1) | 0;
      this.versions.mark(mfn);
    }
    return f;
  }

  /** A frame's bytes if it was ever touched, else null (reads as zeros); never allocates. */
  peek(mfn: number): Uint8Array | null {
    return this.frames.get(mfn) ?? null;
  }

  generation(mfn: number): number {
    return this.gens[mfn];
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
    if (this.frames.delete(mfn)) {
      this.gens[mfn] = (this.gens[mfn] + 1) | 0;
      this.versions.mark(mfn);
    }
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

  /**
   * The memory as it is now, sharing every frame not written since the previous save or restore
   * with the version it came from. Saved bytes are never written afterwards.
   */
  saveMemory(): MemoryVersion {
    return this.versions.save((mfn, saved) => {
      const f = this.frames.get(mfn);
      if (!f) return undefined;
      if (saved ? sameBytes(saved, f) : allZero(f)) return saved;
      return f.slice();
    });
  }

  restoreMemory(v: MemoryVersion): void {
    this.versions.restore(v, (mfn, saved) => {
      // Frames are restored in place where they exist: vCPU TLBs hold views of them.
      const f = this.frames.get(mfn);
      if (saved) {
        if (f) f.set(saved);
        else this.frames.set(mfn, saved.slice());
      } else if (f) f.fill(0);
      else return;
      // the bytes changed under any decoded code of this frame
      this.gens[mfn] = (this.gens[mfn] + 1) | 0;
    });
  }

  /** Frames written since the last save or restore (what the next save will copy at most). */
  dirtyFrames(): number {
    return this.versions.dirtyCount;
  }
}

export type MemoryVersion = Version<Uint8Array>;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if ((a.byteOffset & 3) === 0 && (b.byteOffset & 3) === 0) {
    const x = new Int32Array(a.buffer, a.byteOffset, PAGE_SIZE >> 2);
    const y = new Int32Array(b.buffer, b.byteOffset, PAGE_SIZE >> 2);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  for (let i = 0; i < PAGE_SIZE; i++) if (a[i] !== b[i]) return false;
  return true;
}

function allZero(a: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) return false;
  return true;
}
