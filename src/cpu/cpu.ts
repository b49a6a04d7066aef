/**
 * The IA-32 processor: architectural state, linear memory access through the TLB, the
 * decoded-instruction cache and the run loop. Instruction semantics live in the decoder and
 * ops modules; segmentation, paging and event delivery in their own modules.
 *
 * Internal representation: GPRs, EIP and segment bases are int32 (`| 0`); the inspection API
 * (snapshot(), inspect.ts) returns them unsigned.
 *
 * Extending it (protection, paging, debug): the hook points are
 *  - paging.ts `translate` — the only linear → physical step; its result is cached in the TLB
 *    (tags include CPL 3 as TLB_USER), so call flushTlb()/flushTlbPage() whenever a translation
 *    may change (CR0/CR3/CR4 writes, invlpg, EFER);
 *  - segments.ts `checkSegmentAccess` — run for segments whose bit is set in `segCheck`
 *    (segmentsChanged() recomputes it after every segment load);
 *  - exceptions.ts `deliverEvent` — IDT/IVT delivery, double/triple fault rules;
 *  - system-ops.ts — privileged and far-transfer instructions;
 *  - the run loop below — compiled blocks (jit.ts) skip per-instruction checks, so `blocks` must
 *    be false whenever something has to be checked between every two instructions (TF, 16-bit
 *    code, armed DR0–DR3 breakpoints), and state changes that compiled code must notice bump
 *    `exitGen` (modeChanged, flushTlb, flushCode and invalidateCode do). The debugger's
 *    breakpoints (breakpoints.ts) are checked between blocks: blocks are cut before them.
 * Modules copy the imports they use at load time (see consts.ts): keep that for new hot code.
 */
import { AccessSize, CpuEvent, EventKind, FRAME_SHIFT, InterceptedInstruction, MemoryBus, Platform } from './platform';
import * as flagsM from './flags';
import * as faultM from './fault';
import * as pagingM from './paging';
import * as exceptionsM from './exceptions';
import { decodeInstruction, Insn, InsnKind } from './decode';
import { Block, MAX_BLOCK, compileBlock, cutBlock } from './jit';
import { BreakpointSet, testBit } from './breakpoints';
import type { SegmentCache } from './segments';
import * as segmentsM from './segments';
import { emptyCpuState, CpuState } from './state';
import { DR6_BS, dataBreakpoints, debugChanged, instructionBreakpoints } from './debug';
import { loadCr } from './system-ops';

export * from './consts';
import * as constsM from './consts';
// Local copies: per-file CommonJS (tests) would otherwise pay a getter call per use.
const { ARITH, CC, FIXED1, IF, RF, TF, arithFlags, settle } = flagsM;
const { CpuFault, InstructionIntercept, InstructionRestart, Vec, hasErrorCode } = faultM;
const { translate } = pagingM;
const { deliverEvent } = exceptionsM;
const { checkSegmentAccess } = segmentsM;
const { CS, SS, CR0_PE, CR0_PG, CR4_PAE, SHADOW_MOV_SS, TLB_USER } = constsM;

export type StopReason =
  | 'budget'
  | 'hlt'
  | 'intercept'
  | 'breakpoint'
  | 'triple-fault'
  | 'stop-requested';

export interface RunResult {
  /** Instructions retired (a `rep` string instruction interrupted between chunks counts one per chunk). */
  retired: number;
  stop: StopReason;
  /** For 'intercept': the event the platform took. */
  event?: CpuEvent;
  /** For 'intercept': the instruction the platform intercepted (not retired, EIP at it). */
  instruction?: InterceptedInstruction;
}

/** Executions of a block start before it is compiled. */
const HOT_BLOCK = 32;

const TLB_SIZE = constsM.TLB_SIZE;
const TLB_MASK = TLB_SIZE - 1;

/**
 * Aligned dword accesses go through an Int32Array over the frame's buffer (one load instead of
 * four byte loads and shifts). Typed arrays use the host's byte order, so this is only done on
 * little-endian hosts; frames at an unaligned byte offset keep the byte path too.
 */
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const views32 = new WeakMap<ArrayBufferLike, Int32Array>();
// A bus whose RAM is one buffer (the bare harness) hits this every time, sparing the WeakMap.
let lastBuffer: ArrayBufferLike | null = null;
let lastView32: Int32Array | null = null;

/**
 * The slots of one TLB (read or write) filled since it was last cleared, so a clear costs
 * O(filled) rather than O(TLB_SIZE). Slots may repeat (refilled after an invlpg); every slot
 * with a live tag is listed. Past TLB_SIZE notes the whole TLB is cleared instead.
 */
class FilledSlots {
  readonly slots = new Int32Array(TLB_SIZE);
  n = 0;

  constructor(
    private readonly tags: Int32Array,
    private readonly frames: (Uint8Array | null)[],
    private readonly views: (Int32Array | null)[],
  ) {}

  /** Call before filling slot i when its tag is -1. */
  note(i: number): void {
    if (this.n === TLB_SIZE) {
      this.tags.fill(-1);
      this.frames.fill(null);
      this.views.fill(null);
      this.n = 0;
    }
    this.slots[this.n++] = i;
  }

  clear(): void {
    const { tags, frames, views, slots } = this;
    for (let k = 0; k < this.n; k++) {
      const i = slots[k];
      tags[i] = -1;
      frames[i] = null;
      views[i] = null;
    }
    this.n = 0;
  }
}

/** The dword view of the buffer holding frame `f` (index it with f.byteOffset >> 2), or null. */
function view32(f: Uint8Array): Int32Array | null {
  if (!HOST_LITTLE_ENDIAN || (f.byteOffset & 3) !== 0) return null;
  const b = f.buffer;
  if (b === lastBuffer) return lastView32;
  let v = views32.get(b);
  if (v === undefined) {
    v = new Int32Array(b, 0, b.byteLength >> 2);
    views32.set(b, v);
  }
  lastBuffer = b;
  lastView32 = v;
  return v;
}

/** Decoded instructions of one physical frame. */
interface CodePage {
  pfn: number;
  gen: number;
  /** `epoch` at which `gen` was last compared with the bus. */
  checked: number;
  insns: (Insn | undefined)[];
}

