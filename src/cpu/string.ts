/**
 * String instructions (movs stos lods cmps scas ins outs) with rep/repe/repne.
 *
 * A repeated instruction runs at most REP_CHUNK iterations per execution and then leaves EIP on
 * itself, so interrupts, breakpoints and the run budget are honoured between chunks, as the
 * hardware allows between iterations.
 */
import type { Dec, Exec } from './decode';
import type { Cpu } from './cpu';
import * as constsM from './consts';
import * as flagsM from './flags';
import * as aluM from './alu';
import * as operandsM from './operands';
import * as sys from './system-ops';
// Local copies: per-file CommonJS (tests) would otherwise pay a getter call per use.
const { ES } = constsM;
const { DF } = flagsM;
const { Alu, alu } = aluM;
const { getReg, setReg } = operandsM;

export const REP_CHUNK = 4096;

export function stringOp(d: Dec, op: number): Exec {
  const cpu = d.cpu;
  const R = d.R;
  const size = op & 1 ? d.sv : 0;
  const bytes = 1 << size;
  const ad32 = d.ad32;
  const amask = ad32 ? -1 : 0xffff;
  const srcSeg = d.dseg;
  const rep = d.rep;
  const kind = op;

  const rd = (a: number) => (size === 2 ? cpu.read32(a) : size === 1 ? cpu.read16(a) : cpu.read8(a));
  const wr = (a: number, v: number) => (size === 2 ? cpu.write32(a, v) : size === 1 ? cpu.write16(a, v) : cpu.write8(a, v));
  const advance = (n: number, delta: number) => {
    if (ad32) R[n] = (R[n] + delta) | 0;
    else R[n] = (R[n] & ~0xffff) | ((R[n] + delta) & 0xffff);
  };

  /** One iteration; returns false when a repe/repne condition ends the repetition. */
  let once: (delta: number) => boolean;
  switch (kind & ~1) {
    case 0xa4: // movs
      once = (delta) => {
        const v = rd(cpu.lin(srcSeg, R[6] & amask, bytes, false));
        wr(cpu.lin(ES, R[7] & amask, bytes, true), v);
        advance(6, delta);
        advance(7, delta);
        return true;
      };
      break;
    case 0xaa: // stos
      once = (delta) => {
        wr(cpu.lin(ES, R[7] & amask, bytes, true), getReg(R, size, 0));
        advance(7, delta);
        return true;
      };
      break;
    case 0xac: // lods
      once = (delta) => {
        setReg(R, size, 0, rd(cpu.lin(srcSeg, R[6] & amask, bytes, false)));
        advance(6, delta);
        return true;
      };
      break;
    case 0xa6: // cmps
      once = (delta) => {
        const a = rd(cpu.lin(srcSeg, R[6] & amask, bytes, false));
        const b = rd(cpu.lin(ES, R[7] & amask, bytes, false));
        alu(cpu, Alu.CMP, size, a, b);
        advance(6, delta);
        advance(7, delta);
        return (cpu.ccDst === 0) === (rep === 0xf3);
      };
      break;
    case 0xae: // scas
      once = (delta) => {
        const b = rd(cpu.lin(ES, R[7] & amask, bytes, false));
        alu(cpu, Alu.CMP, size, getReg(R, size, 0), b);
        advance(7, delta);
        return (cpu.ccDst === 0) === (rep === 0xf3);
      };
      break;
    case 0x6c: // ins
      once = (delta) => {
        const port = R[2] & 0xffff;
        sys.checkIo(cpu, port, bytes);
        const a = cpu.lin(ES, R[7] & amask, bytes, true);
        cpu.probeWrite(a, bytes);
        const v = cpu.platform.ioRead(port, bytes as 1 | 2 | 4);
        cpu.afterPlatformCall();
        wr(a, v);
        advance(7, delta);
        return true;
      };
      break;
    default: // outs
      once = (delta) => {
        const port = R[2] & 0xffff;
        sys.checkIo(cpu, port, bytes);
        const v = rd(cpu.lin(srcSeg, R[6] & amask, bytes, false));
        cpu.platform.ioWrite(port, bytes as 1 | 2 | 4, size === 2 ? v >>> 0 : v);
        cpu.afterPlatformCall();
        advance(6, delta);
        return true;
      };
  }
  const conditional = (kind & ~1) === 0xa6 || (kind & ~1) === 0xae;
  if (!rep) return () => void once(cpu.eflags & DF ? -bytes : bytes);
  const bulk = ad32 && (kind & ~1) === 0xa4 ? (max: number) => bulkMovs(cpu, srcSeg, bytes, max) : undefined;
  return () => repeat(cpu, once, conditional, ad32, bytes, bulk);
}

/**
 * rep movs fast path (32-bit addressing, DF=0): copy as many whole elements as fit in the
 * current source and destination frames at once. Returns the elements copied (0: not
 * applicable here, take the one-at-a-time path).
 */
function bulkMovs(cpu: Cpu, srcSeg: number, bytes: number, max: number): number {
  if (cpu.eflags & DF) return 0;
  const R = cpu.r;
  const src = cpu.lin(srcSeg, R[6], bytes, false);
  const dst = cpu.lin(ES, R[7], bytes, true);
  const so = src & 0xfff;
  const dof = dst & 0xfff;
  const n = Math.min(max, Math.floor((0x1000 - so) / bytes), Math.floor((0x1000 - dof) / bytes));
  if (n < 2) return 0;
  const len = n * bytes;
  // the last element must pass the segment checks too
  cpu.lin(srcSeg, (R[6] + len - bytes) | 0, bytes, false);
  cpu.lin(ES, (R[7] + len - bytes) | 0, bytes, true);
  const sf = cpu.readFrame(src);
  const df = cpu.writeFrame(dst);
  if (!sf || !df) return 0;
  // Forward element order replicates when the destination overlaps just above the source.
  if (sf === df && dof > so && dof < so + len) return 0;
  if (sf === df) df.copyWithin(dof, so, so + len);
  else df.set(sf.subarray(so, so + len), dof);
  R[6] = (R[6] + len) | 0;
  R[7] = (R[7] + len) | 0;
  R[1] = (R[1] - n) | 0;
  return n;
}

function repeat(
  cpu: Cpu,
  once: (delta: number) => boolean,
  conditional: boolean,
  ad32: boolean,
  bytes: number,
  bulk?: (max: number) => number,
): void {
  const R = cpu.r;
  const delta = cpu.eflags & DF ? -bytes : bytes;
  let n = 0;
  for (;;) {
    const count = ad32 ? R[1] : R[1] & 0xffff;
    if (count === 0) return;
    if (bulk !== undefined && n < REP_CHUNK) {
      const done = bulk(Math.min(count >>> 0, REP_CHUNK - n));
      if (done) {
        n += done;
        continue;
      }
    }
    if (n === REP_CHUNK) {
      cpu.eip = cpu.insnEip; // continue in a later execution
      return;
    }
    const go = once(delta);
    if (ad32) R[1] = (R[1] - 1) | 0;
    else R[1] = (R[1] & ~0xffff) | ((R[1] - 1) & 0xffff);
    n++;
    if (conditional && !go) return;
    if (cpu.attention && cpu.stopRequested) {
      cpu.eip = cpu.insnEip;
      return;
    }
  }
}
