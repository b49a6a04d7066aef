/**
 * Watchpoints (RunOptions.watchpoints) on a vCPU's debug registers: each watchpoint becomes
 * aligned 1/2/4/8-byte pieces in DR0–DR3 (write: RW=01, read/readWrite: RW=11), the guest's
 * own DR0–DR3/DR7 set aside until the run ends. A data breakpoint is a #DB trap after the
 * accessing instruction, which Xen takes first (a PV guest's IDT is Xen's; an HVM vCPU with
 * watchpoints armed has #DB in its exception bitmap, as Xen sets it for a debugger), so a hit
 * never reaches the guest.
 */
import type { Cpu } from '../cpu/cpu';
import { debugChanged, DR6_BD, DR6_BS } from '../cpu/debug';
import type { Watchpoint, WatchValue } from './inspect';

/** DR7 LEN field encodings by piece length */
const LEN_CODE: Record<number, number> = { 1: 0, 2: 1, 8: 2, 4: 3 };

export interface ArmedWatch {
  /** the guest's DR0–DR3 and DR7 before arming */
  saved: number[];
  /** per DR slot: the watchpoint it belongs to */
  slots: Watchpoint[];
  /** per watchpoint: its bytes when armed or last seen (a 'read' hit that changed them was a write) */
  bytes: Map<Watchpoint, string>;
}

/** The aligned pieces covering [gva, gva+length), one debug register each. */
export function watchPieces(w: Watchpoint): { base: number; len: number }[] {
  if (!Number.isInteger(w.length) || w.length < 1) throw new Error(`watchpoints: length must be a positive integer (got ${w.length})`);
  const out: { base: number; len: number }[] = [];
  const end = (w.gva >>> 0) + w.length;
  for (let a = w.gva >>> 0; a < end; ) {
    let len = 8;
    while (len > 1 && (a % len !== 0 || a + len > end)) len >>= 1;
    out.push({ base: a, len });
    a += len;
  }
  return out;
}

/** Arm `ws` (one domain's) on `cpu`; `read` gives a range's bytes as a comparable string. */
export function armWatchpoints(cpu: Cpu, ws: ReadonlyArray<Watchpoint>, read: (gva: number, len: number) => string): ArmedWatch {
  const pieces = ws.flatMap((w) => watchPieces(w).map((p) => ({ ...p, w })));
  if (pieces.length > 4) throw new Error(`watchpoints: domain ${ws[0].domid} needs ${pieces.length} debug registers (at most 4 aligned 1/2/4/8-byte pieces)`);
  const armed: ArmedWatch = { saved: [cpu.dr[0], cpu.dr[1], cpu.dr[2], cpu.dr[3], cpu.dr[7]], slots: [], bytes: new Map() };
  let dr7 = 0x400;
  pieces.forEach((p, n) => {
    cpu.dr[n] = p.base | 0;
    const rw = p.w.access === 'write' ? 1 : 3;
    dr7 |= (2 << (2 * n)) | (rw << (16 + 4 * n)) | (LEN_CODE[p.len] << (18 + 4 * n));
    armed.slots[n] = p.w;
  });
  for (const w of ws) armed.bytes.set(w, read(w.gva, w.length));
  cpu.dr[7] = dr7 | 0;
  debugChanged(cpu);
  return armed;
}

export function disarmWatchpoints(cpu: Cpu, armed: ArmedWatch): void {
  for (let n = 0; n < 4; n++) cpu.dr[n] = armed.saved[n];
  cpu.dr[7] = armed.saved[4];
  debugChanged(cpu);
}

/**
 * A #DB on an armed vCPU: the watchpoint it stops at (its DR6 bits cleared), if any; `swallow`
 * when the #DB had no other cause (nothing to bounce to the guest).
 */
export function watchHit(cpu: Cpu, armed: ArmedWatch, read: (gva: number, len: number) => string): { hit?: Watchpoint; value?: WatchValue; swallow: boolean } {
  let hit: Watchpoint | undefined;
  let value: WatchValue | undefined;
  let ours = 0;
  // a range of several pieces may have several DR6 bits set by one access: judge it once
  const touched = new Set<Watchpoint>();
  armed.slots.forEach((w, n) => {
    if (!((cpu.dr[6] >>> n) & 1)) return;
    ours |= 1 << n;
    touched.add(w);
  });
  for (const w of touched) {
    const was = armed.bytes.get(w) ?? '';
    const now = read(w.gva, w.length);
    armed.bytes.set(w, now);
    if ((w.access === 'read' && now !== was) || hit) continue;
    hit = w;
    value = { before: bytesOf(was), after: bytesOf(now) };
  }
  cpu.dr[6] &= ~ours;
  const other = cpu.dr[6] & (0xf | DR6_BS | DR6_BD);
  return { hit, value, swallow: ours !== 0 && other === 0 };
}

/** The comparable strings `read` gives back as bytes ('' when the range was not readable). */
function bytesOf(s: string): number[] {
  return s === '' ? [] : s.split(',').map(Number);
}