export class Cpu {
  readonly platform: Platform;
  readonly bus: MemoryBus;

  /** EAX ECX EDX EBX ESP EBP ESI EDI. */
  readonly r = new Int32Array(8);
  eip = 0;
  /** EFLAGS with the arithmetic bits valid only when ccOp === CC.NONE (use getEflags()). */
  eflags = FIXED1;
  ccOp = CC.NONE as number;
  ccDst = 0;
  ccSrc1 = 0;
  ccSrc2 = 0;
  ccAux = 0;

  /** Segment selector, base, limit (unsigned, byte-granular), VMX-style access rights. */
  readonly segSel = new Uint16Array(6);
  readonly segBase = new Int32Array(6);
  readonly segLimit = new Float64Array(6);
  readonly segAttr = new Int32Array(6);
  /** Bit n set: segment n needs checks on access (anything but flat writable data, e.g. CS). */
  segCheck = 0;

  gdtrBase = 0;
  gdtrLimit = 0xffff;
  idtrBase = 0;
  idtrLimit = 0x3ff;
  readonly ldtr: SegmentCache = { sel: 0, base: 0, limit: 0xffff, attr: 0x82 };
  readonly tr: SegmentCache = { sel: 0, base: 0, limit: 0xffff, attr: 0x8b };

  cr0 = 0x60000010;
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  readonly dr = new Int32Array(8);
  efer = 0;
  /** PAE PDPTE registers (low, high dword × 4), loaded from CR3's table (paging.ts loadPdptes). */
  readonly pdpte = new Int32Array(8);
  /** Set by the page walk for the TLB fill that follows it (paging.ts). */
  walkGlobal = false;
  walkNx = false;
  /** MSRs the CPU owns. */
  tscOffset = 0n;
  sysenterCs = 0;
  sysenterEsp = 0;
  sysenterEip = 0;

  cpl = 0;
  /** CS.D: 32-bit default operand and address size. */
  code32 = false;
  /** SS.B: 32-bit stack pointer. */
  stack32 = false;
  /** EIP wrap mask: 0xffff for 16-bit code, -1 otherwise. */
  eipMask = 0xffff;
  halted = false;
  /** An NMI handler is running (between the NMI's delivery and the next iret). */
  nmiBlocked = false;
  /** The platform's interrupt line (level): raise with setIrq(vector). */
  irqPending = false;
  irqVector = 0;
  /** Interrupt shadow after sti / mov ss / pop ss: 1 while the next instruction runs. */
  shadow = 0;
  /** Something needs looking at between instructions (irq, shadow, TF, stop). */
  attention = false;
  /** Debug (debug.ts): armed DR0–3 masks, DR6 bits of data hits this instruction, TF trap due. */
  execBp = 0;
  dataBp = 0;
  pendingDr6 = 0;
  stepPending = false;
  /** The platform may set this from a callback to end the current run(). */
  stopRequested = false;

  /** Total instructions retired since reset (the default TSC source). */
  retiredTotal = 0;

  /** Linear EIPs the debugger armed; run() stops before executing one. */
  readonly breakpoints = new BreakpointSet();
  private readonly isBreakpoint = (lin: number): boolean => this.breakpoints.has(lin);
  private bpResume = -1;

  // ---- TLB: direct-mapped, separate read and write; tag = linear page | TLB_USER if CPL 3 ----
  tlbUser = 0;
  readonly rTag = new Int32Array(TLB_SIZE).fill(-1);
  readonly rFrame: (Uint8Array | null)[] = new Array<Uint8Array | null>(TLB_SIZE).fill(null);
  readonly rPfn = new Int32Array(TLB_SIZE);
  /** Dword view of the entry's frame (view32) and the frame's first dword index in it. */
  readonly rW32: (Int32Array | null)[] = new Array<Int32Array | null>(TLB_SIZE).fill(null);
  readonly rBase32 = new Int32Array(TLB_SIZE);
  readonly wTag = new Int32Array(TLB_SIZE).fill(-1);
  readonly wFrame: (Uint8Array | null)[] = new Array<Uint8Array | null>(TLB_SIZE).fill(null);
  readonly wPfn = new Int32Array(TLB_SIZE);
  readonly wW32: (Int32Array | null)[] = new Array<Int32Array | null>(TLB_SIZE).fill(null);
  readonly wBase32 = new Int32Array(TLB_SIZE);
  /** Per-entry global (CR4.PGE) and execute-disable bits; flushes and fetches consult them. */
  readonly rGlobal = new Uint8Array(TLB_SIZE);
  readonly wGlobal = new Uint8Array(TLB_SIZE);
  readonly rNx = new Uint8Array(TLB_SIZE);
  /** Slots filled since the last clear: run() and flushes cost O(filled), not O(TLB_SIZE). */
  private readonly rFilled = new FilledSlots(this.rTag, this.rFrame, this.rW32);
  private readonly wFilled = new FilledSlots(this.wTag, this.wFrame, this.wW32);

  // ---- decoded-instruction cache ----
  private readonly codePages = new Map<number, CodePage>();
  private epoch = 1;
  /** Linear page (with TLB_USER bit) of curInsns, or -1. */
  private curPage = -1;
  private curCode: CodePage | null = null;
  /** EIP and length of the instruction executing (for fault reporting). */
  insnEip = 0;
  insnLen = 0;
  /** Inside a compiled block: instructions completed before the one executing. */
  blockDone = 0;
  /** Bumped whenever compiled blocks must stop and look again (code, TLB, mode, platform). */
  exitGen = 0;
  /** Instructions retired so far in the current run (for the TSC). */
  private runRetired = 0;
  /** Set false to run everything through the interpreter (tests compare both paths). */
  blocksEnabled = true;
  /** Blocks compiled so far (a statistic). */
  blocksCompiled = 0;
  private tripleFault = false;
  private intercepted: CpuEvent | null = null;

  constructor(platform: Platform) {
    this.platform = platform;
    this.bus = platform.bus;
    this.reset();
  }

