/**
 * Operand accessors built once at decode time and captured by an instruction's closure.
 * Values are unsigned masked for byte/word operands and int32 for dwords.
 */
import type { Cpu } from './cpu';

export interface Opnd {
  readonly isReg: boolean;
  /** Register number (isReg) — byte registers use 0-7 = AL CL DL BL AH CH DH BH. */
  readonly reg: number;
  /** Read. */
  get(): number;
  /** Read for read-modify-write: checks the write will succeed and remembers the address. */
  rmw(): number;
  /** Write back to the address remembered by rmw() (registers: plain write). */
  set(v: number): void;
  /** Write to a freshly computed address (pure destination such as mov). */
  put(v: number): void;
  /** Effective address (offset within the segment) — memory operands only. */
  ea(): number;
  readonly seg: number;
}

export function getReg(R: Int32Array, size: number, n: number): number {
  if (size === 2) return R[n];
  if (size === 1) return R[n] & 0xffff;
  return n < 4 ? R[n] & 0xff : (R[n - 4] >> 8) & 0xff;
}

export function setReg(R: Int32Array, size: number, n: number, v: number): void {
  if (size === 2) R[n] = v;
  else if (size === 1) R[n] = (R[n] & ~0xffff) | (v & 0xffff);
  else if (n < 4) R[n] = (R[n] & ~0xff) | (v & 0xff);
  else R[n - 4] = (R[n - 4] & ~0xff00) | ((v & 0xff) << 8);
}

export function regOpnd(cpu: Cpu, size: number, n: number): Opnd {
  const R = cpu.r;
  let get: () => number;
  let set: (v: number) => void;
  if (size === 2) {
    get = () => R[n];
    set = (v) => {
      R[n] = v;
    };
  } else if (size === 1) {
    get = () => R[n] & 0xffff;
    set = (v) => {
      R[n] = (R[n] & ~0xffff) | (v & 0xffff);
    };
  } else if (n < 4) {
    get = () => R[n] & 0xff;
    set = (v) => {
      R[n] = (R[n] & ~0xff) | (v & 0xff);
    };
  } else {
    const k = n - 4;
    get = () => (R[k] >> 8) & 0xff;
    set = (v) => {
      R[k] = (R[k] & ~0xff00) | ((v & 0xff) << 8);
    };
  }
  return {
    isReg: true,
    reg: n,
    get,
    rmw: get,
    set,
    put: set,
    ea: () => 0,
    seg: -1,
  };
}

export function memOpnd(cpu: Cpu, size: number, seg: number, ea: () => number): Opnd {
  let a = 0;
  let get: () => number;
  let rmw: () => number;
  let set: (v: number) => void;
  let put: (v: number) => void;
  if (size === 2) {
    get = () => cpu.read32(cpu.lin(seg, ea(), 4, false));
    rmw = () => cpu.rmw32((a = cpu.lin(seg, ea(), 4, true)));
    set = (v) => cpu.write32(a, v);
    put = (v) => cpu.write32(cpu.lin(seg, ea(), 4, true), v);
  } else if (size === 1) {
    get = () => cpu.read16(cpu.lin(seg, ea(), 2, false));
    rmw = () => cpu.rmw16((a = cpu.lin(seg, ea(), 2, true)));
    set = (v) => cpu.write16(a, v);
    put = (v) => cpu.write16(cpu.lin(seg, ea(), 2, true), v);
  } else {
    get = () => cpu.read8(cpu.lin(seg, ea(), 1, false));
    rmw = () => cpu.rmw8((a = cpu.lin(seg, ea(), 1, true)));
    set = (v) => cpu.write8(a, v);
    put = (v) => cpu.write8(cpu.lin(seg, ea(), 1, true), v);
  }
  return { isReg: false, reg: -1, get, rmw, set, put, ea, seg };
}
