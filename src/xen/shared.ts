/**
 * shared_info and vcpu_info as Xen reads and writes them: straight in the domain's shared_info
 * machine frame, at the offsets of Xen's public headers.
 */
import { offsetOf } from './abi';
import { Machine, PAGE_SIZE } from './machine';
import type { Domain } from './domain';

const VCPU_INFO_SIZE = 64;
const PENDING = offsetOf('shared_info', 'evtchn_pending');
const MASK = offsetOf('shared_info', 'evtchn_mask');
const UPCALL_PENDING = offsetOf('vcpu_info', 'evtchn_upcall_pending');
const UPCALL_MASK = offsetOf('vcpu_info', 'evtchn_upcall_mask');
const PENDING_SEL = offsetOf('vcpu_info', 'evtchn_pending_sel');
const CR2 = offsetOf('vcpu_info', 'arch.cr2');
const TIME = offsetOf('vcpu_info', 'time');

export class SharedInfo {
  constructor(
    private readonly machine: Machine,
    private readonly d: Domain,
  ) {}

  private view(write: boolean): DataView {
    const f = write ? this.machine.writable(this.d.sharedInfoMfn) : this.machine.readable(this.d.sharedInfoMfn);
    return new DataView(f.buffer, f.byteOffset, PAGE_SIZE);
  }

  private bit(base: number, port: number): boolean {
    return ((this.view(false).getUint32(base + (port >>> 5) * 4, true) >>> (port & 31)) & 1) === 1;
  }

  private setBit(base: number, port: number, on: boolean): void {
    const dv = this.view(true);
    const o = base + (port >>> 5) * 4;
    const w = dv.getUint32(o, true);
    dv.setUint32(o, on ? (w | (1 << (port & 31))) >>> 0 : (w & ~(1 << (port & 31))) >>> 0, true);
  }

  pending(port: number): boolean {
    return this.bit(PENDING, port);
  }
  setPending(port: number, on: boolean): void {
    this.setBit(PENDING, port, on);
  }
  masked(port: number): boolean {
    return this.bit(MASK, port);
  }
  setMasked(port: number, on: boolean): void {
    this.setBit(MASK, port, on);
  }

  private vi(vcpu: number): number {
    return vcpu * VCPU_INFO_SIZE;
  }
  upcallPending(vcpu: number): number {
    return this.view(false).getUint8(this.vi(vcpu) + UPCALL_PENDING);
  }
  setUpcallPending(vcpu: number, v: number): void {
    this.view(true).setUint8(this.vi(vcpu) + UPCALL_PENDING, v);
  }
  upcallMask(vcpu: number): number {
    return this.view(false).getUint8(this.vi(vcpu) + UPCALL_MASK);
  }
  setUpcallMask(vcpu: number, v: number): void {
    this.view(true).setUint8(this.vi(vcpu) + UPCALL_MASK, v);
  }
  /** Sets the selector bit; returns whether it was clear before. */
  setPendingSel(vcpu: number, word: number): boolean {
    const dv = this.view(true);
    const o = this.vi(vcpu) + PENDING_SEL;
    const w = dv.getUint32(o, true);
    dv.setUint32(o, (w | (1 << word)) >>> 0, true);
    return !(w & (1 << word));
  }
  pendingSel(vcpu: number): number {
    return this.view(false).getUint32(this.vi(vcpu) + PENDING_SEL, true);
  }
  cr2(vcpu: number): number {
    return this.view(false).getUint32(this.vi(vcpu) + CR2, true);
  }
  setCr2(vcpu: number, cr2: number): void {
    this.view(true).setUint32(this.vi(vcpu) + CR2, cr2 >>> 0, true);
  }

  /**
   * vcpu_time_info with a 1 GHz TSC equal to system time: tsc_to_system_mul 2^31 with shift 1
   * makes system_time + ((tsc - tsc_timestamp) << 1) * mul >> 32 = ns. The version is odd while
   * the fields change, as Xen's update_vcpu_system_time does.
   */
  updateTime(vcpu: number, nowNs: number, tsc: number): void {
    const dv = this.view(true);
    const o = this.vi(vcpu) + TIME;
    const ver = dv.getUint32(o, true);
    dv.setUint32(o, (ver + 1) | 1, true);
    dv.setUint32(o + 8, tsc >>> 0, true);
    dv.setUint32(o + 12, Math.floor(tsc / 0x100000000) >>> 0, true);
    dv.setUint32(o + 16, nowNs >>> 0, true);
    dv.setUint32(o + 20, Math.floor(nowNs / 0x100000000) >>> 0, true);
    dv.setUint32(o + 24, 0x80000000, true);
    dv.setInt8(o + 28, 1);
    dv.setUint32(o, ((ver + 1) | 1) + 1, true);
  }

  /** Lowest pending, unmasked port whose selector bit is set for `vcpu` (for trace text). */
  firstPending(vcpu: number, nr: number): number {
    const sel = this.pendingSel(vcpu);
    for (let w = 0; w < 32 && w * 32 < nr; w++) {
      if (!(sel & (1 << w))) continue;
      for (let b = 0; b < 32; b++) {
        const p = w * 32 + b;
        if (this.pending(p) && !this.masked(p)) return p;
      }
    }
    return -1;
  }
}