  /** Power-on state (SDM vol. 3 table 9-1): real mode at F000:FFF0. */
  reset(): void {
    this.r.fill(0);
    this.r[2] = 0x663; // EDX: family 6 model 6 stepping 3 (matches our CPUID leaf 1 default)
    this.eip = 0xfff0;
    this.eflags = FIXED1;
    this.ccOp = CC.NONE;
    for (let s = 0; s < 6; s++) {
      this.segSel[s] = 0;
      this.segBase[s] = 0;
      this.segLimit[s] = 0xffff;
      this.segAttr[s] = 0x93;
    }
    this.segSel[CS] = 0xf000;
    this.segBase[CS] = 0xffff0000 | 0;
    this.segAttr[CS] = 0x9b;
    this.segCheck = 0x3f;
    this.gdtrBase = 0;
    this.gdtrLimit = 0xffff;
    this.idtrBase = 0;
    this.idtrLimit = 0x3ff;
    Object.assign(this.ldtr, { sel: 0, base: 0, limit: 0xffff, attr: 0x82 });
    Object.assign(this.tr, { sel: 0, base: 0, limit: 0xffff, attr: 0x8b });
    this.cr0 = 0x60000010;
    this.cr2 = this.cr3 = this.cr4 = 0;
    this.dr.fill(0);
    this.dr[6] = 0xffff0ff0 | 0;
    this.dr[7] = 0x400;
    this.execBp = this.dataBp = this.pendingDr6 = 0;
    this.stepPending = false;
    this.efer = 0;
    this.pdpte.fill(0);
    this.tscOffset = 0n;
    this.sysenterCs = this.sysenterEsp = this.sysenterEip = 0;
    this.cpl = 0;
    this.halted = false;
    this.tripleFault = false;
    this.intercepted = null;
    this.irqPending = false;
    this.nmiBlocked = false;
    this.shadow = 0;
    this.modeChanged();
    this.flushCode();
  }

  // ------------------------------------------------------------------ flags

  getEflags(): number {
    return this.ccOp === CC.NONE ? this.eflags : (this.eflags & ~ARITH) | arithFlags(this);
  }

  /** Set EFLAGS wholesale (no privilege rules: callers such as popf/iret apply them). */
  setEflags(v: number): void {
    const old = this.eflags;
    this.eflags = (v & 0x3f7fd5) | FIXED1;
    this.ccOp = CC.NONE;
    if ((old ^ this.eflags) & (IF | TF | RF)) this.attention = true;
  }

  settleFlags(): void {
    settle(this);
  }

  // ------------------------------------------------------------------ modes

  /** CR0.PE: protected mode. */
  get pe(): boolean {
    return (this.cr0 & CR0_PE) !== 0;
  }

  /** Recompute cached mode bits after CS/SS/CR0/CPL changes. Decoded code depends on CS.D. */
  modeChanged(): void {
    const code32 = (this.cr0 & CR0_PE) !== 0 && (this.segAttr[CS] & 0x4000) !== 0;
    if (code32 !== this.code32) {
      this.code32 = code32;
      this.flushCode();
    }
    this.eipMask = code32 ? -1 : 0xffff;
    this.stack32 = (this.cr0 & CR0_PE) !== 0 && (this.segAttr[SS] & 0x4000) !== 0;
    const user = this.cpl === 3 ? TLB_USER : 0;
    if (user !== this.tlbUser) {
      this.tlbUser = user;
      this.curPage = -1;
    }
    this.exitGen++;
  }

  /** Recompute which segments need checks on access (flat = base 0, limit 4G, usable). */
  segmentsChanged(): void {
    let chk = 0;
    for (let s = 0; s < 6; s++) {
      const attr = this.segAttr[s];
      // Unchecked only when nothing can fault: usable, writable expand-up data, base 0, 4 GiB.
      const flatData = (attr & 0x1001e) === 0x12;
      if (this.segBase[s] !== 0 || this.segLimit[s] !== 0xffffffff || !flatData) {
        chk |= 1 << s;
      }
    }
    // Real mode uses 64 KiB segments; checks handle the wrap.
    this.segCheck = chk;
  }

  // ------------------------------------------------------------------ TLB and memory

  /**
   * Drop every translation. By default, with PAE paging on, the PDPTE registers are reloaded
   * from CR3's table too, so a host that sets `cr3` (or edits the PDPT) and then flushes gets
   * the state a guest's mov to CR3 would give. The CPU's own flushes (CR0/CR4/EFER writes,
   * debug registers, restore) pass `reloadPdptes = false`: architecturally only CR3 loads and
   * paging-mode changes load the PDPTEs, and those load them themselves (paging.ts).
   */
  flushTlb(reloadPdptes = true): void {
    if (reloadPdptes && this.cr0 & CR0_PG && this.cr4 & CR4_PAE) pagingM.reloadPdptes(this);
    this.exitGen++;
    this.rFilled.clear();
    this.wFilled.clear();
    this.curPage = -1;
  }

  /** Drop every translation except global ones (CR3 load with CR4.PGE). */
  flushTlbNonGlobal(): void {
    this.exitGen++;
    for (let i = 0; i < TLB_SIZE; i++) {
      if (!this.rGlobal[i]) this.rTag[i] = -1;
      if (!this.wGlobal[i]) this.wTag[i] = -1;
    }
    this.curPage = -1;
  }

  /**
   * Run `f` as an implicit supervisor access (descriptor tables, TSS, IDT: SDM §4.6), which
   * page protection treats as CPL 0 even when CPL is 3.
   */
  supervisor<T>(f: () => T): T {
    const saved = this.tlbUser;
    if (saved === 0) return f();
    this.tlbUser = 0;
    try {
      return f();
    } finally {
      this.tlbUser = saved;
    }
  }

  /** Drop translations for one linear page (invlpg). */
  flushTlbPage(lin: number): void {
    this.exitGen++;
    const p = lin >>> FRAME_SHIFT;
    for (const tag of [p, p | TLB_USER]) {
      const i = tag & TLB_MASK;
      if (this.rTag[i] === tag) this.rTag[i] = -1;
      if (this.wTag[i] === tag) this.wTag[i] = -1;
    }
    this.curPage = -1;
  }

  /** Translate for reading and fill the read TLB; returns the physical address. */
  private fillRead(lin: number, size = 1): number {
    const phys = translate(this, lin, false, this.tlbUser !== 0, false);
    if (this.dataBp !== 0 && dataBreakpoints(this, lin, size, false)) return phys;
    const pfn = phys >>> FRAME_SHIFT;
    const f = this.bus.frame(pfn, false);
    if (f) {
      const tag = (lin >>> FRAME_SHIFT) | this.tlbUser;
      const i = tag & TLB_MASK;
      if (this.rTag[i] === -1) this.rFilled.note(i);
      this.rTag[i] = tag;
      this.rFrame[i] = f;
      this.rPfn[i] = pfn;
      this.rW32[i] = view32(f);
      this.rBase32[i] = f.byteOffset >> 2;
      this.rGlobal[i] = this.walkGlobal ? 1 : 0;
      this.rNx[i] = this.walkNx ? 1 : 0;
    }
    return phys;
  }

  private fillWrite(lin: number, size = 1): number {
    const phys = translate(this, lin, true, this.tlbUser !== 0, false);
    if (this.dataBp !== 0 && dataBreakpoints(this, lin, size, true)) return phys;
    const pfn = phys >>> FRAME_SHIFT;
    if (this.codePages.has(pfn)) {
      // Writes to frames holding decoded code stay on the slow path so they invalidate it.
      return phys;
    }
    const f = this.bus.frame(pfn, true);
    if (f) {
      const tag = (lin >>> FRAME_SHIFT) | this.tlbUser;
      const i = tag & TLB_MASK;
      if (this.wTag[i] === -1) this.wFilled.note(i);
      this.wTag[i] = tag;
      this.wFrame[i] = f;
      this.wPfn[i] = pfn;
      this.wW32[i] = view32(f);
      this.wBase32[i] = f.byteOffset >> 2;
      this.wGlobal[i] = this.walkGlobal ? 1 : 0;
    }
    return phys;
  }

  /** Physical byte read (no TLB). */
  physRead8(phys: number): number {
    const f = this.bus.frame(phys >>> FRAME_SHIFT, false);
    return f ? f[phys & 0xfff] : this.bus.mmioRead(phys >>> 0, 1) & 0xff;
  }

  /** Physical byte write that keeps decoded code coherent. */
  physWrite8(phys: number, v: number): void {
    const pfn = phys >>> FRAME_SHIFT;
    const f = this.bus.frame(pfn, true);
    if (f) f[phys & 0xfff] = v;
    else this.bus.mmioWrite(phys >>> 0, 1, v & 0xff);
    if (this.codePages.has(pfn)) this.invalidateCode(pfn);
  }

  /**
   * Physical dword write that keeps decoded code coherent, with one frame request (paging's
   * accessed/dirty updates). Falls back to bytes for MMIO or a frame-crossing address.
   */
  physWrite32(phys: number, v: number): void {
    const pfn = phys >>> FRAME_SHIFT;
    const o = phys & 0xfff;
    const f = o <= 0xffc ? this.bus.frame(pfn, true) : null;
    if (f === null) {
      for (let k = 0; k < 4; k++) this.physWrite8((phys + k) | 0, v >> (8 * k));
      return;
    }
    f[o] = v;
    f[o + 1] = v >> 8;
    f[o + 2] = v >> 16;
    f[o + 3] = v >> 24;
    if (this.codePages.has(pfn)) this.invalidateCode(pfn);
  }

  read8(lin: number): number {
    const tag = (lin >>> FRAME_SHIFT) | this.tlbUser;
    const i = tag & TLB_MASK;
    if (this.rTag[i] === tag) return (this.rFrame[i] as Uint8Array)[lin & 0xfff];
    const phys = this.fillRead(lin);
    return this.physRead8(phys);
  }

  read16(lin: number): number {
    const tag = (lin >>> FRAME_SHIFT) | this.tlbUser;
    const i = tag & TLB_MASK;
    const o = lin & 0xfff;
    if (this.rTag[i] === tag && o < 0xfff) {
      const f = this.rFrame[i] as Uint8Array;
      return f[o] | (f[o + 1] << 8);
    }
    return this.readSlow(lin, 2);
  }

  read32(lin: number): number {
    const tag = (lin >>> FRAME_SHIFT) | this.tlbUser;
    const i = tag & TLB_MASK;
    if (this.rTag[i] === tag) {
      const o = lin & 0xfff;
      if ((o & 3) === 0) {
        const w = this.rW32[i];
        if (w !== null) return w[this.rBase32[i] + (o >> 2)];
      }
      if (o < 0xffd) {
        const f = this.rFrame[i] as Uint8Array;
        return f[o] | (f[o + 1] << 8) | (f[o + 2] << 16) | (f[o + 3] << 24);
      }
    }
    return this.readSlow(lin, 4);
  }

  private readSlow(lin: number, size: AccessSize): number {
    if ((lin & 0xfff) + size <= 0x1000) {
      const phys = this.fillRead(lin, size);
      const f = this.bus.frame(phys >>> FRAME_SHIFT, false);
      if (!f) return this.bus.mmioRead(phys >>> 0, size) | 0;
      const o = phys & 0xfff;
      return size === 2 ? f[o] | (f[o + 1] << 8) : f[o] | (f[o + 1] << 8) | (f[o + 2] << 16) | (f[o + 3] << 24);
    }
    // Page-crossing: translate both pages before reading anything (a #PF leaves no trace). A
    // fault on the second page reports its first byte in CR2, as hardware (and QEMU) do.
    this.fillRead(lin);
    this.fillRead((lin + size - 1) & ~0xfff);
    let v = 0;
    for (let k = 0; k < size; k++) v |= this.read8((lin + k) | 0) << (8 * k);
    return v;
  }

  write8(lin: number, v: number): void {
    const tag = (lin >>> FRAME_SHIFT) | this.tlbUser;
    const i = tag & TLB_MASK;
    if (this.wTag[i] === tag) {
      (this.wFrame[i] as Uint8Array)[lin & 0xfff] = v;
      return;
    }
    const phys = this.fillWrite(lin);
    this.physWrite8(phys, v);
  }

  write16(lin: number, v: number): void {
    const tag = (lin >>> FRAME_SHIFT) | this.tlbUser;
    const i = tag & TLB_MASK;
    const o = lin & 0xfff;
    if (this.wTag[i] === tag && o < 0xfff) {
      const f = this.wFrame[i] as Uint8Array;
      f[o] = v;
      f[o + 1] = v >> 8;
      return;
    }
    this.writeSlow(lin, 2, v);
  }

  write32(lin: number, v: number): void {
    const tag = (lin >>> FRAME_SHIFT) | this.tlbUser;
    const i = tag & TLB_MASK;
    if (this.wTag[i] === tag) {
      const o = lin & 0xfff;
      if ((o & 3) === 0) {
        const w = this.wW32[i];
        if (w !== null) {
          w[this.wBase32[i] + (o >> 2)] = v;
          return;
        }
      }
      if (o < 0xffd) {
        const f = this.wFrame[i] as Uint8Array;
        f[o] = v;
        f[o + 1] = v >> 8;
        f[o + 2] = v >> 16;
        f[o + 3] = v >> 24;
        return;
      }
    }
    this.writeSlow(lin, 4, v);
  }

  private writeSlow(lin: number, size: AccessSize, v: number): void {
    if ((lin & 0xfff) + size <= 0x1000) {
      const phys = this.fillWrite(lin, size);
      const pfn = phys >>> FRAME_SHIFT;
      const f = this.bus.frame(pfn, true);
      if (!f) {
        this.bus.mmioWrite(phys >>> 0, size, size === 2 ? v & 0xffff : v >>> 0);
        this.afterPlatformCall();
        return;
      }
      const o = phys & 0xfff;
      for (let k = 0; k < size; k++) f[o + k] = v >> (8 * k);
      if (this.codePages.has(pfn)) this.invalidateCode(pfn);
      return;
    }
    this.fillWrite(lin);
    this.fillWrite((lin + size - 1) & ~0xfff);
    for (let k = 0; k < size; k++) this.write8((lin + k) | 0, v >> (8 * k));
  }

  /** Read for read-modify-write: the write translation (and its faults) happen first. */
  rmw8(lin: number): number {
    const tag = (lin >>> FRAME_SHIFT) | this.tlbUser;
    const i = tag & TLB_MASK;
    if (this.wTag[i] === tag) return (this.wFrame[i] as Uint8Array)[lin & 0xfff];
    this.fillWrite(lin);
    return this.read8(lin);
  }

  rmw16(lin: number): number {
    const tag = (lin >>> FRAME_SHIFT) | this.tlbUser;
    const i = tag & TLB_MASK;
    const o = lin & 0xfff;
    if (this.wTag[i] === tag && o < 0xfff) {
      const f = this.wFrame[i] as Uint8Array;
      return f[o] | (f[o + 1] << 8);
    }
    this.probeWrite(lin, 2);
    return this.read16(lin);
  }

  rmw32(lin: number): number {
    const tag = (lin >>> FRAME_SHIFT) | this.tlbUser;
    const i = tag & TLB_MASK;
    if (this.wTag[i] === tag) {
      const o = lin & 0xfff;
      if ((o & 3) === 0) {
        const w = this.wW32[i];
        if (w !== null) return w[this.wBase32[i] + (o >> 2)];
      }
      if (o < 0xffd) {
        const f = this.wFrame[i] as Uint8Array;
        return f[o] | (f[o + 1] << 8) | (f[o + 2] << 16) | (f[o + 3] << 24);
      }
    }
    this.probeWrite(lin, 4);
    return this.read32(lin);
  }

  /** The RAM frame backing `lin` for reading (filling the TLB), or null (MMIO). */
  readFrame(lin: number): Uint8Array | null {
    const tag = (lin >>> FRAME_SHIFT) | this.tlbUser;
    const i = tag & TLB_MASK;
    if (this.rTag[i] !== tag) this.fillRead(lin);
    return this.rTag[i] === tag ? this.rFrame[i] : null;
  }

  /** The RAM frame backing `lin` for fast writing, or null (MMIO, or a frame holding decoded code). */
  writeFrame(lin: number): Uint8Array | null {
    const tag = (lin >>> FRAME_SHIFT) | this.tlbUser;
    const i = tag & TLB_MASK;
    if (this.wTag[i] !== tag) this.fillWrite(lin);
    return this.wTag[i] === tag ? this.wFrame[i] : null;
  }

  /** Check a write to [lin, lin+size) would succeed (for instructions that must not half-complete). */
  probeWrite(lin: number, size: number): void {
    this.fillWrite(lin);
    if (((lin & 0xfff) + size) > 0x1000) this.fillWrite((lin + size - 1) & ~0xfff);
  }

  /** Segment-relative linear address, with checks for non-flat segments. */
  lin(seg: number, off: number, size: number, write: boolean): number {
    if ((this.segCheck >> seg) & 1) checkSegmentAccess(this, seg, off, size, write);
    return (this.segBase[seg] + off) | 0;
  }

  // ------------------------------------------------------------------ decoded-code cache

  /** Forget all decoded code (mode change, restore). */
  flushCode(): void {
    this.exitGen++;
    this.codePages.clear();
    this.curPage = -1;
    this.curCode = null;
  }

  /** Forget decoded code of one physical frame (it was written). */
  invalidateCode(pfn: number): void {
    this.exitGen++;
    this.codePages.delete(pfn);
    if (this.curCode && this.curCode.pfn === pfn) {
      this.curCode = null;
      this.curPage = -1;
    }
  }

  /** Something outside may have written memory: re-validate cached code before using it. */
  afterPlatformCall(): void {
    this.exitGen++;
    this.epoch++;
    this.curPage = -1;
    if (this.stopRequested) this.attention = true;
  }

  private codePage(lin: number): CodePage {
    const tag = (lin >>> FRAME_SHIFT) | this.tlbUser;
    const i = tag & TLB_MASK;
    let pfn: number;
    if (this.rTag[i] === tag && !this.rNx[i]) pfn = this.rPfn[i];
    else pfn = translate(this, lin, false, this.tlbUser !== 0, true) >>> FRAME_SHIFT;
    let page = this.codePages.get(pfn);
    if (page && page.checked !== this.epoch) {
      if (page.gen !== this.bus.generation(pfn)) page = undefined;
      else page.checked = this.epoch;
    }
    if (!page) {
      page = { pfn, gen: this.bus.generation(pfn), checked: this.epoch, insns: new Array(4096) };
      this.codePages.set(pfn, page);
      // Our own fast write mappings of this frame would bypass invalidation: drop them.
      for (let k = 0; k < this.wFilled.n; k++) {
        const i = this.wFilled.slots[k];
        if (this.wTag[i] !== -1 && this.wPfn[i] === pfn) this.wTag[i] = -1;
      }
    }
    this.curPage = tag;
    this.curCode = page;
    return page;
  }

  /** Fetch (decode if needed) the instruction at linear address lin. */
  private fetch(lin: number): Insn {
    const page = this.curPage === ((lin >>> FRAME_SHIFT) | this.tlbUser) && this.curCode ? this.curCode : this.codePage(lin);
    const o = lin & 0xfff;
    let ins = page.insns[o];
    if (ins === undefined) {
      ins = decodeInstruction(this, lin);
      // An instruction running into the next page is decoded afresh each time (not cached).
      if (o + ins.len <= 0x1000 && this.curCode === page) page.insns[o] = ins;
    }
    return ins;
  }

  /** Byte fetch for the decoder (code reads are reads; #PF reports an instruction fetch). */
  fetchByte(lin: number): number {
    const tag = (lin >>> FRAME_SHIFT) | this.tlbUser;
    const i = tag & TLB_MASK;
    if (this.rTag[i] === tag && !this.rNx[i]) return (this.rFrame[i] as Uint8Array)[lin & 0xfff];
    const phys = translate(this, lin, false, this.tlbUser !== 0, true);
    return this.physRead8(phys);
  }

  // ------------------------------------------------------------------ interrupts

  /** Raise (or keep raised) the interrupt line with the vector to deliver. */
  setIrq(vector: number): void {
    this.irqPending = true;
    this.irqVector = vector & 0xff;
    this.attention = true;
  }

  clearIrq(): void {
    this.irqPending = false;
  }

  /** End the current run() before the next instruction (safe to call from platform callbacks). */
  requestStop(): void {
    this.stopRequested = true;
    this.attention = true;
    this.exitGen++;
  }

  // ------------------------------------------------------------------ run

  /** Runs up to `maxInstructions`; with `honourBreakpoints` false, `breakpoints` do not stop it. */
  run(maxInstructions: number, honourBreakpoints = true): RunResult {
    this.epoch++;
    this.curPage = -1;
    // The bus protocol (platform.ts) forbids keeping a write view across runs without asking
    // frame(pfn, true) again, which is what bumps the frame's generation for other code caches.
    this.wFilled.clear();
    this.stopRequested = false;
    this.intercepted = null;
    this.attention = true;
    let retired = 0;
    let stop: StopReason = 'budget';
    const bpResume = this.bpResume;
    this.bpResume = -1;
    const breakpoints = this.breakpoints;
    const bpOn = honourBreakpoints && breakpoints.size !== 0;
    // The page `bpBits` maps (undefined: that page has no breakpoint): one compare per instruction off it.
    let bpPage = -1;
    let bpBits: Uint8Array | undefined;
    // Compiled blocks skip the per-instruction checks, so they are off while anything needs
    // them: single-stepping (TF), 16-bit code, armed debug registers.
    let blocks = false;
    let inBlock = false;
    let interceptedInsn: InterceptedInstruction | null = null;
    this.runRetired = 0;
    outer: for (;;) {
      try {
        while (retired < maxInstructions) {
          if (this.attention) {
            const s = this.checkAttention();
            if (s) {
              stop = s;
              break outer;
            }
            blocks = this.blocksEnabled && (this.eflags & TF) === 0 && this.code32 && (this.execBp | this.dataBp) === 0;
          }
          const eip = this.eip;
          const lin = (this.segBase[1] + eip) | 0;
          // At a breakpoint being resumed from, one instruction runs outside any block (a block
          // looping back to its start would not come past the check again).
          let atBreakpoint = false;
          if (bpOn) {
            const pg = lin >>> FRAME_SHIFT;
            if (pg !== bpPage) {
              bpPage = pg;
              bpBits = breakpoints.page(pg);
            }
            if (bpBits !== undefined && testBit(bpBits, lin)) {
              if (!(retired === 0 && lin === bpResume)) {
                this.bpResume = lin;
                stop = 'breakpoint';
                break outer;
              }
              atBreakpoint = true;
            }
          }
          this.insnEip = eip;
          const ins = this.fetch(lin);
          if (blocks && !atBreakpoint) {
            let blk = ins.block;
            if (blk === null && ins.kind !== InsnKind.OTHER && ++ins.hits >= HOT_BLOCK) blk = ins.block = this.buildBlock(lin, eip) ?? false;
            if (blk && blk.bpGen !== breakpoints.gen) blk = ins.block = cutBlock(this, blk, breakpoints.gen, this.isBreakpoint);
            if (blk && maxInstructions - retired >= blk.len) {
              inBlock = true;
              retired += blk.run(maxInstructions - retired);
              inBlock = false;
              continue;
            }
          }
          this.insnLen = ins.len;
          this.eip = (eip + ins.len) & this.eipMask;
          if (ins.kind === InsnKind.OTHER) this.runRetired = retired;
          ins.exec();
          retired++;
        }
        break;
      } catch (e) {
        if (!(e instanceof CpuFault) && !(e instanceof InstructionRestart)) {
          if (!(e instanceof InstructionIntercept)) throw e;
          // Only interpreted (OTHER) instructions have hooks, so this is never inside a block.
          this.eip = this.insnEip;
          this.pendingDr6 = 0;
          interceptedInsn = e.insn;
          stop = 'intercept';
          break;
        }
        if (inBlock) {
          retired += this.blockDone;
          inBlock = false;
        }
        this.eip = this.insnEip;
        this.stepPending = false;
        this.pendingDr6 = 0;
        this.runRetired = retired;
        if (!(e instanceof CpuFault)) {
          // a restart is a fault without an event: the bus has the access ready when it runs
          // again, and the instruction, past its breakpoint check already, does not stop there twice
          this.bpResume = (this.segBase[CS] + this.eip) | 0;
          stop = 'stop-requested';
          break;
        }
        this.raiseEvent(e.vector, 'fault', e.errorCode, 0, e.cr2);
        if (this.tripleFault) {
          stop = 'triple-fault';
          break;
        }
        if (this.intercepted) {
          stop = 'intercept';
          break;
        }
      }
    }
    // An event taken (or a triple fault) by the budget's last instruction ends the run as that
    // stop, not 'budget': the next run starts by forgetting `intercepted`, which would lose it.
    if (stop === 'budget') {
      if (this.tripleFault) stop = 'triple-fault';
      else if (this.intercepted) stop = 'intercept';
    }
    this.retiredTotal += retired;
    this.runRetired = 0;
    const result: RunResult = { retired, stop };
    if (interceptedInsn) result.instruction = interceptedInsn;
    else if (stop === 'intercept' && this.intercepted) result.event = this.intercepted;
    return result;
  }

  /** Collect the instructions of a block starting at `lin` (same frame) and compile them. */
  private buildBlock(lin: number, eip: number): Block | null {
    const page = this.curCode;
    if (!page) return null;
    const insns: Insn[] = [];
    let o = lin & 0xfff;
    while (insns.length < MAX_BLOCK && o <= 0x1000 - 16) {
      let ins = page.insns[o];
      if (ins === undefined) {
        try {
          ins = decodeInstruction(this, (lin - (lin & 0xfff) + o) | 0);
        } catch (e) {
          if (e instanceof CpuFault) break;
          throw e;
        }
        if (this.curCode !== page) return null;
        page.insns[o] = ins;
      }
      if (ins.kind === InsnKind.OTHER) break;
      insns.push(ins);
      if (ins.kind === InsnKind.BRANCH) break;
      o += ins.len;
    }
    const block = compileBlock(this, eip, lin, insns);
    if (block) this.blocksCompiled++;
    return block;
  }

  /** Execute exactly one instruction (or deliver one pending event). */
  step(): RunResult {
    return this.run(1);
  }

  private checkAttention(): StopReason | null {
    this.attention = false;
    if (this.tripleFault) return 'triple-fault';
    if (this.stopRequested) {
      this.stopRequested = false;
      return 'stop-requested';
    }
    if (this.intercepted) return 'intercept';
    if ((this.stepPending || this.pendingDr6) && this.shadow !== SHADOW_MOV_SS) {
      // Trap-class #DB for the instruction just completed (single-step, data breakpoints).
      this.dr[6] |= this.pendingDr6 | (this.stepPending ? DR6_BS : 0);
      this.stepPending = false;
      this.pendingDr6 = 0;
      this.insnEip = this.eip;
      this.raiseEvent(Vec.DB, 'trap', undefined, 0);
      if (this.tripleFault) return 'triple-fault';
      if (this.intercepted) return 'intercept';
    }
    if (this.execBp !== 0 && !(this.eflags & RF) && !this.halted) {
      const hit = instructionBreakpoints(this, (this.segBase[CS] + this.eip) | 0);
      if (hit) {
        this.dr[6] |= hit;
        this.insnEip = this.eip;
        this.raiseEvent(Vec.DB, 'fault', undefined, 0);
        if (this.tripleFault) return 'triple-fault';
        if (this.intercepted) return 'intercept';
      }
    }
    if (this.shadow) {
      this.shadow = 0;
      this.attention = true;
    } else if (this.irqPending && this.eflags & IF) {
      this.irqPending = false;
      const vector = this.platform.interruptAcknowledge ? this.platform.interruptAcknowledge() : this.irqVector;
      if (vector !== null) {
        this.halted = false;
        this.raiseEvent(vector & 0xff, 'external', undefined, 0);
        if (this.tripleFault) return 'triple-fault';
        if (this.intercepted) return 'intercept';
      }
    } else if (this.irqPending) {
      this.attention = true;
    }
    if (this.halted) {
      this.attention = true;
      return 'hlt';
    }
    // Sampled as the next instruction starts: RF is cleared, TF arms a trap after it.
    if (this.eflags & RF) this.eflags &= ~RF;
    if (this.eflags & TF) {
      this.stepPending = true;
      this.attention = true;
    }
    if (this.execBp !== 0 || this.shadow) this.attention = true;
    return null;
  }

  /**
   * Deliver an event: offer it to the platform, else vector through the IDT/IVT. Soft
   * interrupts and traps are raised with EIP already past the instruction.
   */
  raiseEvent(vector: number, kind: EventKind, errorCode: number | undefined, insnLen: number, cr2?: number): void {
    const code = kind === 'fault' || kind === 'trap' ? (hasErrorCode(vector) ? errorCode ?? 0 : undefined) : undefined;
    const ev: CpuEvent = { vector, kind, errorCode: code, instructionLength: insnLen, eip: this.insnEip >>> 0 };
    if (cr2 !== undefined) ev.cr2 = cr2 >>> 0;
    if (this.offerEvent(ev)) return;
    if (vector === Vec.PF && cr2 !== undefined) this.cr2 = cr2 | 0;
    deliverEvent(this, ev);
  }

  /** Offer an event to the platform before vectoring it; true when the platform took it. */
  offerEvent(ev: CpuEvent): boolean {
    if (!this.platform.intercept || !this.platform.intercept(ev)) return false;
    this.intercepted = ev;
    this.attention = true;
    return true;
  }

  /**
   * Deliver an event through the guest's own IDT/IVT now, without offering it to the platform
   * (a hypervisor injecting an interrupt or exception, as VM entry with event injection does).
   * EIP must already be where the handler should return to.
   */
  inject(vector: number, kind: EventKind, errorCode?: number): void {
    const ev: CpuEvent = { vector, kind, errorCode: hasErrorCode(vector) && (kind === 'fault' || kind === 'trap') ? errorCode ?? 0 : undefined, instructionLength: 0, eip: this.eip >>> 0 };
    this.insnEip = this.eip;
    deliverEvent(this, ev);
    this.attention = true;
  }

  /**
   * A non-maskable interrupt from the host, delivered now through vector 2 (IF and the
   * interrupt shadow of sti do not hold it back; a halted CPU wakes) unless an earlier NMI's
   * handler has not yet executed iret: then false and nothing happens. Blocks NMIs until iret.
   */
  nmi(): boolean {
    if (this.nmiBlocked) return false;
    this.halted = false;
    this.inject(2, 'external');
    this.nmiBlocked = true;
    return true;
  }

  /** iret ended NMI blocking: a host holding an NMI back is told (VMX's NMI-window exiting). */
  endNmiBlocking(): void {
    this.nmiBlocked = false;
    if (this.platform.onNmiUnblocked) this.platform.onNmiUnblocked();
  }

  /** Enter the shutdown state (triple fault). */
  shutdown(reason: string): void {
    this.tripleFault = true;
    this.attention = true;
    if (this.platform.shutdown) this.platform.shutdown(reason);
  }

  /** hlt: halt until an interrupt. */
  halt(): void {
    this.halted = true;
    this.attention = true;
    if (this.platform.halted) this.platform.halted();
  }

  get isHalted(): boolean {
    return this.halted;
  }

  get isShutdown(): boolean {
    return this.tripleFault;
  }

  // ------------------------------------------------------------------ snapshot

  snapshot(): CpuState {
    const s = emptyCpuState();
    s.r = Array.from(this.r, (v) => v >>> 0);
    s.eip = this.eip >>> 0;
    s.eflags = this.getEflags() >>> 0;
    for (let i = 0; i < 6; i++) {
      s.seg.push({ sel: this.segSel[i], base: this.segBase[i] >>> 0, limit: this.segLimit[i], attr: this.segAttr[i] });
    }
    s.gdtr = { base: this.gdtrBase >>> 0, limit: this.gdtrLimit };
    s.idtr = { base: this.idtrBase >>> 0, limit: this.idtrLimit };
    s.ldtr = { ...this.ldtr };
    s.tr = { ...this.tr };
    s.cr = [this.cr0 >>> 0, 0, this.cr2 >>> 0, this.cr3 >>> 0, this.cr4 >>> 0];
    s.dr = Array.from(this.dr, (v) => v >>> 0);
    s.efer = this.efer;
    s.pdpte = Array.from(this.pdpte, (v) => v >>> 0);
    s.pendingDebug = this.pendingDr6 | (this.stepPending ? DR6_BS : 0);
    s.tscOffset = this.tscOffset.toString();
    s.sysenter = [this.sysenterCs, this.sysenterEsp >>> 0, this.sysenterEip >>> 0];
    s.cpl = this.cpl;
    s.halted = this.halted;
    s.shutdown = this.tripleFault;
    s.irq = this.irqPending ? this.irqVector : -1;
    s.shadow = this.shadow;
    if (this.nmiBlocked) s.nmiBlocked = true;
    s.retiredTotal = this.retiredTotal;
    return s;
  }

  restore(s: CpuState): void {
    for (let i = 0; i < 8; i++) this.r[i] = s.r[i];
    this.eip = s.eip | 0;
    this.eflags = (s.eflags | FIXED1) | 0;
    this.ccOp = CC.NONE;
    for (let i = 0; i < 6; i++) {
      this.segSel[i] = s.seg[i].sel;
      this.segBase[i] = s.seg[i].base | 0;
      this.segLimit[i] = s.seg[i].limit;
      this.segAttr[i] = s.seg[i].attr;
    }
    this.gdtrBase = s.gdtr.base | 0;
    this.gdtrLimit = s.gdtr.limit;
    this.idtrBase = s.idtr.base | 0;
    this.idtrLimit = s.idtr.limit;
    Object.assign(this.ldtr, s.ldtr);
    Object.assign(this.tr, s.tr);
    this.cr0 = s.cr[0] | 0;
    this.cr2 = s.cr[2] | 0;
    this.cr3 = s.cr[3] | 0;
    this.cr4 = s.cr[4] | 0;
    for (let i = 0; i < 8; i++) this.dr[i] = s.dr[i];
    this.efer = s.efer;
    this.pdpte.fill(0);
    if (s.pdpte) for (let i = 0; i < 8; i++) this.pdpte[i] = s.pdpte[i];
    const pdptesFromMemory = !s.pdpte;
    this.pendingDr6 = (s.pendingDebug ?? 0) & 0xf;
    this.stepPending = ((s.pendingDebug ?? 0) & DR6_BS) !== 0;
    this.tscOffset = BigInt(s.tscOffset);
    [this.sysenterCs, this.sysenterEsp, this.sysenterEip] = s.sysenter;
    this.cpl = s.cpl;
    this.halted = s.halted;
    this.tripleFault = s.shutdown;
    this.irqPending = s.irq >= 0;
    this.irqVector = s.irq >= 0 ? s.irq : 0;
    this.shadow = s.shadow;
    this.nmiBlocked = s.nmiBlocked ?? false;
    this.retiredTotal = s.retiredTotal;
    this.intercepted = null;
    this.stopRequested = false;
    this.attention = true;
    this.bpResume = -1;
    this.code32 = !((this.cr0 & CR0_PE) !== 0 && (this.segAttr[CS] & 0x4000) !== 0);
    this.tlbUser = -1;
    this.modeChanged();
    this.segmentsChanged();
    this.flushTlb(pdptesFromMemory);
    this.flushCode();
    debugChanged(this);
  }

  /**
   * Load CR0/CR2/CR3/CR4 as a mov to CR does (reserved and consistency checks, TLB and PDPTE
   * coherence): for a host completing an instruction it intercepted. False: the write would
   * raise #GP(0) (or #GP/#PF of a PDPTE load) and nothing changed.
   */
  loadControlRegister(n: number, value: number): boolean {
    try {
      loadCr(this, n, value | 0);
    } catch (e) {
      if (e instanceof CpuFault) return false;
      throw e;
    }
    this.attention = true;
    return true;
  }

  /** Clear a stop-on-shutdown so a platform can reset/reuse the CPU. */
  clearShutdown(): void {
    this.tripleFault = false;
  }

  /**
   * Instructions retired so far in the run in progress, exact when read from a platform call
   * of an interpreted instruction (rdtsc, port I/O, MSRs): a host's TSC adds it to its clock.
   */
  get retiredInRun(): number {
    return this.runRetired;
  }

  /** Current timestamp counter. */
  tsc(): bigint {
    const base = this.platform.tsc ? this.platform.tsc() : BigInt(this.retiredTotal + this.runRetired);
    return (base + this.tscOffset) & 0xffffffffffffffffn;
  }
}
